// REST server: bad requests of every kind get a 4xx with a JSON message that says what was wrong,
// and the server keeps serving. These need no model files (detector "skip", alignment off).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "support/server_fixture.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::server::ServerOptions;
using namespace facekit::test;

namespace {

std::string small_png(int width = 64, int height = 48) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(30, 120, 200));
  std::vector<std::uint8_t> png;
  cv::imencode(".png", img, png);
  return {png.begin(), png.end()};
}

// A request that needs no model: the whole image is the face, not rotated.
nlohmann::json whole_image_request(const std::string& img) {
  return {{"img", img}, {"detector_backend", "skip"}, {"align", false}, {"return_face", false}};
}

void expect_error(const Reply& r, int status, const std::string& phrase) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << "not JSON: " << r.body;
  ASSERT_TRUE(r.json.contains("error")) << r.body;
  EXPECT_NE(r.json["error"].get<std::string>().find(phrase), std::string::npos)
      << "message '" << r.json["error"].get<std::string>() << "' lacks '" << phrase << "'";
}

}  // namespace

TEST(Server, HealthUnknownRouteAndWrongMethodAnswerJson) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  const Reply health = reply_of(c->Get("/"));
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.json["status"], "ok");
  expect_error(reply_of(c->Get("/nope")), 404, "no route /nope");
  expect_error(reply_of(c->Get("/represent")), 405, "GET is not allowed on /represent");
}

TEST(Server, MalformedJsonIs400) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  expect_error(reply_of(c->Post("/represent", "{\"img\": ", "application/json")), 400, "not valid JSON");
  expect_error(reply_of(c->Post("/represent", "[1, 2]", "application/json")), 400, "must be a JSON object");
}

TEST(Server, MissingFieldsAre400) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  expect_error(post_json(*c, "/represent", nlohmann::json::object()), 400, "missing field 'img'");
  expect_error(post_json(*c, "/verify", {{"img1", data_uri(small_png(), "image/png")}}), 400, "missing field 'img2'");
  expect_error(post_json(*c, "/extract_faces", {{"model_name", "faceapi-resnet"}}), 400, "missing field 'img'");
}

TEST(Server, NonImagePayloadsAre400) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  // Valid base64 of text that is no image.
  expect_error(post_json(*c, "/extract_faces", whole_image_request(data_uri("this is plain text, not a picture"))),
               400, "field 'img'");
  // Not base64 at all.
  expect_error(post_json(*c, "/extract_faces", whole_image_request("data:image/png;base64,@@@@!!!!")), 400,
               "not valid base64");
  // A multipart upload of a text file.
  httplib::MultipartFormDataItems items = {{"img", "not an image", "notes.txt", "text/plain"}};
  const Reply upload = reply_of(c->Post("/represent", items));
  EXPECT_EQ(upload.status, 400) << upload.body;
  EXPECT_NE(upload.body.find("notes.txt"), std::string::npos) << upload.body;
}

TEST(Server, WrongFieldTypesAre400) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  auto request = whole_image_request(data_uri(small_png(), "image/png"));
  request["enforce_detection"] = "perhaps";
  expect_error(post_json(*c, "/extract_faces", request), 400, "field 'enforce_detection' must be true or false");
  request = whole_image_request(data_uri(small_png(), "image/png"));
  request["max_faces"] = 0;
  expect_error(post_json(*c, "/extract_faces", request), 400, "max_faces");
  request = whole_image_request(data_uri(small_png(), "image/png"));
  request["detector_backend"] = "no-such-detector";
  expect_error(post_json(*c, "/extract_faces", request), 400, "no-such-detector");
}

TEST(Server, OversizeBodyIs413) {
  ServerOptions options;
  options.limits.max_body_bytes = 64 * 1024;
  InProcessServer srv(options);
  auto c = srv.client();
  const std::string big(200 * 1024, 'A');
  expect_error(post_json(*c, "/represent", {{"img", "data:image/png;base64," + big}}), 413, "larger than");
  // The same server still answers.
  EXPECT_EQ(reply_of(srv.client()->Get("/")).status, 200);
}

