// REST server on real photos: the routes give what the library gives, verdicts match the pairs
// face_recognition's own tests assert, and the gallery routes find a registered person.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "facekit/analyze.hpp"
#include "facekit/facekit.hpp"
#include "support/server_fixture.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::server::ServerOptions;
using namespace facekit::test;

namespace {

fs::path test_image(const std::string& name) {
  return shared_dir() / "data/faces/face_recognition/tests/test_images" / name;
}

}  // namespace

TEST(ServerFaces, RepresentGivesTheLibrarysEmbedding) {
  FACEKIT_REQUIRE_SHARED_DIR();
  InProcessServer srv(ServerOptions{});
  const std::string bytes = file_bytes(test_image("obama.jpg"));
  const Reply r = post_json(*srv.client(), "/represent", {{"img", data_uri(bytes)}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["results"].size(), 1u);
  const auto embedding = r.json["results"][0]["embedding"].get<std::vector<float>>();
  const auto direct = facekit::represent(facekit::FaceInput::file(test_image("obama.jpg").string()));
  ASSERT_EQ(direct.size(), 1u);
  ASSERT_EQ(embedding.size(), direct[0].embedding.size());
  for (std::size_t i = 0; i < embedding.size(); ++i) EXPECT_NEAR(embedding[i], direct[0].embedding[i], 1e-6);
  EXPECT_EQ(r.json["results"][0]["facial_area"]["w"], direct[0].facial_area.w);
}

TEST(ServerFaces, VerifyMatchesFaceRecognitionsAssertedPairs) {
  FACEKIT_REQUIRE_SHARED_DIR();
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  // face_recognition's test_compare_faces: obama vs obama2 match, obama vs biden do not.
  const Reply same = post_json(*c, "/verify", {{"img1", data_uri(file_bytes(test_image("obama.jpg")))},
                                               {"img2", data_uri(file_bytes(test_image("obama2.jpg")))}});
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_TRUE(same.json["verified"].get<bool>()) << same.body;
  // The same request as multipart uploads, deepface's other encoding.
  httplib::MultipartFormDataItems items = {
      {"img1", file_bytes(test_image("obama.jpg")), "obama.jpg", "image/jpeg"},
      {"img2", file_bytes(test_image("biden.jpg")), "biden.jpg", "image/jpeg"},
      {"distance_metric", "euclidean", "", ""}};
  const Reply different = reply_of(c->Post("/verify", items));
  ASSERT_EQ(different.status, 200) << different.body;
  EXPECT_FALSE(different.json["verified"].get<bool>()) << different.body;
  EXPECT_EQ(different.json["similarity_metric"], "euclidean");
}

TEST(ServerFaces, ExtractFacesReturnsDecodableFaceImages) {
  FACEKIT_REQUIRE_SHARED_DIR();
  InProcessServer srv(ServerOptions{});
  const Reply r = post_json(*srv.client(), "/extract_faces", {{"img", data_uri(file_bytes(test_image("obama.jpg")))}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["results"].size(), 1u);
  const std::string uri = r.json["results"][0]["face"];
  ASSERT_EQ(uri.rfind("data:image/png;base64,", 0), 0u);
  const auto png = facekit::server::base64_decode(uri.substr(uri.find(',') + 1));
  ASSERT_TRUE(png);
  const cv::Mat face = cv::imdecode(*png, cv::IMREAD_COLOR);
  EXPECT_GT(face.cols, 0);
  EXPECT_EQ(face.cols, face.rows);
}

TEST(ServerFaces, NoFaceIs422AndMaxFacesLimitsTheWork) {
  FACEKIT_REQUIRE_SHARED_DIR();
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  cv::Mat blank(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<std::uint8_t> png;
  cv::imencode(".png", blank, png);
  const Reply none = post_json(*c, "/represent", {{"img", data_uri({png.begin(), png.end()}, "image/png")}});
  EXPECT_EQ(none.status, 422) << none.body;
  EXPECT_NE(none.body.find("no face"), std::string::npos) << none.body;

  // face-api.js's test image with six faces: max_faces keeps the most confident ones, and the
  // server's own limit caps what a request may ask for.
  const std::string group = data_uri(file_bytes(shared_dir() / "data/faces/faceapi-js/test/images/faces.jpg"));
  const Reply all = post_json(*c, "/extract_faces", {{"img", group}, {"return_face", false}});
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_GT(all.json["results"].size(), 2u);
  const Reply one = post_json(*c, "/extract_faces", {{"img", group}, {"return_face", false}, {"max_faces", 1}});
  ASSERT_EQ(one.status, 200) << one.body;
  ASSERT_EQ(one.json["results"].size(), 1u);
  EXPECT_EQ(one.json["results"][0], all.json["results"][0]);
  ServerOptions limited;
  limited.limits.max_faces = 2;
  InProcessServer capped(limited);
  const Reply two = post_json(*capped.client(), "/extract_faces", {{"img", group}, {"return_face", false}, {"max_faces", 10}});
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.json["results"].size(), 2u);
}

TEST(ServerFaces, RegisterThenSearchFindsThePerson) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const fs::path dir = temp_dir("server_gallery");
  ServerOptions options;
  options.gallery = (dir / "gallery.db").string();
  InProcessServer srv(options);
  auto c = srv.client();
  for (const auto& [name, file] : {std::pair{"obama", "obama.jpg"}, std::pair{"biden", "biden.jpg"}}) {
    const Reply r = post_json(*c, "/register", {{"img", data_uri(file_bytes(test_image(file)))}, {"img_name", name}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["inserted"], 1);
  }
  const Reply found = post_json(*c, "/search", {{"img", data_uri(file_bytes(test_image("obama2.jpg")))}});
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(found.json["results"].size(), 1u);
  const auto& matches = found.json["results"][0]["matches"];
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0]["img_name"], "obama");
  EXPECT_TRUE(matches[0]["verified"].get<bool>());
  EXPECT_FALSE(matches[1]["verified"].get<bool>());

  const Reply index = post_json(*c, "/build/index", {{"search_method", "hnsw"}});
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.json["faces"], 2);
  const Reply hnsw = post_json(*c, "/search", {{"img", data_uri(file_bytes(test_image("obama3.jpg")))},
                                               {"search_method", "hnsw"}, {"k", 1}});
  ASSERT_EQ(hnsw.status, 200) << hnsw.body;
  EXPECT_EQ(hnsw.json["results"][0]["matches"][0]["identity"], "obama");
  EXPECT_EQ(post_json(*c, "/register", {{"img", data_uri(file_bytes(test_image("obama.jpg")))}}).status, 400);
}

