#include "nn/faceapi_attribute_nets.hpp"

#include <algorithm>
#include <cmath>

#include "nn/faceapi_nets.hpp"
#include "nn/image_prep.hpp"

namespace facekit::nn::faceapi {
namespace {

// tf.relu as a node of its own: TinyXception feeds both x and relu(x) onward, so the relu cannot
// be fused into the op that produced x.
class ReluOp final : public Op {
 public:
  const char* type() const override { return "Relu"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    Tensor out = *in[0];
    apply_activation(out.ptr(), out.size(), Activation::Relu);
    return out;
  }
};

int relu(Graph& g, int x) { return g.add(std::make_unique<ReluOp>(), {x}); }

// TinyXception.ts conv(): conv2d(x, filters, stride, 'same') + bias.
int conv_same(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride, Activation act) {
  return g.conv(x, w.get(prefix + "/filters"), w.vec(prefix + "/bias"), stride, Padding::Same, act, prefix);
}

// TinyXception.ts reductionBlock(): two separable convs, a 3x3/2 max pool, plus a strided 1x1
// "expansion" conv of the block's (unactivated) input.
int reduction_block(Graph& g, const WeightMap& w, int x, const std::string& prefix, bool activate_input) {
  int out = activate_input ? relu(g, x) : x;
  out = separable_conv(g, w, out, prefix + "/separable_conv0", 1, Activation::Relu);
  out = separable_conv(g, w, out, prefix + "/separable_conv1", 1, Activation::None);
  out = g.max_pool(out, 3, 2, Padding::Same);
  return g.add(out, conv_same(g, w, x, prefix + "/expansion_conv", 2, Activation::None));
}

// TinyXception.ts mainBlock(): three relu -> separable conv steps and a residual connection.
int main_block(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  int out = separable_conv(g, w, relu(g, x), prefix + "/separable_conv0", 1, Activation::Relu);
  out = separable_conv(g, w, out, prefix + "/separable_conv1", 1, Activation::Relu);
  out = separable_conv(g, w, out, prefix + "/separable_conv2", 1, Activation::None);
  return g.add(out, x);
}

}  // namespace

Graph build_age_gender_net(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  // xception/TinyXception.ts forwardInput() with numMainBlocks = 2 (AgeGenderNet's constructor).
  x = conv_same(g, w, x, "entry_flow/conv_in", 2, Activation::Relu);
  x = reduction_block(g, w, x, "entry_flow/reduction_block_0", false);
  x = reduction_block(g, w, x, "entry_flow/reduction_block_1", true);
  for (const char* block : {"middle_flow/main_block_0", "middle_flow/main_block_1"}) x = main_block(g, w, x, block);
  x = reduction_block(g, w, x, "exit_flow/reduction_block", true);
  x = separable_conv(g, w, x, "exit_flow/separable_conv", 1, Activation::Relu);
  // AgeGenderNet.ts runNet()
  x = g.avg_pool(x, 7, 2, Padding::Valid);
  x = g.reshape(x, {1, -1});
  g.add_output(g.dense(x, w.get("fc/age/weights", {512, 1}), w.vec("fc/age/bias")), "age");
  g.add_output(g.dense(x, w.get("fc/gender/weights", {512, 2}), w.vec("fc/gender/bias")), "gender_logits");
  return g;
}

Graph build_expression_net(const WeightMap& w) {
  // FaceProcessor.runNet() on FaceFeatureExtractor is, layer for layer, the graph of FaceLandmark68Net
  // (FaceLandmark68NetBase.runNet(): the same extractor, avgPool 7x7/2, one fc); only the fc width
  // differs (7 instead of 136), and the builder takes it from the weights.
  w.get("fc/weights", {256, 7});  // a landmark manifest given by mistake fails here, by name
  return build_landmark68_net(w);
}

Tensor faceapi_face_input(const cv::Mat& face_rgb) {
  Tensor x = faceapi_batch_tensor(face_rgb, 112, true);
  normalize_channels(x, {122.782f, 117.001f, 104.298f}, 255.f);
  return x;
}

std::vector<float> softmax(const std::vector<float>& logits) {
  if (logits.empty()) return {};
  const float top = *std::max_element(logits.begin(), logits.end());
  std::vector<float> p(logits.size());
  float sum = 0.f;
  for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(logits[i] - top);
  for (float& v : p) v /= sum;
  return p;
}

}  // namespace facekit::nn::faceapi
