// The facekit CLI end to end: verdicts on real photos, and a clear error (message naming the file,
// non-zero exit) for every kind of bad input.
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::test::run_command;

namespace {

std::string cli() { return "'" + facekit::test::cli_path() + "'"; }

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string shared_image(const std::string& rel) { return (facekit::test::shared_dir() / rel).string(); }

const char* kObama = "data/faces/face_recognition/tests/test_images/obama.jpg";
const char* kObama2 = "data/faces/face_recognition/tests/test_images/obama2.jpg";
const char* kBiden = "data/faces/face_recognition/tests/test_images/biden.jpg";

// A JPEG that announces width x height: SOI, SOF0, then nothing; the header is all a prober needs.
std::string jpeg_header(int width, int height) {
  std::string s = "\xFF\xD8\xFF\xC0";
  s += std::string("\x00\x11\x08", 3);
  s += char(height >> 8); s += char(height & 0xFF);
  s += char(width >> 8); s += char(width & 0xFF);
  s += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  s += std::string(64, '\0');
  return s;
}

std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string be32(std::uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}

// PNG signature + a valid IHDR (8-bit RGB) announcing width x height, and no pixel data.
std::string png_header(int width, int height) {
  std::string ihdr = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(crc32(ihdr));
}

}  // namespace

TEST(Cli, VerifySamePersonAndDifferentPeople) {
  FACEKIT_REQUIRE_SHARED_DIR();
  auto same = run_command(cli() + " verify --json " + shared_image(kObama) + " " + shared_image(kObama2));
  ASSERT_EQ(same.status, 0) << same.err;
  auto j = nlohmann::json::parse(same.out);
  EXPECT_TRUE(j["verified"].get<bool>());
  EXPECT_LE(j["distance"].get<double>(), j["threshold"].get<double>());
  for (const char* key : {"verified", "distance", "threshold", "confidence", "model", "detector", "metric",
                          "facial_areas", "time_ms"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["facial_areas"]["img1"].contains("left_eye"));

  auto diff = run_command(cli() + " verify --json " + shared_image(kObama) + " " + shared_image(kBiden));
  ASSERT_EQ(diff.status, 0) << diff.err;
  j = nlohmann::json::parse(diff.out);
  EXPECT_FALSE(j["verified"].get<bool>());
  EXPECT_GE(j["confidence"].get<double>(), 0.0);
  EXPECT_LE(j["confidence"].get<double>(), 100.0);
}

TEST(Cli, VerifyAcceptsPrecomputedEmbedding) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const fs::path dir = facekit::test::temp_dir("cli_embedding");
  auto rep = run_command(cli() + " represent --json " + shared_image(kObama) + " > " + (dir / "obama.json").string());
  ASSERT_EQ(rep.status, 0) << rep.err;
  auto direct = run_command(cli() + " verify --json " + shared_image(kObama) + " " + shared_image(kObama2));
  auto via_json = run_command(cli() + " verify --json " + (dir / "obama.json").string() + " " + shared_image(kObama2));
  ASSERT_EQ(via_json.status, 0) << via_json.err;
  // The same embedding either way, so the same distance (JSON keeps floats exactly enough for 1e-6).
  EXPECT_NEAR(nlohmann::json::parse(direct.out)["distance"].get<double>(),
              nlohmann::json::parse(via_json.out)["distance"].get<double>(), 1e-6);
}

TEST(Cli, MetricsAndThresholdOverride) {
  FACEKIT_REQUIRE_SHARED_DIR();
  for (const char* metric : {"cosine", "euclidean", "euclidean_l2", "angular"}) {
    auto r = run_command(cli() + " verify --json --metric " + metric + " " + shared_image(kObama) + " " +
                         shared_image(kObama2));
    ASSERT_EQ(r.status, 0) << metric << ": " << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["metric"], metric);
  }
  auto strict = run_command(cli() + " verify --json --threshold 0.01 " + shared_image(kObama) + " " +
                            shared_image(kObama2));
  ASSERT_EQ(strict.status, 0);
  EXPECT_FALSE(nlohmann::json::parse(strict.out)["verified"].get<bool>());
  auto bad = run_command(cli() + " verify --metric manhattan " + shared_image(kObama) + " " + shared_image(kObama2));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("euclidean_l2"), std::string::npos) << bad.err;
}

