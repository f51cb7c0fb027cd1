// Registration is durable: SIGKILL `facekit serve` in the middle of a burst of /register calls,
// restart it on the same gallery, and every call that had been answered 200 is there.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "facekit/gallery.hpp"
#include "support/server_fixture.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit::test;

TEST(ServerDurability, EveryAnsweredRegistrationSurvivesSigkill) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const fs::path dir = temp_dir("server_durability");
  const std::string gallery = (dir / "gallery.db").string();
  const std::string img =
      data_uri(file_bytes(shared_dir() / "data/faces/face_recognition/examples/obama-480p.jpg"));

  std::set<std::string> answered;  // names whose /register returned 200
  std::mutex answered_mutex;
  std::atomic<int> sent{0};
  {
    ServeProcess server(cli_path(), {"--gallery", gallery, "--threads", "2"});
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
      clients.emplace_back([&, t] {
        auto c = http_client(server.port());
        c->set_read_timeout(30, 0);
        for (int i = 0; !stop; ++i) {
          const std::string name = "person-" + std::to_string(t) + "-" + std::to_string(i);
          ++sent;
          const Reply r = post_json(*c, "/register", {{"img", img}, {"img_name", name}});
          if (r.status == 200) {
            std::lock_guard lock(answered_mutex);
            answered.insert(name);
          } else if (r.status != 0) {
            ADD_FAILURE() << name << ": " << r.status << " " << r.body;
          }
          if (r.status == 0) break;  // the server is gone
        }
      });
    // Kill while requests are in flight: once a few have been answered, not at a quiet moment.
    for (int waited = 0; waited < 600; ++waited) {
      {
        std::lock_guard lock(answered_mutex);
        if (answered.size() >= 8) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const int status = server.kill_now(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  ASSERT_GE(answered.size(), 8u) << "too few registrations before the kill to test anything";
  EXPECT_GT(sent.load(), int(answered.size())) << "no request was in flight at the kill";

  // A restarted server opens the same gallery and finds the person; the file holds every answered name.
  ServeProcess restarted(cli_path(), {"--gallery", gallery, "--threads", "2"});
  const Reply found = post_json(*http_client(restarted.port()), "/search", {{"img", img}, {"k", 1}});
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.json["results"][0]["matches"].size(), 1u);
  std::set<std::string> stored;
  for (const auto& identity : facekit::Gallery::open(gallery).identities()) stored.insert(identity.name);
  for (const auto& name : answered) EXPECT_TRUE(stored.count(name)) << name << " was answered 200 but is missing";
  EXPECT_TRUE(facekit::Gallery::open(gallery).check_integrity().empty());
}
