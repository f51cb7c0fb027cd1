// verify/represent with --anti-spoofing refuse a face the antispoof model does not judge real. No
// labelled spoof photo exists here, so the threshold is moved instead: above 1 no score can pass (every
// face is refused, exit 4 "spoof detected"), at 0 every face passes and the verdict is the usual one.
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

using facekit::test::run_command;

namespace {

std::string cli() { return "'" + facekit::test::cli_path() + "'"; }
std::string image(const char* rel) {
  return (facekit::test::shared_dir() / "data/faces/face_recognition/tests/test_images" / rel).string();
}

TEST(SpoofRefusal, VerifyAndRepresentRefuseFacesBelowTheThreshold) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const std::string pair = " " + image("obama.jpg") + " " + image("obama2.jpg");
  auto refused = run_command(cli() + " verify --anti-spoofing --spoof-threshold 1.01" + pair);
  EXPECT_EQ(refused.status, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("spoof detected"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("obama"), std::string::npos) << refused.err;  // names the image

  auto rep = run_command(cli() + " represent --anti-spoofing --spoof-threshold 1.01 " + image("obama.jpg"));
  EXPECT_EQ(rep.status, 4) << rep.err;

  auto passed = run_command(cli() + " verify --json --anti-spoofing --spoof-threshold 0" + pair);
  ASSERT_EQ(passed.status, 0) << passed.err;
  EXPECT_TRUE(nlohmann::json::parse(passed.out)["verified"].get<bool>());
}

}  // namespace
