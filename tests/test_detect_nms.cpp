// The NMS variants of detect/nms.hpp: where tfjs and face-api.js differ (threshold equality, ties).
#include <gtest/gtest.h>

#include "detect/nms.hpp"

using namespace facekit::detect;

namespace {

// Two 10x10 boxes overlapping by half their width: IoU = 50 / 150 = 1/3.
const std::vector<Corners> kPair = {{0, 0, 10, 10}, {5, 0, 15, 10}};

}  // namespace

TEST(DetectNms, IouTreatsCornersInAnyOrder) {
  EXPECT_DOUBLE_EQ(corner_iou(kPair[0], kPair[1]), 1.0 / 3);
  EXPECT_DOUBLE_EQ(corner_iou({10, 10, 0, 0}, kPair[1]), 1.0 / 3);
  EXPECT_EQ(corner_iou({0, 0, 0, 10}, kPair[1]), 0.0);  // no area
}

TEST(DetectNms, TfjsSuppressesAtTheThresholdFaceApiAbove) {
  const std::vector<double> scores = {0.9, 0.8};
  EXPECT_EQ(tfjs_nms(kPair, scores, 10, 1.0 / 3, 0.0), (std::vector<int>{0}));
  EXPECT_EQ(faceapi_nms(kPair, scores, 1.0 / 3), (std::vector<int>{0, 1}));
  EXPECT_EQ(faceapi_nms(kPair, scores, 0.3), (std::vector<int>{0}));
}

TEST(DetectNms, TiesPickTheIndexEachUpstreamPicks) {
  const std::vector<double> tied = {0.7, 0.7};
  EXPECT_EQ(tfjs_nms(kPair, tied, 10, 0.3, 0.0), (std::vector<int>{0}));  // lower index first
  EXPECT_EQ(faceapi_nms(kPair, tied, 0.3), (std::vector<int>{1}));        // higher index first
}

TEST(DetectNms, TfjsAppliesScoreThresholdAndMaxResults) {
  const std::vector<Corners> apart = {{0, 0, 1, 1}, {5, 5, 6, 6}, {9, 9, 10, 10}};
  EXPECT_EQ(tfjs_nms(apart, {0.5, 0.2, 0.9}, 10, 0.1, 0.2), (std::vector<int>{2, 0}));  // 0.2 is not > 0.2
  EXPECT_EQ(tfjs_nms(apart, {0.5, 0.3, 0.9}, 2, 0.1, 0.2), (std::vector<int>{2, 0}));
}
