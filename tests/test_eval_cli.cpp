// `facekit eval pairs` end to end on a small real pair set.
#include <nlohmann/json.hpp>

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
  // A second run reads every embedding from the cache and reports the same numbers.
  auto again = run_command(cmd);
  ASSERT_EQ(again.status, 0) << again.err;
  auto j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["metrics"]["euclidean"]["mean_accuracy"], j["metrics"]["euclidean"]["mean_accuracy"]);
  EXPECT_LT(j2["time_s"].get<double>(), j["time_s"].get<double>());
}

TEST(EvalCli, MissingPairsFileIsAClearError) {
  auto r = run_command("'" + facekit::test::cli_path() + "' eval pairs --pairs /nonexistent/pairs.csv");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("/nonexistent/pairs.csv"), std::string::npos) << r.err;
}
