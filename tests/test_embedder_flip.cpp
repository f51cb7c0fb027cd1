// Test-time augmentation of faceapi-resnet. flip=1 averages the descriptors of a face and its mirror
// image, so it must give the same descriptor for an image and its mirror (a symmetry of the
// definition), and differ from flip=0. jitter=N (dlib's num_jitters) averages N slightly moved,
// scaled, rotated and mirrored copies drawn from a fixed-seed generator.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "support/test_support.hpp"

namespace facekit {
namespace {

TEST(EmbedderFlip, MirrorInvariantAndDifferentFromPlain) {
  cv::Mat face(150, 150, CV_8UC3);
  cv::randu(face, 0, 255);
  cv::Mat mirrored;
  cv::flip(face, mirrored, 1);
  auto flip = create_embedder("faceapi-resnet:flip=1");
  auto plain = create_embedder("faceapi-resnet");
  const auto a = flip->embed(face), b = flip->embed(mirrored), p = plain->embed(face);
  ASSERT_EQ(a.size(), 128u);
  double diff_mirror = 0, diff_plain = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff_mirror = std::max(diff_mirror, double(std::abs(a[i] - b[i])));
    diff_plain = std::max(diff_plain, double(std::abs(a[i] - p[i])));
  }
  EXPECT_LT(diff_mirror, 1e-5);
  EXPECT_GT(diff_plain, 1e-3);
  EXPECT_THROW(create_embedder("faceapi-resnet:flop=1"), Error);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

double euclidean(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * double(a[i] - b[i]);
  return std::sqrt(s);
}

TEST(EmbedderJitter, DeterministicAndDifferentFromPlainAndFlip) {
  cv::Mat face(150, 150, CV_8UC3);
  cv::randu(face, 0, 255);
  const auto a = create_embedder("faceapi-resnet:jitter=4")->embed(face);
  const auto again = create_embedder("faceapi-resnet:jitter=4")->embed(face);
  ASSERT_EQ(a.size(), 128u);
  EXPECT_EQ(a, again);  // same draws on every run
  EXPECT_GT(max_abs_diff(a, create_embedder("faceapi-resnet")->embed(face)), 1e-3);
  EXPECT_GT(max_abs_diff(a, create_embedder("faceapi-resnet:flip=1")->embed(face)), 1e-3);
  EXPECT_GT(max_abs_diff(a, create_embedder("faceapi-resnet:jitter=3")->embed(face)), 1e-5);
  EXPECT_THROW(create_embedder("faceapi-resnet:jitter=-1"), Error);
  EXPECT_THROW(create_embedder("faceapi-resnet:jitter=1001"), Error);
  EXPECT_THROW(create_embedder("faceapi-resnet:jitter=2,flip=1"), Error);
}

// On dlib's own 150 px chips (the johns set), the jittered descriptor of a face stays the same person:
// within dlib's published same-person distance 0.6 of the plain descriptor, and nearer to it than to
// the plain descriptor of another person.
TEST(EmbedderJitter, StaysWithTheSamePersonOnDlibChips) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto johns = test::shared_dir() / "data/faces/dlib/johns";
  const cv::Mat salley = load_image((johns / "John_Salley/000179_02159509.jpg").string());
  const cv::Mat savage = load_image((johns / "John_Savage/000264_01099001.jpg").string());
  auto plain = create_embedder("faceapi-resnet");
  const auto jittered = create_embedder("faceapi-resnet:jitter=8")->embed(salley);
  const double to_self = euclidean(jittered, plain->embed(salley));
  EXPECT_LT(to_self, 0.6);
  EXPECT_LT(to_self, euclidean(jittered, plain->embed(savage)));
}

}  // namespace
}  // namespace facekit
