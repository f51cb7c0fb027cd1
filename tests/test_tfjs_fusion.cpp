// Load-time fusion of the tfjs importer (src/nn/tfjs_fusion.cpp) on small model.json files written
// here, in the shapes the TensorFlow converter leaves in human's models: batch-norm Mul/Add after a
// convolution, PReLU as Relu/Abs/Sub/Mul/Add (and without the Relu), Relu6 as Relu + Minimum(6) +
// Maximum(0), and a residual AddV2. Each output is checked against the formula computed directly in
// this file, and the graph size shows that the tail was folded into the convolution.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nn/tfjs_graph.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::nn::Tensor;
using nlohmann::json;

namespace {

struct Weight {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

json node(const std::string& name, const std::string& op, std::vector<std::string> inputs = {}, json attr = json::object()) {
  json n = {{"name", name}, {"op", op}, {"attr", attr}};
  if (!inputs.empty()) n["input"] = inputs;
  return n;
}

// Conv attributes: stride 1, SAME ("U0FNRQ==" is base64 of SAME).
json conv_attr() { return {{"strides", {{"list", {{"i", {"1", "1", "1", "1"}}}}}}, {"padding", {{"s", "U0FNRQ=="}}}}; }

// Writes model.json (input x of `x_shape`, the given nodes, output `y`) and one shard with `weights`.
fs::path write_model(const std::string& test, std::vector<std::int64_t> x_shape, std::vector<json> nodes,
                     const std::vector<Weight>& weights) {
  json dims = json::array();
  for (auto d : x_shape) dims.push_back({{"size", std::to_string(d)}});
  json all = json::array({node("x", "Placeholder", {}, {{"dtype", {{"type", "DT_FLOAT"}}}, {"shape", {{"shape", {{"dim", dims}}}}}})});
  json specs = json::array();
  std::vector<float> shard;
  for (const auto& w : weights) {
    all.push_back(node(w.name, "Const"));
    specs.push_back({{"name", w.name}, {"shape", w.shape}, {"dtype", "float32"}});
    shard.insert(shard.end(), w.values.begin(), w.values.end());
  }
  for (auto& n : nodes) all.push_back(n);
  const json model = {{"format", "graph-model"},
                      {"modelTopology", {{"node", all}}},
                      {"signature", {{"outputs", {{"y", {{"name", "y"}}}}}}},
                      {"weightsManifest", {{{"paths", {"shard.bin"}}, {"weights", specs}}}}};
  const fs::path dir = facekit::test::temp_dir("tfjs_fusion_" + test);
  std::ofstream(dir / "model.json") << model.dump();
  std::ofstream out(dir / "shard.bin", std::ios::binary);
  out.write(reinterpret_cast<const char*>(shard.data()), static_cast<std::streamsize>(shard.size() * 4));
  return dir / "model.json";
}

Tensor ramp(std::vector<std::int64_t> shape) {
  Tensor t(shape);
  for (std::int64_t i = 0; i < t.size(); ++i) t.data[i] = 0.37f * float(i % 11) - 1.6f;
  return t;
}

}  // namespace

// Conv 1x1 (2 -> 2 channels) * s + b, then PReLU written as relu(z) + m * (z - |z|): slope 2m.
TEST(TfjsFusion, BatchNormAndPreluFoldIntoTheConvolution) {
  const std::vector<float> w = {0.5f, -1.f, 2.f, 0.25f}, s = {1.5f, -0.5f}, b = {0.1f, -0.2f}, m = {0.05f, 0.3f};
  const auto path = write_model(
      "prelu", {1, 3, 3, 2},
      {node("c", "Conv2D", {"x", "w"}, conv_attr()), node("bn_mul", "Mul", {"c", "s"}), node("bn_add", "Add", {"bn_mul", "b"}),
       node("relu", "Relu", {"bn_add"}), node("abs", "Abs", {"bn_add"}), node("sub", "Sub", {"bn_add", "abs"}),
       node("mul", "Mul", {"sub", "m"}), node("y", "AddV2", {"relu", "mul"})},
      {{"w", {1, 1, 2, 2}, w}, {"s", {2}, s}, {"b", {2}, b}, {"m", {2}, m}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 2u);  // the input and one fused convolution
  const Tensor x = ramp({1, 3, 3, 2});
  const Tensor y = model.graph.run({x}).at(0);
  ASSERT_EQ(y.shape, x.shape);
  for (std::int64_t p = 0; p < 9; ++p)
    for (int o = 0; o < 2; ++o) {
      const double z = (x.data[p * 2] * w[o] + x.data[p * 2 + 1] * w[2 + o]) * s[o] + b[o];
      const double expected = z >= 0 ? z : 2 * m[o] * z;
      EXPECT_NEAR(y.data[p * 2 + o], expected, 1e-5) << "pixel " << p << " channel " << o;
    }
}

// 3x3 SAME convolution, then x + m * (x - |x|) (PReLU without the Relu: slope 1 + 2m).
TEST(TfjsFusion, PreluWithoutReluFolds) {
  std::vector<float> w(9, 0.f);
  w[4] = 2.f;   // centre tap
  w[0] = -1.f;  // top-left tap (zero padding outside)
  const std::vector<float> m = {-0.4f};
  const auto path = write_model("prelu_b", {1, 3, 3, 1},
                                {node("c", "Conv2D", {"x", "w"}, conv_attr()), node("abs", "Abs", {"c"}),
                                 node("sub", "Sub", {"c", "abs"}), node("mul", "Mul", {"m", "sub"}),
                                 node("y", "Add", {"c", "mul"})},
                                {{"w", {3, 3, 1, 1}, w}, {"m", {1}, m}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 2u);
  const Tensor x = ramp({1, 3, 3, 1});
  const Tensor y = model.graph.run({x}).at(0);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      const double z = 2 * x.data[r * 3 + c] - (r > 0 && c > 0 ? x.data[(r - 1) * 3 + c - 1] : 0.0);
      EXPECT_NEAR(y.data[r * 3 + c], z >= 0 ? z : (1 + 2 * m[0]) * z, 1e-5) << r << "," << c;
    }
}

// Depthwise 1x1 plus a residual from the input, then clip_by_value(relu(.), 0, 6) as Keras exports it.
TEST(TfjsFusion, ResidualAndClippedReluFold) {
  const std::vector<float> dw = {3.f, -2.f}, six = {6.f}, zero = {0.f};
  const auto path = write_model("residual", {1, 2, 2, 2},
                                {node("c", "DepthwiseConv2dNative", {"x", "dw"}, conv_attr()), node("sum", "AddV2", {"x", "c"}),
                                 node("relu", "Relu", {"sum"}), node("min", "Minimum", {"relu", "six"}),
                                 node("y", "Maximum", {"min", "zero"})},
                                {{"dw", {1, 1, 2, 1}, dw}, {"six", {}, six}, {"zero", {}, zero}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 2u);
  Tensor x = ramp({1, 2, 2, 2});
  for (float& v : x.data) v *= 2;  // reach past 6 after the residual
  const Tensor y = model.graph.run({x}).at(0);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const double z = x.data[i] + x.data[i] * dw[i % 2];
    EXPECT_NEAR(y.data[i], std::min(std::max(z, 0.0), 6.0), 1e-5) << i;
  }
}

// A tail node that is also read elsewhere (here: the graph output) must stay visible: no fusion past it.
TEST(TfjsFusion, SharedIntermediateIsNotFolded) {
  const std::vector<float> w = {2.f}, b = {1.f};
  const auto path = write_model("shared", {1, 1, 2, 1},
                                {node("c", "Conv2D", {"x", "w"}, conv_attr()), node("plus", "Add", {"c", "b"}),
                                 node("y", "Mul", {"plus", "plus"})},
                                {{"w", {1, 1, 1, 1}, w}, {"b", {1}, b}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 3u);  // input, conv+bias, the square
  const Tensor x({1, 1, 2, 1}, {0.5f, -2.f});
  const Tensor y = model.graph.run({x}).at(0);
  EXPECT_NEAR(y.data[0], 4.0, 1e-6);  // (2 * 0.5 + 1)^2
  EXPECT_NEAR(y.data[1], 9.0, 1e-6);  // (2 * -2 + 1)^2
}

// Keras' batch norm after the activation (human's gear): relu(conv) * s + b stays after the Relu.
TEST(TfjsFusion, AffineAfterTheActivationFolds) {
  const std::vector<float> w = {1.f, -1.f}, s = {2.f, 0.5f}, b = {-1.f, 3.f};
  const auto path = write_model("post_affine", {1, 1, 3, 1},
                                {node("c", "Conv2D", {"x", "w"}, conv_attr()), node("relu", "Relu", {"c"}),
                                 node("mul", "Mul", {"relu", "s"}), node("y", "Add", {"mul", "b"})},
                                {{"w", {1, 1, 1, 2}, w}, {"s", {2}, s}, {"b", {2}, b}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 2u);
  const Tensor x({1, 1, 3, 1}, {0.75f, -2.f, 0.f});
  const Tensor y = model.graph.run({x}).at(0);
  for (int p = 0; p < 3; ++p)
    for (int o = 0; o < 2; ++o)
      EXPECT_NEAR(y.data[p * 2 + o], std::max(0.0, double(x.data[p]) * w[o]) * s[o] + b[o], 1e-6) << p << "," << o;
}

// A residual followed by TensorFlow's own Prelu op (human's facemesh and iris blocks).
TEST(TfjsFusion, ResidualThenNativePreluFolds) {
  const std::vector<float> w = {0.5f, 0.f, 0.f, -1.f}, alpha = {0.25f, 0.1f};
  const auto path = write_model("residual_prelu", {1, 2, 1, 2},
                                {node("c", "Conv2D", {"x", "w"}, conv_attr()), node("sum", "AddV2", {"x", "c"}),
                                 node("y", "Prelu", {"sum", "alpha"})},
                                {{"w", {1, 1, 2, 2}, w}, {"alpha", {2}, alpha}});
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  EXPECT_EQ(model.graph.node_count(), 2u);
  const Tensor x({1, 2, 1, 2}, {1.f, 3.f, -4.f, 0.5f});
  const Tensor y = model.graph.run({x}).at(0);
  for (int p = 0; p < 2; ++p)
    for (int o = 0; o < 2; ++o) {
      const double z = x.data[p * 2 + o] + (x.data[p * 2] * w[o] + x.data[p * 2 + 1] * w[2 + o]);
      EXPECT_NEAR(y.data[p * 2 + o], z >= 0 ? z : alpha[o] * z, 1e-6) << p << "," << o;
    }
}
