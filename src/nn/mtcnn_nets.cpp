#include "nn/mtcnn_nets.hpp"

#include <algorithm>
#include <cmath>

namespace facekit::nn::mtcnn {
namespace {

// mtcnn/prelu.ts computes relu(x) + alpha * -relu(-x): exactly x for x >= 0 and alpha * x below, per channel.
class PReluOp final : public Op {
 public:
  explicit PReluOp(std::vector<float> alpha) : alpha_(std::move(alpha)) {}
  const char* type() const override { return "PRelu"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    Tensor y = *in[0];
    apply_prelu(y.ptr(), y.size(), alpha_);
    return y;
  }

 private:
  std::vector<float> alpha_;
};

// tf.softmax(x - max(x)) over the last axis, as the nets call it (upstream subtracts the max itself
// before tf.softmax, which subtracts it again: a no-op), in float32 like tfjs.
class SoftmaxOp final : public Op {
 public:
  const char* type() const override { return "Softmax"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    Tensor y = *in[0];
    const std::int64_t n = y.shape.back();
    for (std::int64_t row = 0; row < y.size() / n; ++row) {
      float* v = y.ptr() + row * n;
      const float max = *std::max_element(v, v + n);
      float sum = 0.f;
      for (std::int64_t k = 0; k < n; ++k) {
        v[k] = std::exp(v[k] - max);
        sum += v[k];
      }
      for (std::int64_t k = 0; k < n; ++k) v[k] /= sum;
    }
    return y;
  }
};

int prelu(Graph& g, const WeightMap& w, int x, const std::string& name) {
  return g.add(std::make_unique<PReluOp>(w.vec(name)), {x}, name);
}

// common/convLayer.ts with 'valid' padding: conv2d + bias, no activation.
int conv(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  return g.conv(x, w.get(prefix + "/weights"), w.vec(prefix + "/bias"), 1, Padding::Valid, Activation::None, prefix);
}

int fully_connected(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  return g.dense(x, w.get(prefix + "/weights"), w.vec(prefix + "/bias"));
}

// sharedLayers.ts: conv1, prelu1, pool, conv2, prelu2, (pool), conv3, prelu3.
int shared_layers(Graph& g, const WeightMap& w, int x, const std::string& net, bool is_pnet) {
  x = prelu(g, w, conv(g, w, x, net + "/conv1"), net + "/prelu1_alpha");
  x = g.max_pool(x, is_pnet ? 2 : 3, 2, Padding::Same);
  x = prelu(g, w, conv(g, w, x, net + "/conv2"), net + "/prelu2_alpha");
  if (!is_pnet) x = g.max_pool(x, 3, 2, Padding::Valid);
  return prelu(g, w, conv(g, w, x, net + "/conv3"), net + "/prelu3_alpha");
}

int softmax(Graph& g, int x) { return g.add(std::make_unique<SoftmaxOp>(), {x}); }

}  // namespace

Graph build_pnet(const WeightMap& w) {
  Graph g;
  const int x = shared_layers(g, w, g.add_input("input"), "pnet", true);
  g.add_output(softmax(g, conv(g, w, x, "pnet/conv4_1")), "prob");
  g.add_output(conv(g, w, x, "pnet/conv4_2"), "regions");
  return g;
}

Graph build_rnet(const WeightMap& w) {
  Graph g;
  int x = shared_layers(g, w, g.add_input("input"), "rnet", false);
  x = g.reshape(x, {1, -1});  // NHWC order of the 3x3x64 map: what tf.reshape flattens
  x = prelu(g, w, fully_connected(g, w, x, "rnet/fc1"), "rnet/prelu4_alpha");
  g.add_output(softmax(g, fully_connected(g, w, x, "rnet/fc2_1")), "prob");
  g.add_output(fully_connected(g, w, x, "rnet/fc2_2"), "regions");
  return g;
}

Graph build_onet(const WeightMap& w) {
  Graph g;
  int x = shared_layers(g, w, g.add_input("input"), "onet", false);
  x = g.max_pool(x, 2, 2, Padding::Same);
  x = prelu(g, w, conv(g, w, x, "onet/conv4"), "onet/prelu4_alpha");
  x = g.reshape(x, {1, -1});
  x = prelu(g, w, fully_connected(g, w, x, "onet/fc1"), "onet/prelu5_alpha");
  g.add_output(softmax(g, fully_connected(g, w, x, "onet/fc2_1")), "prob");
  g.add_output(fully_connected(g, w, x, "onet/fc2_2"), "regions");
  g.add_output(fully_connected(g, w, x, "onet/fc2_3"), "points");
  return g;
}

}  // namespace facekit::nn::mtcnn
