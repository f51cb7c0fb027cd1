// The /ui page in a real browser: headless Chromium (Debian's chromium, driven by playwright-core
// from tests/ui) uploads two photos and then one, and the page must show the verdict that
// face_recognition's own tests assert for the pair, one box per face, and an analysis. Screenshots
// are saved for people to look at (build/test_tmp/server_ui/), not compared with earlier ones.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/server_fixture.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit::test;

namespace {

std::string browser_unavailable() {
  if (!fs::exists("/usr/bin/chromium")) return "Debian's chromium is not installed (apt-get install chromium)";
  if (!fs::exists(fs::path(FACEKIT_SOURCE_DIR) / "tests/ui/node_modules/playwright-core"))
    return "playwright-core is not installed (npm install --prefix tests/ui)";
  if (run_command("node --version").status != 0) return "node is not installed";
  return "";
}

nlohmann::json run_page(int port, const fs::path& photo1, const fs::path& photo2, const fs::path& solo,
                        const fs::path& out) {
  const std::string cmd = "node '" + std::string(FACEKIT_SOURCE_DIR) + "/tests/ui/ui_check.js' http://127.0.0.1:" +
                          std::to_string(port) + " '" + photo1.string() + "' '" + photo2.string() + "' '" +
                          solo.string() + "' '" + out.string() + "'";
  const CommandResult r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << r.out << r.err;
  return json.is_discarded() ? nlohmann::json::object() : json;
}

}  // namespace

TEST(ServerUi, PageShowsVerdictsAndBoxesInChromium) {
  FACEKIT_REQUIRE_SHARED_DIR();
  if (const std::string why = browser_unavailable(); !why.empty()) GTEST_SKIP() << why;
  InProcessServer srv(facekit::server::ServerOptions{});
  const fs::path images = shared_dir() / "data/faces/face_recognition/tests/test_images";
  const fs::path out = temp_dir("server_ui");

  // face_recognition's test_compare_faces: obama.jpg and obama2.jpg are the same person.
  auto same = run_page(srv.port(), images / "obama.jpg", images / "obama2.jpg", images / "obama3.jpg", out);
  ASSERT_TRUE(same.contains("verify")) << same.dump();
  EXPECT_EQ(same["verify"]["state"], "done") << same.dump();
  EXPECT_EQ(same["verify"]["verdict"].get<std::string>().rfind("Same person", 0), 0u) << same.dump();
  EXPECT_EQ(same["verify"]["boxes"], 2);
  EXPECT_EQ(same["verify"]["canvases"], 2);
  EXPECT_EQ(same["analyze"]["state"], "done") << same.dump();
  EXPECT_EQ(same["analyze"]["verdict"].get<std::string>().rfind("1 face:", 0), 0u) << same.dump();
  EXPECT_EQ(same["analyze"]["boxes"], 1);
  EXPECT_TRUE(fs::file_size(out / "ui_verify.png") > 0 && fs::file_size(out / "ui_analyze.png") > 0);

  // ... and obama.jpg and biden.jpg are not.
  const fs::path out2 = temp_dir("server_ui_different");
  auto different = run_page(srv.port(), images / "obama.jpg", images / "biden.jpg", images / "biden.jpg", out2);
  ASSERT_TRUE(different.contains("verify")) << different.dump();
  EXPECT_EQ(different["verify"]["verdict"].get<std::string>().rfind("Different people", 0), 0u) << different.dump();
  EXPECT_EQ(different["verify"]["boxes"], 2);
}
