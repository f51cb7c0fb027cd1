// `facekit eval pairs` end to end on a small real pair set.
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval/batch_embedder.hpp"
#include "facekit/error.hpp"
#include "support/test_support.hpp"

using facekit::test::run_command;

TEST(EvalCli, PairsOnFaceRecognitionExamples) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto pairs = facekit::test::shared_dir() / "data/faces/face_recognition/pairs_all.csv";
  const auto dir = facekit::test::temp_dir("eval_cli");
  const std::string cmd = "'" + facekit::test::cli_path() + "' eval pairs --json --pairs " + pairs.string() +
                          " --cache " + (dir / "cache.jsonl").string() + " --plot " + (dir / "roc.png").string();
  auto r = run_command(cmd);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pairs"], 210);  // the file's rows
  EXPECT_EQ(j["images_failed"], 0);
  for (const char* m : {"cosine", "euclidean", "euclidean_l2", "angular"}) {
    const auto& e = j["metrics"][m];
    EXPECT_EQ(e["folds"].size(), 10u) << m;
    // face_recognition (dlib's model) separates these 5 people; a faithful port must too.
    EXPECT_GE(e["mean_accuracy"].get<double>(), 0.95) << m;
    EXPECT_GE(e["auc"].get<double>(), 0.98) << m;
  }
  EXPECT_TRUE(std::filesystem::file_size(dir / "roc.png") > 1000);
  // Per-pair detail: every listed worst pair is misclassified at its fold's threshold, and the error
  // count matches the accuracy (21 pairs per fold, so the mean over folds is the pooled accuracy).
  for (const char* m : {"cosine", "euclidean"}) {
    const auto& e = j["metrics"][m];
    const int errors = e["errors"].get<int>();
    EXPECT_EQ(errors, static_cast<int>(std::lround(210 * (1 - e["mean_accuracy"].get<double>())))) << m;
    EXPECT_EQ(e["worst_pairs"].size(), static_cast<std::size_t>(std::min(errors, 20))) << m;
    for (const auto& w : e["worst_pairs"])
      EXPECT_NE(w["distance"].get<double>() <= w["threshold"].get<double>(), w["same"].get<bool>()) << w.dump();
    // No image of this set needs the whole-image fallback: the detected-both subset is every pair.
    EXPECT_EQ(e["detected_both"]["pairs"], 210) << m;
    EXPECT_NEAR(e["detected_both"]["accuracy"].get<double>(), e["mean_accuracy"].get<double>(), 1e-12) << m;
  }
  // A second run reads every embedding from the cache and reports the same numbers.
  auto again = run_command(cmd);
  ASSERT_EQ(again.status, 0) << again.err;
  auto j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["metrics"]["euclidean"]["mean_accuracy"], j["metrics"]["euclidean"]["mean_accuracy"]);
  EXPECT_LT(j2["time_s"].get<double>(), j["time_s"].get<double>());
  // The cache keys on the alignment "auto" resolves to, so naming it explicitly hits the same entries.
  auto named = run_command(cmd + " --align 5point");
  ASSERT_EQ(named.status, 0) << named.err;
  auto j3 = nlohmann::json::parse(named.out);
  EXPECT_EQ(j3["metrics"]["euclidean"]["mean_accuracy"], j["metrics"]["euclidean"]["mean_accuracy"]);
  EXPECT_LT(j3["time_s"].get<double>(), j["time_s"].get<double>());
}

TEST(EvalCli, FallbackChainParsing) {
  EXPECT_TRUE(facekit::eval::fallback_chain("").empty());
  EXPECT_EQ(facekit::eval::fallback_chain("none"), std::vector<std::string>{"none"});
  EXPECT_EQ(facekit::eval::fallback_chain("blazeface,none"), (std::vector<std::string>{"blazeface", "none"}));
  EXPECT_THROW(facekit::eval::fallback_chain("blazeface,,none"), facekit::Error);
  EXPECT_THROW(facekit::eval::fallback_chain("blazeface,"), facekit::Error);
}

namespace {
std::size_t count_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}
}  // namespace

// The cache holds one entry per (image, detector): the detector's embedding or a no-face marker.
// So a chain "blazeface,none" writes images + b + 2n lines (b images embedded via BlazeFace, n via
// the whole image), and switching to "none" embeds only the b images that never had a whole-image
// entry; "fail" embeds nothing and reports those images as failures.
TEST(EvalCli, FallbackChainCachesEachDetector) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto pairs = facekit::test::shared_dir() / "data/faces/faceapi-js/pairs_all.csv";
  const auto dir = facekit::test::temp_dir("eval_fallback");
  const auto cache = dir / "cache.jsonl";
  auto run = [&](const std::string& fallback) {
    auto r = run_command("'" + facekit::test::cli_path() + "' eval pairs --json --quiet --pairs " + pairs.string() +
                         " --metric euclidean --fallback " + fallback + " --cache " + cache.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto chained = run("blazeface,none");
  const int images = chained["images"], fallbacks = chained["images_fallback"];
  // These 150 px crops are tight enough that dlib's HOG misses some of them.
  ASSERT_GT(fallbacks, 0);
  const int b = chained["images_fallback_by"].value("blazeface", 0), n = chained["images_fallback_by"].value("none", 0);
  EXPECT_EQ(b + n, fallbacks);
  EXPECT_EQ(chained["images_failed"], 0);
  EXPECT_EQ(count_lines(cache), static_cast<std::size_t>(images + b + 2 * n));

  const auto whole = run("none");
  EXPECT_EQ(whole["images_fallback_by"].value("none", 0), fallbacks);
  EXPECT_EQ(count_lines(cache), static_cast<std::size_t>(images + 2 * b + 2 * n));

  const auto fail = run("fail");
  EXPECT_EQ(fail["images_failed"], fallbacks);
  EXPECT_EQ(fail["images_fallback"], 0);
  EXPECT_GT(fail["pairs_skipped"].get<int>(), 0);
  EXPECT_EQ(count_lines(cache), static_cast<std::size_t>(images + 2 * b + 2 * n));

  auto bad = run_command("'" + facekit::test::cli_path() + "' eval pairs --pairs " + pairs.string() +
                         " --fallback blazeface,nosuchdetector");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("nosuchdetector"), std::string::npos) << bad.err;
}

TEST(EvalCli, MissingPairsFileIsAClearError) {
  auto r = run_command("'" + facekit::test::cli_path() + "' eval pairs --pairs /nonexistent/pairs.csv");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("/nonexistent/pairs.csv"), std::string::npos) << r.err;
}
