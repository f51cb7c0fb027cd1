#include "server/server.hpp"

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <thread>

#include "facekit/components.hpp"
#include "facekit/gallery.hpp"
#include "facekit/models.hpp"
#include "facekit/runtime.hpp"
#include "server/http_error.hpp"
#include "server/routes.hpp"
#include "server/worker_pool.hpp"

#ifdef FACEKIT_HAVE_POSTGRES
#include "gallery/postgres_store.hpp"
#endif

namespace facekit::server {
namespace {

nlohmann::json health(ServerContext& ctx, const RequestArgs&);
nlohmann::json models(ServerContext& ctx, const RequestArgs&);

const std::vector<Route>& route_table() {
  static const std::vector<Route> table = {
      {{"GET", "/", false}, health, false},
      {{"GET", "/models", true}, models, false},
      {{"GET", "/ui", false}, nullptr, false},  // the page (ui_page.cpp), not JSON
      {{"POST", "/represent", true}, represent_route, true},
      {{"POST", "/verify", true}, verify_route, true},
      {{"POST", "/extract_faces", true}, extract_faces_route, true},
      {{"POST", "/analyze", true}, analyze_route, true},
      {{"POST", "/register", true}, register_route, true},
      {{"POST", "/search", true}, search_route, true},
      {{"POST", "/build/index", true}, build_index_route, true},
  };
  return table;
}

nlohmann::json health(ServerContext& ctx, const RequestArgs&) {
  return {{"status", "ok"},
          {"service", "facekit"},
          {"version", FACEKIT_VERSION_STRING},
          {"gallery", ctx.gallery ? nlohmann::json(ctx.gallery->store().location()) : nlohmann::json(nullptr)}};
}

nlohmann::json models(ServerContext& ctx, const RequestArgs&) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : model_infos())
    list.push_back({{"name", m.name}, {"task", m.task}, {"input", m.input}, {"output_dim", m.output_dim},
                    {"description", m.description}});
  return {{"models", list},
          {"detectors", detector_registry().names()},
          {"aligners", aligner_registry().names()},
          {"landmarkers", landmarker_registry().names()},
          {"embedders", embedder_registry().names()},
          {"metrics", {"cosine", "euclidean", "euclidean_l2", "angular"}},
          {"defaults",
           {{"model_name", ctx.options.pipeline.model},
            {"detector_backend", ctx.options.pipeline.detector},
            {"align", ctx.options.pipeline.align}}}};
}

std::unique_ptr<Gallery> open_gallery(const std::string& where) {
  if (where.empty()) return nullptr;
  if (where.rfind("postgresql://", 0) == 0 || where.rfind("postgres://", 0) == 0) {
#ifdef FACEKIT_HAVE_POSTGRES
    return std::make_unique<Gallery>(open_postgres_gallery(where));
#else
    throw Error(ErrorCode::Unsupported, "this facekit was built without libpqxx: PostgreSQL galleries are unavailable");
#endif
  }
  return std::make_unique<Gallery>(Gallery::open_or_create(where));
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Invalid UTF-8 in a client's field (echoed in a message) must not turn an answer into an exception.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
  if (status == 401) res.set_header("WWW-Authenticate", "Bearer");
}

}  // namespace

bool constant_time_equal(const std::string& given, const std::string& expected) {
  // Every byte of `expected` is compared whatever the input, so timing tells nothing about a prefix.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::FileNotFound, path + ": cannot read the token file");
  std::string token;
  std::getline(in, token);
  const auto first = token.find_first_not_of(" \t\r\n");
  const auto last = token.find_last_not_of(" \t\r\n");
  token = first == std::string::npos ? "" : token.substr(first, last - first + 1);
  if (token.empty()) throw Error(ErrorCode::InvalidArgument, path + ": the token file's first line is empty");
  return token;
}

const std::vector<RouteInfo>& Server::routes() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const auto& r : route_table()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

struct Server::Impl {
  ServerContext ctx;
  std::unique_ptr<WorkerPool> pool;
  httplib::Server http;
  int port = 0;
  int listen_socket = -1;  // seen in the socket-options hook, to widen httplib's backlog after bind

