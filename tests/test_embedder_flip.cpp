// Test-time augmentation of faceapi-resnet. flip=1 averages the descriptors of a face and its mirror
// image, so it must give the same descriptor for an image and its mirror (a symmetry of the
// definition), and differ from flip=0. tta=3 averages the plain descriptors of fixed windows
// of the chip, which the tests rebuild by hand from the plain embedder.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

cv::Mat random_face(int size) {
  cv::Mat face(size, size, CV_8UC3);
  cv::randu(face, 0, 255);
  return face;
}

// The mean of the plain descriptors of `windows` of `chip` (and of their mirrors when `flip`).
std::vector<float> mean_of_windows(const cv::Mat& chip, const std::vector<cv::Rect>& windows, bool flip) {
  auto plain = create_embedder("faceapi-resnet");
  std::vector<float> sum(128, 0.f);
  int n = 0;
  for (const cv::Rect& r : windows) {
    cv::Mat view = chip(r).clone(), mirrored;
    cv::flip(view, mirrored, 1);
    for (const cv::Mat* v : {&view, &mirrored}) {
      if (v == &mirrored && !flip) continue;
      const auto e = plain->embed(*v);
      for (int i = 0; i < 128; ++i) sum[i] += e[i];
      ++n;
    }
  }
  for (float& x : sum) x /= n;
  return sum;
}

TEST(EmbedderFlip, MirrorInvariantAndDifferentFromPlain) {
  const cv::Mat face = random_face(150);
  cv::Mat mirrored;
  cv::flip(face, mirrored, 1);
  auto flip = create_embedder("faceapi-resnet:flip=1");
  auto plain = create_embedder("faceapi-resnet");
  const auto a = flip->embed(face), b = flip->embed(mirrored), p = plain->embed(face);
  ASSERT_EQ(a.size(), 128u);
  EXPECT_LT(max_abs_diff(a, b), 1e-5);
  EXPECT_GT(max_abs_diff(a, p), 1e-3);
  EXPECT_THROW(create_embedder("faceapi-resnet:flop=1"), Error);
}

TEST(EmbedderTta, ThreeScalesAreTheMeanOfThreeCentredWindows) {
  // A 160-px chip with padding 0.3: windows of 160, 150 (padding 0.25) and 140 px (padding 0.2).
  const cv::Mat chip = random_face(160);
  auto tta = create_embedder("faceapi-resnet:tta=3");
  EXPECT_EQ(tta->preferred_alignment(), "5point:size=160,padding=0.3");
  EXPECT_EQ(create_embedder("faceapi-resnet")->preferred_alignment(), "5point");
  const auto expected = mean_of_windows(chip, {{0, 0, 160, 160}, {5, 5, 150, 150}, {10, 10, 140, 140}}, false);
  EXPECT_LT(max_abs_diff(tta->embed(chip), expected), 1e-5);
  const auto expected_flip =
      mean_of_windows(chip, {{0, 0, 160, 160}, {5, 5, 150, 150}, {10, 10, 140, 140}}, true);
  EXPECT_LT(max_abs_diff(create_embedder("faceapi-resnet:flip=1,tta=3")->embed(chip), expected_flip), 1e-5);
  EXPECT_THROW(create_embedder("faceapi-resnet:tta=2"), Error);
}

}  // namespace
}  // namespace facekit
