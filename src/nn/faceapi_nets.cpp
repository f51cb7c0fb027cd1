#include "nn/faceapi_nets.hpp"

#include <cmath>

namespace facekit::nn::faceapi {

int separable_conv(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride, Activation act) {
  int dw = g.depthwise(x, w.get(prefix + "/depthwise_filter"), {}, stride, Padding::Same, Activation::None,
                       prefix + "/depthwise");
  return g.conv(dw, w.get(prefix + "/pointwise_filter"), w.vec(prefix + "/bias"), 1, Padding::Same, act,
                prefix + "/pointwise");
}

namespace {

// Multiplies output channel o of an HWIO (or depthwise [kh,kw,C,1]) filter by factor[o].
Tensor scale_output_channels(Tensor filter, const std::vector<float>& factor, bool depthwise) {
  const std::int64_t channels = depthwise ? filter.shape[2] : filter.shape[3];
  const std::int64_t stride = depthwise ? filter.shape[3] : 1;
  for (std::int64_t i = 0; i < filter.size(); ++i) filter.data[i] *= factor[(i / stride) % channels];
  return filter;
}

// ---- FaceRecognitionNet (dlib ResNet-29) --------------------------------------------------------
// convLayer.ts: out = relu?((conv(x) + bias) * scale.weights + scale.biases). The affine "scale"
// is folded into the filter and bias: same maths, one pass fewer.
int resnet_conv(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride, Padding pad,
                bool relu) {
  const auto scale = w.vec(prefix + "/scale/weights");
  const auto shift = w.vec(prefix + "/scale/biases");
  auto bias = w.vec(prefix + "/conv/bias");
  for (size_t c = 0; c < bias.size(); ++c) bias[c] = bias[c] * scale[c] + shift[c];
  Tensor filter = scale_output_channels(w.get(prefix + "/conv/filters"), scale, false);
  return g.conv(x, std::move(filter), std::move(bias), stride, pad, relu ? Activation::Relu : Activation::None,
                prefix);
}

// residualLayer.ts residual(): relu(convNoRelu(conv(x)) + x)
int residual(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  int out = resnet_conv(g, w, x, prefix + "/conv1", 1, Padding::Same, true);
  out = resnet_conv(g, w, out, prefix + "/conv2", 1, Padding::Same, false);
  return g.add(out, x, Activation::Relu);
}

// residualLayer.ts residualDown(): the strided branch uses 'valid' padding, so where its output is
// one row/column short of the 2x2 average pool, zeros are appended; channels of the pooled shortcut
// are zero-padded up to the branch's.
int residual_down(Graph& g, const WeightMap& w, int x, const std::string& prefix) {
  int out = resnet_conv(g, w, x, prefix + "/conv1", 2, Padding::Valid, true);
  out = resnet_conv(g, w, out, prefix + "/conv2", 1, Padding::Same, false);
  int pooled = g.avg_pool(x, 2, 2, Padding::Valid);
  out = g.pad_end_like(out, pooled, {1, 2});
  pooled = g.pad_end_like(pooled, out, {3});
  return g.add(pooled, out, Activation::Relu);
}

// ---- FaceFeatureExtractor (landmark nets) --------------------------------------------------------
// denseBlock.ts denseBlock3() / denseBlock4(): conv0 halves the size (a plain conv in the first
// block, separable after), and each later conv sees the relu of the sum of all earlier outputs. The
// sums keep the original association order, out1 + (out2 + (out3 + ...)), so float rounding matches.
int dense_block(Graph& g, const WeightMap& w, int x, const std::string& prefix, bool first, int convs) {
  const int out1 = first ? g.conv(x, w.get(prefix + "/conv0/filters"), w.vec(prefix + "/conv0/bias"), 2,
                                   Padding::Same, Activation::Relu, prefix + "/conv0")
                         : separable_conv(g, w, x, prefix + "/conv0", 2, Activation::Relu);
  std::vector<int> outs = {out1};
  int input = out1;
  for (int c = 1; c < convs; ++c) {
    outs.push_back(separable_conv(g, w, input, prefix + "/conv" + std::to_string(c), 1, Activation::None));
    int tail = outs.back();
    for (int j = static_cast<int>(outs.size()) - 2; j >= 1; --j) tail = g.add(outs[j], tail);
    input = g.add(out1, tail, Activation::Relu);
  }
  return input;
}

// FaceFeatureExtractor's closing avgPool (7x7 after four blocks, 14x14 after the tiny net's three;
// stride 2, valid) and FaceLandmark68NetBase.runNet's fully connected layer.
void add_landmark_head(Graph& g, const WeightMap& w, int x, int pool) {
  x = g.avg_pool(x, pool, 2, Padding::Valid);
  x = g.reshape(x, {1, -1});
  x = g.dense(x, w.get("fc/weights"), w.vec("fc/bias"));
  g.add_output(x, "landmarks");
}

// ---- SSD MobileNetV1 --------------------------------------------------------------------------------
// pointwiseConvLayer.ts: clip(conv(x) + bn_offset, 0, 6)
int ssd_pointwise(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride) {
  return g.conv(x, w.get(prefix + "/weights"), w.vec(prefix + "/convolution_bn_offset"), stride, Padding::Same,
                Activation::Relu6, prefix);
}

// mobileNetV1.ts depthwiseConvLayer: clip(batchNorm(depthwise(x)), 0, 6), batch norm folded in.
int ssd_depthwise(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride) {
  constexpr double kEpsilon = 0.0010000000474974513;
  const auto gamma = w.vec(prefix + "/BatchNorm/gamma"), beta = w.vec(prefix + "/BatchNorm/beta");
  const auto mean = w.vec(prefix + "/BatchNorm/moving_mean"), var = w.vec(prefix + "/BatchNorm/moving_variance");
  std::vector<float> factor(gamma.size()), bias(gamma.size());
  for (size_t c = 0; c < gamma.size(); ++c) {
    const double inv = gamma[c] / std::sqrt(double(var[c]) + kEpsilon);
    factor[c] = static_cast<float>(inv);
    bias[c] = static_cast<float>(beta[c] - mean[c] * inv);
  }
  Tensor filter = scale_output_channels(w.get(prefix + "/depthwise_weights"), factor, true);
  return g.depthwise(x, std::move(filter), std::move(bias), stride, Padding::Same, Activation::Relu6, prefix);
}

// boxPredictionLayer.ts: 1x1 convs reshaped to [anchors,4] and [anchors,3].
std::pair<int, int> box_predictor(Graph& g, const WeightMap& w, int x, int index) {
  const std::string p = "Prediction/BoxPredictor_" + std::to_string(index);
  int box = g.conv(x, w.get(p + "/BoxEncodingPredictor/weights"), w.vec(p + "/BoxEncodingPredictor/biases"), 1,
                   Padding::Same, Activation::None, p + "/BoxEncodingPredictor");
  int cls = g.conv(x, w.get(p + "/ClassPredictor/weights"), w.vec(p + "/ClassPredictor/biases"), 1, Padding::Same,
                   Activation::None, p + "/ClassPredictor");
  return {g.reshape(box, {-1, 4}), g.reshape(cls, {-1, 3})};
}

}  // namespace

Graph build_recognition_net(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  x = resnet_conv(g, w, x, "conv32_down", 2, Padding::Valid, true);
  x = g.max_pool(x, 3, 2, Padding::Valid);
  for (const char* block : {"conv32_1", "conv32_2", "conv32_3"}) x = residual(g, w, x, block);
  x = residual_down(g, w, x, "conv64_down");
  for (const char* block : {"conv64_1", "conv64_2", "conv64_3"}) x = residual(g, w, x, block);
  x = residual_down(g, w, x, "conv128_down");
  for (const char* block : {"conv128_1", "conv128_2"}) x = residual(g, w, x, block);
  x = residual_down(g, w, x, "conv256_down");
  for (const char* block : {"conv256_1", "conv256_2"}) x = residual(g, w, x, block);
  x = residual_down(g, w, x, "conv256_down_out");
  x = g.global_mean(x);
  x = g.dense(x, w.get("fc", {256, 128}), {});
  g.add_output(x, "descriptor");
  return g;
}

Graph build_landmark68_net(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  x = dense_block(g, w, x, "dense0", true, 4);
  for (const char* block : {"dense1", "dense2", "dense3"}) x = dense_block(g, w, x, block, false, 4);
  add_landmark_head(g, w, x, 7);
  return g;
}

Graph build_landmark68_tiny_net(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  x = dense_block(g, w, x, "dense0", true, 3);
  for (const char* block : {"dense1", "dense2"}) x = dense_block(g, w, x, block, false, 3);
  add_landmark_head(g, w, x, 14);
  return g;
}

Graph build_ssd_mobilenetv1(const WeightMap& w) {
  Graph g;
  int x = g.add_input("input");
  x = ssd_pointwise(g, w, x, "MobilenetV1/Conv2d_0_pointwise", 2);
  int conv11 = -1;
  for (int i = 1; i <= 13; ++i) {
    const int stride = (i == 2 || i == 4 || i == 6 || i == 12) ? 2 : 1;
    x = ssd_depthwise(g, w, x, "MobilenetV1/Conv2d_" + std::to_string(i) + "_depthwise", stride);
    x = ssd_pointwise(g, w, x, "MobilenetV1/Conv2d_" + std::to_string(i) + "_pointwise", 1);
    if (i == 11) conv11 = x;
  }
  // predictionLayer.ts
  int conv[8];
  int prev = x;
  for (int i = 0; i < 8; ++i) {
    conv[i] = ssd_pointwise(g, w, prev, "Prediction/Conv2d_" + std::to_string(i) + "_pointwise", i % 2 ? 2 : 1);
    prev = conv[i];
  }
  const int sources[6] = {conv11, x, conv[1], conv[3], conv[5], conv[7]};
  std::vector<int> boxes, classes;
  for (int i = 0; i < 6; ++i) {
    auto [box, cls] = box_predictor(g, w, sources[i], i);
    boxes.push_back(box);
    classes.push_back(cls);
  }
  g.add_output(g.concat(boxes, 0), "box_encodings");
  g.add_output(g.concat(classes, 0), "class_logits");
  return g;
}

Tensor ssd_anchors(const WeightMap& w) {
  Tensor anchors = w.get("Output/extra_dim");
  anchors.shape = {anchors.size() / 4, 4};
  return anchors;
}

void decode_ssd(const Tensor& box_encodings, const Tensor& class_logits, const Tensor& anchors,
                std::vector<float>& boxes, std::vector<float>& scores) {
  const std::int64_t n = anchors.shape[0];
  boxes.resize(static_cast<size_t>(n) * 4);
  scores.resize(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const float* a = anchors.ptr() + i * 4;
    const float* e = box_encodings.ptr() + i * 4;
    const float height = a[2] - a[0], width = a[3] - a[1];
    const float cy = a[0] + height / 2.f, cx = a[1] + width / 2.f;
    const float half_h = std::exp(e[2] / 5.f) * height / 2.f;
    const float half_w = std::exp(e[3] / 5.f) * width / 2.f;
    const float y = e[0] / 10.f * height + cy;
    const float x = e[1] / 10.f * width + cx;
    float* b = boxes.data() + i * 4;
    b[0] = y - half_h;
    b[1] = x - half_w;
    b[2] = y + half_h;
    b[3] = x + half_w;
    scores[i] = 1.f / (1.f + std::exp(-class_logits.ptr()[i * 3 + 1]));
  }
}

}  // namespace facekit::nn::faceapi