  void handle(const Route& route, const httplib::Request& req, httplib::Response& res) {
    try {
      if (route.info.needs_token && !ctx.options.token.empty()) {
        const std::string header = req.get_header_value("Authorization");
        if (header.empty()) throw HttpError(401, "missing bearer token: send the header 'Authorization: Bearer TOKEN'");
        if (header.rfind("Bearer ", 0) != 0 || !constant_time_equal(header.substr(7), ctx.options.token))
          throw HttpError(401, "invalid bearer token");
      }
      // Shared with the job: after a 504 the job may still be running and must not outlive its input.
      auto args = std::make_shared<const RequestArgs>(RequestArgs::parse(req));
      nlohmann::json body;
      if (route.on_worker)
        body = pool->run([this, &route, args] { return route.handler(ctx, *args); }, ctx.options.timeout);
      else
        body = route.handler(ctx, *args);
      send_json(res, 200, body);
    } catch (const HttpError& e) {
      send_error(res, e.status(), e.what());
    } catch (const Error& e) {
      send_error(res, http_status_of(e.code()), e.what());
    } catch (const nlohmann::json::exception& e) {
      send_error(res, 400, std::string("a field has the wrong type or shape (") + e.what() + ")");
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  auto& ctx = impl_->ctx;
  ctx.options = std::move(options);
  ctx.sources.allowed_dir = ctx.options.allowed_dir;
  if (!ctx.sources.allowed_dir.empty() && !std::filesystem::is_directory(ctx.sources.allowed_dir))
    throw Error(ErrorCode::FileNotFound, ctx.sources.allowed_dir.string() + ": --allow-paths names no folder");
  ctx.gallery = open_gallery(ctx.options.gallery);

  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  const int workers = ctx.options.workers > 0 ? ctx.options.workers : cores;
  // Parallelism comes from the workers; one engine thread each keeps the cores from oversubscription.
  set_num_threads(1);
  impl_->pool = std::make_unique<WorkerPool>(workers, ctx.options.max_queued);
  // A connection holds its thread while kept alive, so there are more connection threads than workers.
  const int http_threads = ctx.options.http_threads > 0 ? ctx.options.http_threads : std::max(32, 4 * workers);
  auto& http = impl_->http;
  http.new_task_queue = [http_threads] { return new httplib::ThreadPool(std::size_t(http_threads)); };
  // httplib's default sets SO_REUSEPORT, with which a second server on the same port (or port 0
  // handing out a port in use) silently shares the traffic; SO_REUSEADDR alone still allows a quick restart.
  http.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl_->listen_socket = sock;
  });
  http.set_payload_max_length(ctx.options.limits.max_body_bytes);
  http.set_keep_alive_max_count(1000);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);

  for (const Route& route : route_table()) {
    if (!route.handler) {  // /ui: a static page; the API calls it makes carry the token
      http.Get(route.info.path, [](const httplib::Request&, httplib::Response& res) {
        res.set_content(ui_page_html(), "text/html; charset=utf-8");
      });
      continue;
    }
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      impl_->handle(route, req, res);
    };
    if (route.info.method == "GET")
      http.Get(route.info.path, handler);
    else
      http.Post(route.info.path, handler);
  }
  // httplib's own refusals (unknown route, body over the limit, bad request line) get JSON bodies too.
  const std::size_t max_body = ctx.options.limits.max_body_bytes;
  http.set_error_handler(httplib::Server::HandlerWithResponse([max_body](const httplib::Request& req,
                                                                          httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler's own JSON error
    std::string message;
    switch (res.status) {
      case 404: {
        const bool known = std::any_of(routes().begin(), routes().end(),
                                       [&](const RouteInfo& r) { return r.path == req.path; });
        if (known) {
          res.status = 405;
          message = req.method + " is not allowed on " + req.path;
        } else {
          message = "no route " + req.path + " (GET / lists the service; docs/openapi.yaml lists every route)";
        }
        break;
      }
      case 413:
        if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
          message = "url-encoded form bodies are limited to " + std::to_string(CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH) +
                    " bytes; send JSON with 'Content-Type: application/json', or a multipart/form-data upload";
        else
          message = "the request body is larger than the server's limit of " + std::to_string(max_body) + " bytes";
        break;
      default:
        message = std::string("the request was refused (") + status_text(res.status) + ")";
    }
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
}

Server::~Server() { stop(); }

int Server::bind() {
  auto& o = impl_->ctx.options;
  if (o.port == 0)
    impl_->port = impl_->http.bind_to_any_port(o.host);
  else
    impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  if (impl_->port <= 0)
    throw Error(ErrorCode::InvalidArgument,
                "cannot listen on " + o.host + ":" + std::to_string(o.port) + " (address in use, or not this machine's)");
  // httplib listens with a backlog of 5: a burst of new connections (a load balancer, 16 wrk
  // connections) overflows it and clients stall on SYN retries. Listening again widens it.
  if (impl_->listen_socket >= 0) ::listen(impl_->listen_socket, SOMAXCONN);
  return impl_->port;
}

void Server::serve() { impl_->http.listen_after_bind(); }

void Server::stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace facekit::server
