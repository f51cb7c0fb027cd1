// `facekit serve`: deepface's REST API (src/server). Stops cleanly on SIGINT/SIGTERM.
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "commands.hpp"
#include "server/server.hpp"

namespace facekit::cli {
namespace {

struct ServeOptions {
  server::ServerOptions server;
  std::string token_file;
  std::string allow_paths;
  double timeout_s = 30;
};

int run_serve(ServeOptions& o) {
  if (!o.token_file.empty()) o.server.token = server::read_token_file(o.token_file);
  if (!o.allow_paths.empty()) o.server.allowed_dir = o.allow_paths;
  if (o.timeout_s <= 0) throw Error(ErrorCode::InvalidArgument, "--timeout must be positive");
  o.server.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));

  // SIGINT/SIGTERM are taken by one thread with sigwait, not a handler: stop() is not async-signal-safe.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts, so all inherit it

  server::Server srv(o.server);
  const int port = srv.bind();
  std::cout << "facekit serve: listening on http://" << o.server.host << ":" << port
            << (o.server.token.empty() ? "" : " (bearer token required)")
            << (o.server.gallery.empty() ? "" : ", gallery " + o.server.gallery) << std::endl;
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "facekit serve: stopping (signal " << sig << ")" << std::endl;
    srv.stop();
  });
  srv.serve();
  // serve() also returns when the listening socket fails; wake the watcher so that it can be joined.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  return 0;
}

}  // namespace

void add_serve_commands(CLI::App& app, CommandList& commands) {
  auto opts = std::make_shared<ServeOptions>();
  auto& s = opts->server;
  CLI::App* cmd = app.add_subcommand("serve", "REST server with deepface's API (docs/server.md)");
  cmd->add_option("--host", s.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", s.port, "port (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--gallery", s.gallery, "gallery for /register and /search: a SQLite file or postgresql://...");
  cmd->add_option("--threads", s.workers, "pipeline workers (0 = one per core)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--http-threads", s.http_threads, "connection threads (0 = max(32, 4 x workers))")->check(CLI::NonNegativeNumber);
  cmd->add_option("--token-file", opts->token_file, "require 'Authorization: Bearer TOKEN' with TOKEN from this file");
  cmd->add_option("--allow-paths", opts->allow_paths, "let requests name image files below this folder");
  cmd->add_option("--timeout", opts->timeout_s, "seconds a request may take, queueing included")->capture_default_str();
  cmd->add_option("--max-body-bytes", s.limits.max_body_bytes, "largest request body")->capture_default_str();
  cmd->add_option("--max-pixels", s.limits.max_pixels, "largest image (width x height)")->capture_default_str();
  cmd->add_option("--max-faces", s.limits.max_faces, "faces per image that are processed")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-queue", s.max_queued, "requests waiting for a worker before 503")->capture_default_str();
  cmd->add_option("--model", s.pipeline.model, "default embedding model")->capture_default_str();
  cmd->add_option("--detector", s.pipeline.detector, "default face detector")->capture_default_str();
  cmd->add_option("--align", s.pipeline.align, "default alignment")->capture_default_str();
  cmd->add_option("--landmarker", s.pipeline.landmarker, "68-point landmark model")->capture_default_str();
  commands.emplace_back(cmd, [opts] { return run_serve(*opts); });
}

}  // namespace facekit::cli
