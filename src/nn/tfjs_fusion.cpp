#include "nn/tfjs_fusion.hpp"

#include <algorithm>

#include "nn/conv.hpp"
#include "nn/kernels_tensor.hpp"
#include "nn/tfjs_attrs.hpp"

namespace facekit::nn {
namespace {

bool is_conv(const std::string& op) {
  return op == "Conv2D" || op == "_FusedConv2D" || op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative";
}
bool is_depthwise(const std::string& op) {
  return op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative";
}

// Walks the graph around one convolution: who reads a node, and which of its inputs are constants.
class TailMatcher {
 public:
  TailMatcher(const std::map<std::string, TfjsNode>& nodes, const std::map<std::string, std::vector<std::string>>& consumers,
              const std::set<std::string>& outputs, const ConstantLookup& constant)
      : nodes_(nodes), consumers_(consumers), outputs_(outputs), constant_(constant) {}

  const std::vector<std::string>& readers(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = consumers_.find(name);
    return it == consumers_.end() ? none : it->second;
  }
  // The single reader of `name`, when it has exactly one and is not a graph output.
  const TfjsNode* only_reader(const std::string& name) const {
    if (outputs_.count(name)) return nullptr;
    const auto& r = readers(name);
    return r.size() == 1 ? &nodes_.at(r[0]) : nullptr;
  }
  bool private_node(const std::string& name) const { return !outputs_.count(name) && readers(name).size() == 1; }

  // For a two-input node with `from` as one input: the other input's constant value, if it is one.
  const Tensor* other_constant(const TfjsNode& node, const std::string& from) const {
    if (node.inputs.size() != 2) return nullptr;
    if (node.inputs[0] == from && node.inputs[1] != from) return constant_(node.inputs[1]);
    if (node.inputs[1] == from && node.inputs[0] != from) return constant_(node.inputs[0]);
    return nullptr;
  }
  const Tensor* constant(const std::string& name) const { return constant_(name); }

  // The node among `candidates` (names) with op `op`, or null.
  const TfjsNode* find(const std::vector<std::string>& candidates, const char* op) const {
    for (const auto& c : candidates)
      if (nodes_.at(c).op == op) return &nodes_.at(c);
    return nullptr;
  }

