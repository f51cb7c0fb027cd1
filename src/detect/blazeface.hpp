// Decoding of BlazeFace as human 3.x does it in src/face/blazeface.ts and src/face/facemeshutil.ts,
// parametrised for the BlazeFace graphs of human-models (blazeface = blazeface-back 256, blazeface-front
// 128, MediaPipe's facemesh-detection-short 128 and -full 192). Exposed for tests; the detectors of the
// same names (blazeface.cpp) are the users.
#pragma once
#include <array>
#include <vector>

#include "detect/nms.hpp"
#include "facekit/types.hpp"
#include "nn/tensor.hpp"

namespace facekit::blazeface {

inline constexpr int kKeypointCount = 6;
// One merged row: objectness logit, box (dx, dy, w, h), then 6 keypoints (dx, dy), all in input pixels.
inline constexpr int kRowSize = 1 + 4 + 2 * kKeypointCount;

struct Anchor {
  float x = 0, y = 0;  // centre in input pixels
};

// One grid of anchors: cells of `stride` input pixels, `per_cell` anchors at each cell's centre.
struct AnchorLevel {
  int stride = 0;
  int per_cell = 0;
};

// facemeshutil.ts generateAnchors: a stride input/16 grid with 2 anchors per cell, then a stride input/8
// grid with 6 per cell (896 anchors at 256 and at 128; MediaPipe's short-range SsdAnchorsCalculator
// options, strides 8, 16, 16, 16 at 128, give the same anchors).
std::vector<AnchorLevel> human_anchor_levels(int input_size);

// The levels one after the other, each row by row (fixed-size anchors: only centres matter).
std::vector<Anchor> generate_anchors(int input_size, const std::vector<AnchorLevel>& levels);
std::vector<Anchor> generate_anchors(int input_size);  // human_anchor_levels(input_size)

// One BlazeFace graph of human-models.
struct Variant {
  const char* name;         // detector name
  const char* model;        // model file id without extension (human/NAME.json + .bin)
  int input_size;           // square input, RGB -1..1
  std::vector<AnchorLevel> levels;
  const char* description;
  // The graph output with the face rows; nullptr: every signature output (facemesh-detection-full also
  // has a "person" head, [1, 2304, 17] like the face head, left out).
  const char* output = nullptr;
};
const std::vector<Variant>& variants();

// blazeface.ts getBoxes: the converted models have four outputs; sorted by size they are the scores
// and regressors of the 384 coarse anchors and of the 512 fine ones, merged to [512 + 384, 17] rows,
// the fine ones first (the anchors' order). The MediaPipe (tfhub) conversions have one output that
// is already merged ([1, N, 17], score first), which is only squeezed.
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
