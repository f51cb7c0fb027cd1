// faceapi-resnet:flip=1 averages the descriptors of a face and its mirror image, so it must give the
// same descriptor for an image and its mirror (a symmetry of the definition), and differ from flip=0.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"

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

}  // namespace
}  // namespace facekit