 private:
  const std::map<std::string, TfjsNode>& nodes_;
  const std::map<std::string, std::vector<std::string>>& consumers_;
  const std::set<std::string>& outputs_;
  const ConstantLookup& constant_;
};

// A per-channel constant (size C, or a scalar broadcast to C) as C floats; empty when it is not one.
std::vector<float> per_channel(const Tensor* t, std::int64_t channels) {
  if (!t) return {};
  if (t->size() == channels && (t->rank() <= 1 || t->shape.back() == channels)) return t->data;
  if (t->size() == 1) return std::vector<float>(static_cast<size_t>(channels), t->data[0]);
  return {};
}

// A per-channel Mul (scale and bias both times v) or Add/BiasAdd (bias plus v) folded into y = scale x + bias.
void absorb_affine(bool multiply, const std::vector<float>& v, std::vector<float>& scale, std::vector<float>& bias) {
  for (size_t c = 0; c < v.size(); ++c) {
    if (multiply) {
      scale[c] *= v[c];
      bias[c] *= v[c];
    } else {
      bias[c] += v[c];
    }
  }
}

bool is_scalar(const Tensor* t, float value) { return t && t->size() == 1 && t->data[0] == value; }

// PReLU as the TensorFlow converter writes it, starting from the pre-activation x:
//   relu(x) + m * (x - |x|)   (Relu, Abs, Sub, Mul, Add)   -> slope 2m
//   x + m * (x - |x|)         (Abs, Sub, Mul, Add)         -> slope 1 + 2m
// Both are x for x >= 0. Returns the absorbed nodes (tail last) and sets `slope`, or {} when absent.
std::vector<std::string> match_prelu(const TailMatcher& g, const std::string& x, std::int64_t channels,
                                     std::vector<float>& slope) {
  // x is read by exactly three nodes: Abs, Sub and either the Relu or the final Add.
  const auto& readers = g.readers(x);
  if (readers.size() != 3) return {};
  const TfjsNode* abs = g.find(readers, "Abs");
  const TfjsNode* sub = g.find(readers, "Sub");
  const TfjsNode* relu = g.find(readers, "Relu");
  if (!abs || !sub) return {};
  if (sub->inputs != std::vector<std::string>{x, abs->name} || g.only_reader(abs->name) != sub) return {};
  if (relu && !g.private_node(relu->name)) return {};
  const TfjsNode* mul = g.only_reader(sub->name);
  if (!mul || mul->op != "Mul") return {};
  const std::vector<float> m = per_channel(g.other_constant(*mul, sub->name), channels);
  if (m.empty()) return {};
  const TfjsNode* add = g.only_reader(mul->name);
  if (!add || (add->op != "Add" && add->op != "AddV2") || add->inputs.size() != 2) return {};
  const std::string& base = add->inputs[0] == mul->name ? add->inputs[1] : add->inputs[0];
  if (base != (relu ? relu->name : x)) return {};
  const std::string& third = relu ? relu->name : add->name;
  for (const auto& r : readers)
    if (r != abs->name && r != sub->name && r != third) return {};
  if (relu && g.only_reader(relu->name) != add) return {};
  slope.resize(m.size());
  for (size_t c = 0; c < m.size(); ++c) slope[c] = relu ? 2 * m[c] : 1 + 2 * m[c];
  std::vector<std::string> absorbed;
  if (relu) absorbed.push_back(relu->name);
  for (const TfjsNode* n : {abs, sub, mul, add}) absorbed.push_back(n->name);
  return absorbed;
}

// Applies the convolution node's own fused ops ([BiasAdd][, Relu | Relu6 | Prelu]); false when it has
// others (LeakyRelu) or non-constant operands.
bool own_fused_ops(const TfjsNode& conv, const TailMatcher& g, std::int64_t channels, ConvEpilogue& e) {
  const auto fused = tfjs::Attrs(conv.attr).strings("fused_ops");
  size_t next_input = 2;
  for (size_t i = 0; i < fused.size(); ++i) {
    const std::string& f = fused[i];
    if (f == "BiasAdd" && i == 0) {
      if (conv.inputs.size() <= next_input) return false;
      const auto b = per_channel(g.constant(conv.inputs[next_input++]), channels);
      if (b.empty()) return false;
      e.bias = b;
    } else if (f == "Relu") {
      e.act = Activation::Relu;
    } else if (f == "Relu6") {
      e.act = Activation::Relu6;
    } else if (f == "Prelu") {
      if (conv.inputs.size() <= next_input) return false;
      e.prelu_slope = per_channel(g.constant(conv.inputs[next_input++]), channels);
      if (e.prelu_slope.empty()) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<ConvEpilogue> match_conv_epilogue(const TfjsNode& conv, const std::map<std::string, TfjsNode>& nodes,
                                                  const std::map<std::string, std::vector<std::string>>& consumers,
                                                  const std::set<std::string>& outputs,
                                                  const ConstantLookup& constant, const BuiltLookup& built) {
  if (!is_conv(conv.op) || conv.inputs.size() < 2) return nullptr;
  const Tensor* filter = constant(conv.inputs[1]);
  if (!filter || filter->rank() != 4) return nullptr;
  if (is_depthwise(conv.op) && filter->shape[3] != 1) return nullptr;
  const std::int64_t channels = is_depthwise(conv.op) ? filter->shape[2] : filter->shape[3];
  const TailMatcher g(nodes, consumers, outputs, constant);
  auto e = std::make_unique<ConvEpilogue>();
  e->scale.assign(static_cast<size_t>(channels), 1.f);
  e->bias.assign(static_cast<size_t>(channels), 0.f);
  if (!own_fused_ops(conv, g, channels, *e)) return nullptr;

  // y = conv * scale + bias while no activation has been applied; then activations.
  std::string tail = conv.name;
  auto linear = [&] { return e->act == Activation::None && e->prelu_slope.empty(); };
  for (;;) {
    const TfjsNode* next = g.only_reader(tail);
    const bool add = next && (next->op == "Add" || next->op == "AddV2");
    if (add && linear() && e->residual.empty() && next->inputs.size() == 2 && !g.other_constant(*next, tail)) {
      const std::string& other = next->inputs[0] == tail ? next->inputs[1] : next->inputs[0];
      if (other == tail || !built(other)) break;
      e->residual = other;
    } else if (next && !linear() && e->prelu_slope.empty() && (next->op == "Mul" || add || next->op == "BiasAdd")) {
      // An affine after the activation: kept apart, applied after it.
      const auto v = per_channel(g.other_constant(*next, tail), channels);
      if (v.empty()) break;
      if (e->post_scale.empty()) {
        e->post_scale.assign(static_cast<size_t>(channels), 1.f);
        e->post_bias.assign(static_cast<size_t>(channels), 0.f);
      }
      absorb_affine(next->op == "Mul", v, e->post_scale, e->post_bias);
    } else if (!e->post_scale.empty()) {
      break;  // nothing else is absorbed after a post-activation affine
    } else if (next && linear() && e->residual.empty() &&
               (next->op == "Mul" || add || next->op == "BiasAdd")) {
      const auto v = per_channel(g.other_constant(*next, tail), channels);
      if (v.empty()) break;
      absorb_affine(next->op == "Mul", v, e->scale, e->bias);
    } else if (next && linear() && next->op == "Relu") {
      e->act = Activation::Relu;
    } else if (next && (e->act == Activation::None || e->act == Activation::Relu) && e->prelu_slope.empty() &&
               next->op == "Relu6") {
      e->act = Activation::Relu6;
    } else if (next && e->act == Activation::Relu && next->op == "Minimum" && is_scalar(g.other_constant(*next, tail), 6.f)) {
      e->act = Activation::Relu6;  // clip_by_value(relu(x), ., 6)
    } else if (next && (e->act == Activation::Relu || e->act == Activation::Relu6) && next->op == "Maximum" &&
               is_scalar(g.other_constant(*next, tail), 0.f)) {
      // max(relu(x), 0) is relu(x)
    } else if (next && next->op == "Prelu" && e->prelu_slope.empty() && next->inputs.size() == 2 &&
               next->inputs[0] == tail) {
      e->prelu_slope = per_channel(g.constant(next->inputs[1]), channels);
      if (e->prelu_slope.empty()) break;
    } else if (e->prelu_slope.empty()) {  // also after a Relu (the converter emits PReLU after fused Relus too)
      std::vector<float> slope;
      const auto absorbed = match_prelu(g, tail, channels, slope);
      if (absorbed.empty()) break;
      e->prelu_slope = std::move(slope);
      e->absorbed.insert(e->absorbed.end(), absorbed.begin(), absorbed.end());
      tail = absorbed.back();
      continue;
    } else {
      break;
    }
    e->absorbed.push_back(next->name);
    tail = next->name;
  }
  return e;
}

namespace {

// A convolution with constant weights and its folded tail (see tfjs_fusion.hpp).
class FusedConvOp final : public Op {
 public:
  FusedConvOp(const TfjsNode& node, const Tensor& filter, const ConvEpilogue& e)
      : setup_(tfjs::conv_setup(tfjs::Attrs(node.attr))),
        depthwise_(is_depthwise(node.op)),
        residual_(!e.residual.empty()),
        act_(e.act),
        slope_(e.prelu_slope),
        post_scale_(e.post_scale),
        post_bias_(e.post_bias) {
    Tensor scaled = filter;  // HWIO (depthwise HWC1): the output channel is the fastest axis
    const std::int64_t channels = static_cast<std::int64_t>(e.scale.size());
    for (std::int64_t i = 0; i < scaled.size(); ++i) scaled.data[i] *= e.scale[i % channels];
    if (depthwise_) {
      depthwise_filter_ = std::move(scaled);
      bias_ = e.bias;
    } else {
      packed_ = prepare_conv_filter(scaled, e.bias);
    }
  }
  const char* type() const override { return depthwise_ ? "FusedDepthwise" : "FusedConv"; }

  Tensor forward(const std::vector<const Tensor*>& in) const override {
    const Tensor* x = in.at(0);
    Tensor padded;
    if (!setup_.explicit_pads.empty()) {
      padded = pad(*x, setup_.explicit_pads);
      x = &padded;
    }
    const Activation conv_act = residual_ ? Activation::None : act_;
    Tensor y = depthwise_ ? depthwise_conv2d(*x, depthwise_filter_, bias_, setup_.stride_h, setup_.stride_w,
                                             setup_.padding, conv_act)
                          : conv2d(*x, packed_, setup_.stride_h, setup_.stride_w, setup_.padding, conv_act);
    if (residual_) {
      const Tensor& r = *in.at(1);
      if (r.shape != y.shape)
        throw Error(ErrorCode::Internal, "fused residual " + shape_string(r.shape) + " for " + shape_string(y.shape));
      float* p = y.ptr();
      const float* q = r.ptr();
      const std::int64_t n = y.size();
      for (std::int64_t i = 0; i < n; ++i) p[i] = q[i] + p[i];
      apply_activation(p, n, act_);
    }
    if (!slope_.empty()) apply_prelu(y.ptr(), y.size(), slope_);
    if (!post_scale_.empty()) {
      const std::int64_t c = static_cast<std::int64_t>(post_scale_.size());
      float* p = y.ptr();
      for (std::int64_t i = 0; i < y.size(); i += c)
        for (std::int64_t k = 0; k < c; ++k) p[i + k] = p[i + k] * post_scale_[k] + post_bias_[k];
    }
    return y;
  }

 private:
  tfjs::ConvSetup setup_;
  bool depthwise_;
  bool residual_;
  Activation act_;
  std::vector<float> slope_, post_scale_, post_bias_;
  ConvFilter packed_;
  Tensor depthwise_filter_;
  std::vector<float> bias_;
};

}  // namespace

std::unique_ptr<Op> make_fused_conv_op(const TfjsNode& conv, const Tensor& filter, const ConvEpilogue& epilogue) {
  return std::make_unique<FusedConvOp>(conv, filter, epilogue);
}

}  // namespace facekit::nn
