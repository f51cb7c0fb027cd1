// `facekit serve`: deepface's REST API from one process that loads each model once, answers many
// clients at once (HTTP threads for connections, a worker pool sized to the cores for the pipeline
// work) and applies the same limits, authentication and JSON errors to every route.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "facekit/facekit.hpp"
#include "server/request.hpp"

namespace facekit::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5005;                 // 0: any free port (see Server::bind)
  std::string gallery;             // SQLite gallery file or postgresql:// URL; empty: gallery routes answer 503
  int workers = 0;                 // pipeline workers; 0 = one per core
  int http_threads = 0;            // connection threads; 0 = max(32, 4 x workers)
  std::string token;               // bearer token; empty = no authentication
  std::filesystem::path allowed_dir;  // --allow-paths: server-side images only below it
  PipelineOptions pipeline;        // defaults for requests that do not choose
  RequestLimits limits;
  std::chrono::milliseconds timeout{30000};  // per request, queueing included
  std::size_t max_queued = 256;    // requests waiting for a worker beyond which 503 is answered
};

struct RouteInfo {
  std::string method, path;
  bool needs_token = true;  // false: answered without the bearer token (health check, the page)
};

class Server {
 public:
  // Opens the gallery when one is named; throws facekit::Error naming what is wrong.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (port 0 picks a free one) and returns the port. Throws facekit::Error.
  int bind();
  // Answers requests until stop() (from any thread or a signal-watching thread).
  void serve();
  void stop();

  static const std::vector<RouteInfo>& routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the first line of a token file (surrounding whitespace trimmed). Throws facekit::Error for a
// missing, unreadable or empty file.
std::string read_token_file(const std::string& path);

// Equal in time that depends only on the length of `expected`, not on where the first difference is.
bool constant_time_equal(const std::string& given, const std::string& expected);

}  // namespace facekit::server
