// Test helpers for the REST server: an in-process server on an ephemeral loopback port, a
// `facekit serve` child process, and request bodies built from image files.
#pragma once
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/base64.hpp"
#include "server/server.hpp"
#include "support/gallery_test_support.hpp"  // file_bytes

namespace facekit::test {

inline std::string data_uri(const std::string& bytes, const std::string& mime = "image/jpeg") {
  return "data:" + mime + ";base64," +
         server::base64_encode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

inline std::unique_ptr<httplib::Client> http_client(int port, const std::string& token = "") {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_read_timeout(120, 0);
  client->set_connection_timeout(5, 0);
  if (!token.empty()) client->set_bearer_token_auth(token.c_str());
  return client;
}

// The server's answer, parsed; `json` is null when the body is not JSON (which no route should send).
struct Reply {
  int status = 0;
  nlohmann::json json;
  std::string body;
};

inline Reply reply_of(const httplib::Result& r) {
  Reply out;
  if (!r) return out;  // status 0: no answer at all
  out.status = r->status;
  out.body = r->body;
  out.json = nlohmann::json::parse(r->body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

inline Reply post_json(httplib::Client& c, const std::string& path, const nlohmann::json& body) {
  return reply_of(c.Post(path.c_str(), body.dump(), "application/json"));
}

// A Server running on its own thread for the length of a test.
class InProcessServer {
 public:
  explicit InProcessServer(server::ServerOptions options) : server_(on_any_port(std::move(options))) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.serve(); });
  }
  ~InProcessServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client(const std::string& token = "") const { return http_client(port_, token); }

 private:
  static server::ServerOptions on_any_port(server::ServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;  // ephemeral: tests never collide with each other or a real server
    return options;
  }

  server::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// `facekit serve ARGS --port 0` as a child process; the port is read from its first line of output.
class ServeProcess {
 public:
  ServeProcess(const std::string& cli, const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> all{cli, "serve", "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(cli.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    char line[1024];
    // "facekit serve: listening on http://127.0.0.1:PORT..."
    if (!fgets(line, sizeof line, stdout_)) throw std::runtime_error("facekit serve exited before listening");
    const std::string text = line;
    const auto colon = text.find(':', text.find("127.0.0.1"));
    if (colon == std::string::npos) throw std::runtime_error("unexpected first line: " + text);
    port_ = std::stoi(text.substr(colon + 1));
  }
  ~ServeProcess() {
    if (pid_ > 0) kill_now(SIGTERM);
    if (stdout_) fclose(stdout_);
  }
  int port() const { return port_; }
  // Sends `sig` and reaps the child; returns its wait status.
  int kill_now(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
};

}  // namespace facekit::test
