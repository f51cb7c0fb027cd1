// Model files: listing, full verification, and clear errors for missing or corrupt weights.
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "facekit/models.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::test::run_command;

namespace {

std::string cli() { return "'" + facekit::test::cli_path() + "'"; }

// A private copy of the installed model directory that a test may damage.
fs::path copy_models(const std::string& name) {
  const fs::path dir = facekit::test::temp_dir(name);
  fs::copy(facekit::model_dir(), dir, fs::copy_options::recursive);
  return dir;
}

std::string with_models(const fs::path& dir) { return "FACEKIT_MODELS='" + dir.string() + "' "; }

fs::path face_image(const fs::path& dir) {
  cv::Mat img(64, 64, CV_8UC3, cv::Scalar(90, 90, 90));
  fs::path p = dir / "grey.png";
  cv::imwrite(p.string(), img);
  return p;
}

}  // namespace

TEST(ModelsCli, ListsEveryModelWithProvenance) {
  auto r = run_command(cli() + " models --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j.size(), 4u);
  for (const auto& m : j) {
    for (const char* key : {"name", "task", "input", "output_dim", "source", "licence", "sha256", "available"})
      EXPECT_TRUE(m.contains(key)) << key;
    EXPECT_TRUE(m["available"].get<bool>()) << m["name"];
  }
}

TEST(ModelsCli, VerifyChecksEveryDigest) {
  auto ok = run_command(cli() + " models verify");
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;

  const fs::path dir = copy_models("models_sha");
  // Same size, one byte changed: only the SHA-256 can tell.
  const fs::path victim = dir / "faceapi/face_recognition_model.bin";
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x5a');
  }
  auto bad = run_command(with_models(dir) + cli() + " models verify");
  EXPECT_EQ(bad.status, 5);
  EXPECT_NE(bad.out.find(victim.string()), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("sha256 mismatch"), std::string::npos) << bad.out;
}

TEST(ModelsCli, TruncatedWeightsGiveAClearErrorNamingTheFile) {
  const fs::path dir = copy_models("models_truncated");
  const fs::path victim = dir / "faceapi/face_recognition_model.bin";
  fs::resize_file(victim, fs::file_size(victim) / 2);
  const fs::path img = face_image(dir);
  auto r = run_command(with_models(dir) + cli() + " represent --allow-no-face " + img.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_NE(r.err.find(victim.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("setup"), std::string::npos) << r.err;
}

TEST(ModelsCli, MissingWeightsGiveAClearErrorNamingTheFile) {
  const fs::path dir = copy_models("models_missing");
  const fs::path victim = dir / "faceapi/ssd_mobilenetv1_model.bin";
  fs::remove(victim);
  const fs::path img = face_image(dir);
  auto r = run_command(with_models(dir) + cli() + " detect --detector ssd " + img.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_NE(r.err.find(victim.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
}

TEST(ModelsCli, CorruptManifestIsReported) {
  const fs::path dir = copy_models("models_manifest");
  const fs::path victim = dir / "faceapi/face_landmark_68_model-weights_manifest.json";
  const auto size = fs::file_size(victim);
  std::ofstream(victim, std::ios::binary) << std::string(size, '{');  // same size, not JSON
  const fs::path img = face_image(dir);
  auto r = run_command(with_models(dir) + cli() + " represent --landmarker faceapi68 --allow-no-face " + img.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_NE(r.err.find(victim.string()), std::string::npos) << r.err;
}