TEST(ServerFaces, ConcurrentRequestsGetTheSameAnswers) {
  FACEKIT_REQUIRE_SHARED_DIR();
  ServerOptions options;
  options.workers = 2;
  InProcessServer srv(options);
  const std::string img = data_uri(file_bytes(test_image("obama2.jpg")));
  const Reply reference = post_json(*srv.client(), "/represent", {{"img", img}});
  ASSERT_EQ(reference.status, 200) << reference.body;
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&] {
      auto c = srv.client();
      for (int i = 0; i < 2; ++i) {
        const Reply r = post_json(*c, "/represent", {{"img", img}});
        if (r.status != 200) ++failures;
        else if (r.json["results"] != reference.json["results"]) ++mismatches;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(mismatches, 0);
}

TEST(ServerFaces, ARequestOverTheTimeoutIs504AndTheServerGoesOn) {
  FACEKIT_REQUIRE_SHARED_DIR();
  ServerOptions options;
  options.timeout = std::chrono::milliseconds(1);  // no pipeline run on a real photo is that fast
  InProcessServer srv(options);
  const Reply slow = post_json(*srv.client(), "/represent", {{"img", data_uri(file_bytes(test_image("obama.jpg")))}});
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_NE(slow.body.find("did not finish within 1 ms"), std::string::npos) << slow.body;
  EXPECT_EQ(reply_of(srv.client()->Get("/")).status, 200);
}

TEST(ServerFaces, AnalyzeGivesTheLibrarysAnalysis) {
  FACEKIT_REQUIRE_SHARED_DIR();
  InProcessServer srv(ServerOptions{});
  auto c = srv.client();
  const Reply r = post_json(*c, "/analyze", {{"img", data_uri(file_bytes(test_image("obama.jpg")))}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto direct = facekit::analyze(facekit::FaceInput::file(test_image("obama.jpg").string()));
  EXPECT_EQ(r.json["results"], nlohmann::json(direct));
  ASSERT_EQ(r.json["results"].size(), 1u);
  EXPECT_TRUE(r.json["results"][0].contains("dominant_emotion"));

  // deepface's form-field spelling of a subset of actions.
  httplib::MultipartFormDataItems items = {{"img", file_bytes(test_image("obama.jpg")), "obama.jpg", "image/jpeg"},
                                           {"actions", "[age]", "", ""}};
  const Reply age_only = reply_of(c->Post("/analyze", items));
  ASSERT_EQ(age_only.status, 200) << age_only.body;
  EXPECT_TRUE(age_only.json["results"][0].contains("age"));
  EXPECT_FALSE(age_only.json["results"][0].contains("gender"));
  const Reply unknown = post_json(*c, "/analyze", {{"img", data_uri(file_bytes(test_image("obama.jpg")))},
                                                   {"actions", {"age", "height"}}});
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("height"), std::string::npos) << unknown.body;
}
