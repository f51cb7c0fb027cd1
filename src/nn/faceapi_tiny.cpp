#include "nn/faceapi_tiny.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "facekit/error.hpp"

namespace facekit::nn::faceapi {
namespace {

// tinyFaceDetector/const.ts BOX_ANCHORS (width, height in grid cells); JS doubles, not float32.
constexpr double kAnchors[5][2] = {
    {1.603231, 2.094468}, {6.041143, 7.080126}, {2.882459, 3.518061}, {4.266906, 5.178857}, {9.041765, 10.66308}};
constexpr int kBoxEncodingSize = 5;  // tx, ty, tw, th, objectness: one class, so no class scores

// tinyYolov2/leaky.ts computes relu(x - 0.1x) + 0.1x rather than max(x, 0.1x); the same float32 steps
// here keep the rounding identical.
class TinyYoloLeakyOp final : public Op {
 public:
  const char* type() const override { return "LeakyRelu"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    constexpr float kAlpha = 0.10000000149011612f;
    Tensor y = *in[0];
    for (float& v : y.data) {
      const float scaled = v * kAlpha;
      v = std::max(v - scaled, 0.f) + scaled;
    }
    return y;
  }
};

int leaky(Graph& g, int x) { return g.add(std::make_unique<TinyYoloLeakyOp>(), {x}); }

// tinyYolov2/depthwiseSeparableConv.ts: pad 1 then a 'valid' 3x3 separable conv (= 'same' at stride 1),
// plus bias, then leaky.
int separable(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  int dw = g.depthwise(x, w.get(prefix + "/depthwise_filter"), {}, 1, Padding::Same, Activation::None,
                       prefix + "/depthwise");
  int pw = g.conv(dw, w.get(prefix + "/pointwise_filter"), w.vec(prefix + "/bias"), 1, Padding::Same,
                  Activation::None, prefix + "/pointwise");
  return leaky(g, pw);
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

Graph build_tiny_face_detector(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  // common/convLayer.ts with 'valid' padding: the first layer shrinks S to S - 2.
  x = leaky(g, g.conv(x, w.get("conv0/filters"), w.vec("conv0/bias"), 1, Padding::Valid, Activation::None, "conv0"));
  for (const char* layer : {"conv1", "conv2", "conv3", "conv4", "conv5"}) {
    x = g.max_pool(x, 2, 2, Padding::Same);
    x = separable(g, w, x, layer);
  }
  // The last pool has stride 1: it keeps the S/32 grid.
  x = g.max_pool(x, 2, 1, Padding::Same);
  x = g.conv(x, w.get("conv8/filters"), w.vec("conv8/bias"), 1, Padding::Valid, Activation::None, "conv8");
  g.add_output(x, "grid");
  return g;
}

std::vector<TinyYoloBox> decode_tiny_face_grid(const Tensor& grid, int image_width_in_input, int image_height_in_input,
                                               double score_threshold) {
  const int num_anchors = static_cast<int>(std::size(kAnchors));
  if (grid.rank() != 4 || grid.shape[1] != grid.shape[2] || grid.shape[3] != num_anchors * kBoxEncodingSize)
    throw Error(ErrorCode::Internal, "tiny face detector: unexpected output " + shape_string(grid.shape));
  const int cells = static_cast<int>(grid.shape[1]);
  const double input_size = std::max(image_width_in_input, image_height_in_input);
  const double correction_x = input_size / image_width_in_input;
  const double correction_y = input_size / image_height_in_input;
  std::vector<TinyYoloBox> boxes;
  for (int row = 0; row < cells; ++row) {
    for (int col = 0; col < cells; ++col) {
      for (int anchor = 0; anchor < num_anchors; ++anchor) {
        const float* e = grid.ptr() + ((std::int64_t(row) * cells + col) * num_anchors + anchor) * kBoxEncodingSize;
        const double score = sigmoid(e[4]);
        if (score_threshold > 0 && !(score > score_threshold)) continue;
        const double center_x = ((col + sigmoid(e[0])) / cells) * correction_x;
        const double center_y = ((row + sigmoid(e[1])) / cells) * correction_y;
        const double width = ((std::exp(double(e[2])) * kAnchors[anchor][0]) / cells) * correction_x;
        const double height = ((std::exp(double(e[3])) * kAnchors[anchor][1]) / cells) * correction_y;
        const double left = center_x - width / 2, top = center_y - height / 2;
        boxes.push_back({left, top, left + width, top + height, score});
      }
    }
  }
  return boxes;
}

}  // namespace facekit::nn::faceapi