TEST(Cli, MissingFile) {
  auto r = run_command(cli() + " verify /nonexistent/a.jpg /nonexistent/b.jpg");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("/nonexistent/a.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
}

TEST(Cli, EmptyTruncatedAndMislabelledFiles) {
  const fs::path dir = facekit::test::temp_dir("cli_bad_files");
  write_bytes(dir / "empty.jpg", "");
  write_bytes(dir / "notes.jpg", "these are my holiday notes, not a photo\n");
  cv::Mat img(200, 300, CV_8UC3, cv::Scalar(40, 120, 200));
  cv::randu(img, 0, 255);
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", img, jpeg);
  write_bytes(dir / "truncated.jpg", std::string(jpeg.begin(), jpeg.begin() + jpeg.size() * 6 / 10));
  struct Case { const char* file; const char* says; };
  for (const Case& c : {Case{"empty.jpg", "empty"}, Case{"notes.jpg", "not a"}, Case{"truncated.jpg", "truncated"}}) {
    const std::string path = (dir / c.file).string();
    auto r = run_command(cli() + " represent " + path);
    EXPECT_EQ(r.status, 3) << c.file << ": " << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

TEST(Cli, NoFaceIsAClearErrorUnlessAllowed) {
  const fs::path dir = facekit::test::temp_dir("cli_no_face");
  cv::imwrite((dir / "wall.png").string(), cv::Mat(320, 320, CV_8UC3, cv::Scalar(128, 128, 128)));
  const std::string wall = (dir / "wall.png").string();
  auto r = run_command(cli() + " represent " + wall);
  EXPECT_EQ(r.status, 4);
  EXPECT_NE(r.err.find("no face found"), std::string::npos) << r.err;
  auto allowed = run_command(cli() + " represent --json --allow-no-face " + wall);
  ASSERT_EQ(allowed.status, 0) << allowed.err;
  auto j = nlohmann::json::parse(allowed.out);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["embedding"].size(), 128u);
  EXPECT_EQ(j["results"][0]["facial_area"]["w"], 320);
}

TEST(Cli, HugeImagesAreRefusedFromTheHeaderUnderAMemoryLimit) {
  const fs::path dir = facekit::test::temp_dir("cli_huge");
  write_bytes(dir / "huge.jpg", jpeg_header(20000, 20000));
  write_bytes(dir / "huge.png", png_header(20000, 20000));
  for (const char* name : {"huge.jpg", "huge.png"}) {
    const std::string path = (dir / name).string();
    // 1 GiB of address space: decoding 20000x20000x3 would need 1.2 GB for the pixels alone.
    auto r = run_command("prlimit --as=1073741824 " + cli() + " verify " + path + " " + path);
    EXPECT_EQ(r.status, 3) << name << ": " << r.err;
    EXPECT_NE(r.err.find("20000x20000"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  }
}

TEST(Cli, UnknownComponentNamesListTheValidOnes) {
  const fs::path dir = facekit::test::temp_dir("cli_unknown");
  cv::imwrite((dir / "x.png").string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3)));
  auto bad = run_command(cli() + " represent --detector yolo " + (dir / "x.png").string());
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("ssd"), std::string::npos) << bad.err;
  auto bad_opt = run_command(cli() + " represent --detector ssd:min_confidnce=0.3 " + (dir / "x.png").string());
  EXPECT_EQ(bad_opt.status, 2);
  EXPECT_NE(bad_opt.err.find("min_confidence"), std::string::npos) << bad_opt.err;
}

TEST(Cli, UsageErrorsExitWithStatus2) {
  auto missing_arg = run_command(cli() + " verify only-one.jpg");
  EXPECT_EQ(missing_arg.status, 2) << missing_arg.err;
  auto unknown_flag = run_command(cli() + " represent --no-such-flag x.jpg");
  EXPECT_EQ(unknown_flag.status, 2) << unknown_flag.err;
  auto help = run_command(cli() + " --help");
  EXPECT_EQ(help.status, 0);
}
