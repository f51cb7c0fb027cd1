// The route handlers. Each takes the parsed request and returns the JSON body of a 200 answer, or
// throws (HttpError, facekit::Error) for the server to turn into a JSON error with a fitting status.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "facekit/gallery.hpp"
#include "server/request.hpp"
#include "server/server.hpp"

namespace facekit::server {

// What the handlers share: the options, and the gallery (one connection, so one request at a time
// uses it; pipeline work happens outside the lock).
struct ServerContext {
  ServerOptions options;
  ImageSources sources;
  std::unique_ptr<Gallery> gallery;
  std::mutex gallery_mutex;
};

using RouteHandler = std::function<nlohmann::json(ServerContext&, const RequestArgs&)>;

struct Route {
  RouteInfo info;
  RouteHandler handler;
  bool on_worker = true;  // pipeline work: runs on the worker pool under the request timeout
};

// face_routes.cpp: represent, verify, extract_faces, analyze.
nlohmann::json represent_route(ServerContext& ctx, const RequestArgs& args);
nlohmann::json verify_route(ServerContext& ctx, const RequestArgs& args);
nlohmann::json extract_faces_route(ServerContext& ctx, const RequestArgs& args);
nlohmann::json analyze_route(ServerContext& ctx, const RequestArgs& args);
// gallery_routes.cpp: register, search, build/index.
nlohmann::json register_route(ServerContext& ctx, const RequestArgs& args);
nlohmann::json search_route(ServerContext& ctx, const RequestArgs& args);
nlohmann::json build_index_route(ServerContext& ctx, const RequestArgs& args);

// ui_page.cpp: the page GET /ui serves.
const char* ui_page_html();

// Shared by the handlers: the request's image `key`, decoded under the request's pixel limit.
cv::Mat request_image(const ServerContext& ctx, const RequestArgs& args, const std::string& key,
                      const PipelineOptions& options, std::vector<std::uint8_t>* bytes = nullptr);

}  // namespace facekit::server
