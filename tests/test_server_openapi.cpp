// docs/openapi.yaml stays true: it lists exactly the server's routes (path and method), and every
// listed route is answered by a running server (not 404/405).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "support/server_fixture.hpp"

using namespace facekit::test;

namespace {

// (METHOD, path) pairs under `paths:`; the file's layout is two spaces per level.
std::set<std::pair<std::string, std::string>> documented_routes(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << file;
  std::set<std::pair<std::string, std::string>> out;
  const std::regex path_line(R"(^  (/[^:\s]*):\s*$)"), method_line(R"(^    (get|post|put|delete|patch):)");
  bool in_paths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') in_paths = line.rfind("paths:", 0) == 0;
    if (!in_paths) continue;
    std::smatch m;
    if (std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (std::regex_search(line, m, method_line) && !path.empty()) {
      std::string method = m[1];
      for (char& c : method) c = char(std::toupper(static_cast<unsigned char>(c)));
      out.insert({method, path});
    }
  }
  return out;
}

}  // namespace

TEST(ServerOpenApi, DocumentsExactlyTheServersRoutes) {
  const auto documented = documented_routes(std::string(FACEKIT_SOURCE_DIR) + "/docs/openapi.yaml");
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& r : facekit::server::Server::routes()) served.insert({r.method, r.path});
  ASSERT_GE(served.size(), 9u);
  for (const auto& r : served) EXPECT_TRUE(documented.count(r)) << r.first << " " << r.second << " is not documented";
  for (const auto& r : documented) EXPECT_TRUE(served.count(r)) << r.first << " " << r.second << " is not served";
}

TEST(ServerOpenApi, EveryDocumentedRouteIsAnswered) {
  InProcessServer srv(facekit::server::ServerOptions{});
  auto c = srv.client();
  for (const auto& [method, path] : documented_routes(std::string(FACEKIT_SOURCE_DIR) + "/docs/openapi.yaml")) {
    // An empty body is a bad request on every POST route, never an unknown route.
    const Reply r = reply_of(method == "GET" ? c->Get(path.c_str()) : c->Post(path.c_str(), "{}", "application/json"));
    EXPECT_NE(r.status, 0) << method << " " << path << ": no answer";
    EXPECT_NE(r.status, 404) << method << " " << path << ": " << r.body;
    EXPECT_NE(r.status, 405) << method << " " << path << ": " << r.body;
  }
}