TEST(Server, OversizeImageIs413BeforeDecoding) {
  ServerOptions options;
  options.limits.max_pixels = 1000;  // the 64x48 image has 3,072
  InProcessServer srv(options);
  auto c = srv.client();
  const Reply r = post_json(*c, "/extract_faces", whole_image_request(data_uri(small_png(), "image/png")));
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST(Server, ServerSidePathsAreOffByDefault) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  expect_error(post_json(*c, "/extract_faces", whole_image_request("/etc/passwd")), 403, "disabled");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("photo.jpg")), 403, "disabled");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("https://example.com/a.jpg")), 400,
               "does not fetch URLs");
}

TEST(Server, PathsAreConfinedToTheAllowedFolder) {
  const fs::path root = temp_dir("server_paths");
  const fs::path allowed = root / "allowed";
  fs::create_directories(allowed / "sub");
  std::ofstream(allowed / "sub" / "face.png", std::ios::binary) << small_png();
  std::ofstream(root / "secret.png", std::ios::binary) << small_png();
  fs::create_symlink(root / "secret.png", allowed / "link.png");
  ServerOptions options;
  options.allowed_dir = allowed;
  InProcessServer srv(options);
  auto c = srv.client();

  const Reply inside = post_json(*c, "/extract_faces", whole_image_request("sub/face.png"));
  ASSERT_EQ(inside.status, 200) << inside.body;
  EXPECT_EQ(inside.json["results"].size(), 1u);
  EXPECT_EQ(post_json(*c, "/extract_faces", whole_image_request((allowed / "sub/face.png").string())).status, 200);

  expect_error(post_json(*c, "/extract_faces", whole_image_request("/etc/passwd")), 403, "outside the folder");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("../secret.png")), 403, "outside the folder");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("sub/../../secret.png")), 403, "outside the folder");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("link.png")), 403, "outside the folder");
  expect_error(post_json(*c, "/extract_faces", whole_image_request("sub/missing.png")), 404, "no file");
}

TEST(Server, BearerTokenIsRequiredWhenConfigured) {
  ServerOptions options;
  options.token = "s3cret-token";
  InProcessServer srv(options);
  const auto request = whole_image_request(data_uri(small_png(), "image/png"));
  expect_error(post_json(*srv.client(), "/extract_faces", request), 401, "missing bearer token");
  expect_error(post_json(*srv.client("wrong-token"), "/extract_faces", request), 401, "invalid bearer token");
  expect_error(post_json(*srv.client("s3cret-token-and-more"), "/extract_faces", request), 401, "invalid bearer token");
  expect_error(reply_of(srv.client()->Get("/models")), 401, "missing bearer token");
  EXPECT_EQ(post_json(*srv.client("s3cret-token"), "/extract_faces", request).status, 200);
  EXPECT_EQ(reply_of(srv.client()->Get("/")).status, 200);  // the health check stays open
}

TEST(Server, ConstantTimeEqualComparesWholeStrings) {
  using facekit::server::constant_time_equal;
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abd", "abc"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "abc"));
  EXPECT_FALSE(constant_time_equal(std::string("abc\0", 4), "abc"));
}

TEST(Server, GalleryRoutesWithoutAGalleryAre503) {
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  const auto request = whole_image_request(data_uri(small_png(), "image/png"));
  expect_error(post_json(*c, "/search", request), 503, "--gallery");
  expect_error(post_json(*c, "/register", request), 503, "--gallery");
  expect_error(post_json(*c, "/build/index", nlohmann::json::object()), 503, "--gallery");
}

TEST(Server, KeepsServingThroughConcurrentBadRequests) {
  ServerOptions options;
  options.limits.max_body_bytes = 64 * 1024;
  options.token = "tok";
  InProcessServer srv(options);
  const auto good = whole_image_request(data_uri(small_png(), "image/png"));
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto c = srv.client("tok");
      for (int i = 0; i < 10; ++i) {
        wrong += reply_of(c->Post("/represent", "{oops", "application/json")).status != 400;
        wrong += post_json(*c, "/verify", {{"img1", "data:image/png;base64,AAAA"}}).status != 400;
        wrong += post_json(*c, "/represent", {{"img", std::string(100 * 1024, 'A')}}).status != 413;
        wrong += post_json(*srv.client("bad"), "/represent", good).status != 401;
        wrong += post_json(*c, "/extract_faces", good).status != 200;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(post_json(*srv.client("tok"), "/extract_faces", good).status, 200);
}
