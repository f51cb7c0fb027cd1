// Decoding of BlazeFace ("back" model, human-models blazeface.json) as human 3.x does it in
// src/face/blazeface.ts and src/face/facemeshutil.ts. Exposed for tests; the "blazeface" detector
// (blazeface.cpp) is the user.
#pragma once
#include <array>
#include <vector>

#include "detect/nms.hpp"
#include "facekit/types.hpp"
#include "nn/tensor.hpp"

namespace facekit::blazeface {

inline constexpr int kInputSize = 256;
inline constexpr int kKeypointCount = 6;
// One merged row: objectness logit, box (dx, dy, w, h), then 6 keypoints (dx, dy), all in input pixels.
inline constexpr int kRowSize = 1 + 4 + 2 * kKeypointCount;

struct Anchor {
  float x = 0, y = 0;  // centre in input pixels
};

// facemeshutil.ts generateAnchors: a stride input/16 grid with 2 anchors per cell, then a stride input/8
// grid with 6 per cell, row by row (896 anchors at 256).
std::vector<Anchor> generate_anchors(int input_size);

// blazeface.ts getBoxes: the converted model has four outputs; sorted by size they are the scores
// and regressors of the 384 coarse anchors and of the 512 fine ones, merged to [512 + 384, 17] rows,
// the fine ones first (the anchors' order).
nn::Tensor merge_outputs(std::vector<nn::Tensor> outputs);

struct DecodedBoxes {
  std::vector<detect::Corners> boxes;  // x1, y1, x2, y2 in input pixels, each a float32 as tfjs computes it
  std::vector<double> scores;          // sigmoid of the logit, float32
};

// decodeBoxes + the sigmoid: centre = (dx, dy) + anchor, corners = centre -/+ (w, h) / 2.
DecodedBoxes decode_boxes(const nn::Tensor& rows, const std::vector<Anchor>& anchors);

// facemeshutil.ts scaleBoxCoordinates for the keypoints of row `index`: (k + anchor) * scale, the
// scale taking input pixels to image pixels.
std::vector<Point> decode_keypoints(const nn::Tensor& rows, int index, const Anchor& anchor, double scale_x,
                                    double scale_y);

}  // namespace facekit::blazeface
