// PipelineOptions::landmarker "a+b": one chip per landmarker and the mean of their descriptors. By
// definition the embedding must equal the mean of what the single-landmarker pipelines give, while the
// reported landmarks and chip are the first landmarker's.
#include <gtest/gtest.h>

#include <cmath>

#include "core/pipeline.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "support/test_support.hpp"

namespace facekit {
namespace {

PipelineOptions with_landmarker(const std::string& landmarker) {
  PipelineOptions o;
  o.landmarker = landmarker;
  return o;
}

TEST(PipelineViews, EmbeddingIsTheMeanOfTheViews) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto path = (test::shared_dir() / "data/faces/face_recognition/examples/obama.jpg").string();
  const cv::Mat rgb = load_image(path);
  Pipeline first(with_landmarker("dlib68")), second(with_landmarker("faceapi68-tiny"));
  Pipeline both(with_landmarker("dlib68+faceapi68-tiny"));
  const auto a = first.run(rgb, path, true), b = second.run(rgb, path, true), ab = both.run(rgb, path, true);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(ab.size(), 1u);
  const auto& e = ab[0].embedding;
  ASSERT_EQ(e.size(), a[0].embedding.size());
  double moved = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    EXPECT_NEAR(e[i], 0.5 * (double(a[0].embedding[i]) + b[0].embedding[i]), 1e-6) << i;
    moved = std::max(moved, double(std::abs(a[0].embedding[i] - b[0].embedding[i])));
  }
  EXPECT_GT(moved, 1e-4);  // the two landmarkers really give different chips
  EXPECT_EQ(ab[0].region.landmarks.size(), a[0].region.landmarks.size());
  for (std::size_t i = 0; i < a[0].region.landmarks.size(); ++i)
    EXPECT_EQ(ab[0].region.landmarks[i].x, a[0].region.landmarks[i].x);
}

TEST(PipelineViews, BadListsAreRefused) {
  EXPECT_THROW(Pipeline(with_landmarker("dlib68+")), Error);
  EXPECT_THROW(Pipeline(with_landmarker("+dlib68")), Error);
  try {
    Pipeline p(with_landmarker("dlib68+nosuchlandmarker"));
    FAIL() << "unknown landmarker accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nosuchlandmarker"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace facekit
