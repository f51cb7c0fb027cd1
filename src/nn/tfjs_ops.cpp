// The tfjs op set, each mapped onto an engine kernel (attributes: tfjs_attrs.hpp).
#include <map>

#include "facekit/error.hpp"
#include "nn/image_prep.hpp"
#include "nn/kernels.hpp"
#include "nn/kernels_tensor.hpp"
#include "nn/tfjs_attrs.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit::nn {
namespace {

using tfjs::Attrs;
using tfjs::ConvSetup;
using tfjs::conv_setup;
using tfjs::require_nhwc;
using Args = std::vector<const Tensor*>;
using Kernel = std::function<Tensor(const Args&)>;

// An imported op: resolves its operands (captured constants or runtime inputs) and runs its kernel.
class TfjsOp final : public Op {
 public:
  TfjsOp(std::string type, std::vector<Operand> operands, Kernel kernel)
      : type_(std::move(type)), operands_(std::move(operands)), kernel_(std::move(kernel)) {}
  const char* type() const override { return type_.c_str(); }
  Tensor forward(const std::vector<const Tensor*>& runtime) const override {
    Args args;
    for (const auto& o : operands_) args.push_back(o.is_const() ? &o.value : runtime.at(o.runtime));
    return kernel_(args);
  }

 private:
  std::string type_;
  std::vector<Operand> operands_;
  Kernel kernel_;
};

std::vector<int> as_ints(const Tensor& t) {
  std::vector<int> v;
  for (float x : t.data) v.push_back(static_cast<int>(x));
  return v;
}

// Conv2D / DepthwiseConv2dNative and their fused forms (_FusedConv2D, FusedDepthwiseConv2dNative):
// inputs x, filter[, bias[, prelu alpha]]; fused_ops e.g. [BiasAdd, Relu].
Kernel conv_kernel(const Attrs& a, bool depthwise) {
  const ConvSetup s = conv_setup(a);
  const auto fused = a.strings("fused_ops");
  Activation act = Activation::None;
  bool prelu = false, leaky = false;
  const float leaky_alpha = a.f("leakyrelu_alpha", 0.2f);
  for (size_t i = 0; i < fused.size(); ++i) {
    const std::string& f = fused[i];
    if (f == "BiasAdd" && i == 0) continue;
    if (f == "Relu") act = Activation::Relu;
    else if (f == "Relu6") act = Activation::Relu6;
    else if (f == "Prelu") prelu = true;
    else if (f == "LeakyRelu") leaky = true;
    else throw Error(ErrorCode::Unsupported, "fused op " + f);
  }
  const bool has_bias = !fused.empty() && fused[0] == "BiasAdd";
  return [=](const Args& in) {
    const Tensor* x = in[0];
    Tensor padded;
    if (!s.explicit_pads.empty()) {
      padded = pad(*x, s.explicit_pads);
      x = &padded;
    }
    const Tensor& filter = *in[1];
    if (depthwise && filter.shape[3] != 1) throw Error(ErrorCode::Unsupported, "depthwise channel multiplier > 1");
    const std::vector<float>& bias = has_bias ? in[2]->data : std::vector<float>{};
    Tensor y = depthwise ? depthwise_conv2d(*x, filter, bias, s.stride_h, s.stride_w, s.padding, act)
                         : conv2d(*x, filter, bias, s.stride_h, s.stride_w, s.padding, act);
    if (prelu) y = binary(y, *in[3], BinaryOp::Prelu);
    if (leaky)
      for (float& v : y.data) v = std::max(v, 0.f) + leaky_alpha * std::min(v, 0.f);
    return y;
  };
}

Kernel matmul_kernel(const Attrs& a) {
  const bool ta = a.b("transpose_a", false), tb = a.b("transpose_b", false);
  const auto fused = a.strings("fused_ops");
  bool bias = false;
  Activation act = Activation::None;
  for (const auto& f : fused) {
    if (f == "BiasAdd") bias = true;
    else if (f == "Relu") act = Activation::Relu;
    else if (f == "Relu6") act = Activation::Relu6;
    else throw Error(ErrorCode::Unsupported, "fused op " + f);
  }
  return [=](const Args& in) {
    Tensor y = matmul2d(*in[0], *in[1], ta, tb);
    add_bias_activation(y.ptr(), y.shape[0], y.shape[1], bias ? in[2]->data : std::vector<float>{}, act);
    return y;
  };
}

Kernel pool_kernel(const Attrs& a, bool max) {
  require_nhwc(a);
  auto k = a.ints("ksize"), st = a.ints("strides");
  if (k.size() != 4 || st.size() != 4) throw Error(ErrorCode::Unsupported, "pool without 4-D ksize/strides");
  const Window w{static_cast<int>(k[1]), static_cast<int>(k[2]), static_cast<int>(st[1]), static_cast<int>(st[2]),
                 a.s("padding", "VALID") == "SAME" ? Padding::Same : Padding::Valid};
  return [=](const Args& in) { return max ? max_pool(*in[0], w) : avg_pool(*in[0], w); };
}

Kernel reduce_kernel(const Attrs& a, ReduceOp op) {
  const bool keep = a.b("keep_dims", false);
  return [=](const Args& in) { return reduce(*in[0], as_ints(*in[1]), keep, op); };
}

Kernel binary_kernel(BinaryOp op) {
  return [=](const Args& in) { return binary(*in[0], *in[1], op); };
}

Kernel unary_kernel(UnaryOp op) {
  return [=](const Args& in) { return unary(*in[0], op); };
}

Tensor reshape_to(const Tensor& x, Shape s) {
  std::int64_t known = 1;
  int unknown = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] < 0) unknown = static_cast<int>(i);
    else known *= s[i];
  }
  if (unknown >= 0) s[unknown] = known ? x.size() / known : 0;
  if (element_count(s) != x.size())
    throw Error(ErrorCode::Internal, "cannot reshape " + shape_string(x.shape) + " to " + shape_string(s));
  Tensor y = x;
  y.shape = std::move(s);
  return y;
}

Shape shape_from(const Tensor& t) {
  Shape s;
  for (float v : t.data) s.push_back(static_cast<std::int64_t>(v));
  return s;
}

const std::map<std::string, std::function<Kernel(const Attrs&)>>& kernel_table() {
  static const std::map<std::string, std::function<Kernel(const Attrs&)>> table = {
      {"Conv2D", [](const Attrs& a) { return conv_kernel(a, false); }},
      {"_FusedConv2D", [](const Attrs& a) { return conv_kernel(a, false); }},
      {"DepthwiseConv2dNative", [](const Attrs& a) { return conv_kernel(a, true); }},
      {"FusedDepthwiseConv2dNative", [](const Attrs& a) { return conv_kernel(a, true); }},
      {"MatMul", matmul_kernel},
      {"_FusedMatMul", matmul_kernel},
      {"BiasAdd", [](const Attrs&) { return binary_kernel(BinaryOp::Add); }},
      {"Add", [](const Attrs&) { return binary_kernel(BinaryOp::Add); }},
      {"AddV2", [](const Attrs&) { return binary_kernel(BinaryOp::Add); }},
      {"Sub", [](const Attrs&) { return binary_kernel(BinaryOp::Sub); }},
      {"Mul", [](const Attrs&) { return binary_kernel(BinaryOp::Mul); }},
      {"RealDiv", [](const Attrs&) { return binary_kernel(BinaryOp::Div); }},
      {"Maximum", [](const Attrs&) { return binary_kernel(BinaryOp::Max); }},
      {"Minimum", [](const Attrs&) { return binary_kernel(BinaryOp::Min); }},
      {"Prelu", [](const Attrs&) { return binary_kernel(BinaryOp::Prelu); }},
      {"SquaredDifference", [](const Attrs&) { return binary_kernel(BinaryOp::SquaredDifference); }},
      {"Relu", [](const Attrs&) { return unary_kernel(UnaryOp::Relu); }},
      {"Relu6", [](const Attrs&) { return unary_kernel(UnaryOp::Relu6); }},
      {"Abs", [](const Attrs&) { return unary_kernel(UnaryOp::Abs); }},
      {"Square", [](const Attrs&) { return unary_kernel(UnaryOp::Square); }},
      {"Sqrt", [](const Attrs&) { return unary_kernel(UnaryOp::Sqrt); }},
      {"Rsqrt", [](const Attrs&) { return unary_kernel(UnaryOp::Rsqrt); }},
      {"Exp", [](const Attrs&) { return unary_kernel(UnaryOp::Exp); }},
      {"Log", [](const Attrs&) { return unary_kernel(UnaryOp::Log); }},
      {"Neg", [](const Attrs&) { return unary_kernel(UnaryOp::Neg); }},
      {"Sigmoid", [](const Attrs&) { return unary_kernel(UnaryOp::Sigmoid); }},
      {"Tanh", [](const Attrs&) { return unary_kernel(UnaryOp::Tanh); }},
      {"Elu", [](const Attrs&) { return unary_kernel(UnaryOp::Elu); }},
      {"Reciprocal", [](const Attrs&) { return unary_kernel(UnaryOp::Reciprocal); }},
      {"LeakyRelu", [](const Attrs& a) -> Kernel {
         const float alpha = a.f("alpha", 0.2f);
         return [=](const Args& in) {
           Tensor y = *in[0];
           for (float& v : y.data) v = std::max(v, 0.f) + alpha * std::min(v, 0.f);
           return y;
         };
       }},
      {"Softmax", [](const Attrs&) -> Kernel { return [](const Args& in) { return softmax(*in[0]); }; }},
      {"Mean", [](const Attrs& a) { return reduce_kernel(a, ReduceOp::Mean); }},
      {"Sum", [](const Attrs& a) { return reduce_kernel(a, ReduceOp::Sum); }},
      {"Max", [](const Attrs& a) { return reduce_kernel(a, ReduceOp::Max); }},
      {"Min", [](const Attrs& a) { return reduce_kernel(a, ReduceOp::Min); }},
      {"Prod", [](const Attrs& a) { return reduce_kernel(a, ReduceOp::Prod); }},
      {"MaxPool", [](const Attrs& a) { return pool_kernel(a, true); }},
      {"AvgPool", [](const Attrs& a) { return pool_kernel(a, false); }},
      {"Reshape", [](const Attrs&) -> Kernel {
         return [](const Args& in) { return reshape_to(*in[0], shape_from(*in[1])); };
       }},
      {"Squeeze", [](const Attrs& a) -> Kernel {
         const auto dims = a.ints("squeeze_dims");
         return [=](const Args& in) {
           Shape s;
           const int rank = in[0]->rank();
           for (int d = 0; d < rank; ++d) {
             bool drop = dims.empty() ? in[0]->shape[d] == 1 : false;
             for (auto q : dims) drop |= (q < 0 ? q + rank : q) == d;
             if (!drop) s.push_back(in[0]->shape[d]);
           }
           return reshape_to(*in[0], s);
         };
       }},
      {"ExpandDims", [](const Attrs&) -> Kernel {
         return [](const Args& in) {
           Shape s = in[0]->shape;
           int axis = static_cast<int>(in[1]->data.at(0));
           if (axis < 0) axis += static_cast<int>(s.size()) + 1;
           s.insert(s.begin() + axis, 1);
           return reshape_to(*in[0], s);
         };
       }},
      {"Shape", [](const Attrs&) -> Kernel {
         return [](const Args& in) {
           Tensor t({static_cast<std::int64_t>(in[0]->rank())});
           for (int d = 0; d < in[0]->rank(); ++d) t.data[d] = static_cast<float>(in[0]->shape[d]);
           return t;
         };
       }},
      {"Pad", [](const Attrs&) -> Kernel {
         return [](const Args& in) {
           std::vector<std::pair<std::int64_t, std::int64_t>> pads;
           for (std::int64_t d = 0; d < in[1]->shape[0]; ++d)
             pads.push_back({static_cast<std::int64_t>(in[1]->data[2 * d]), static_cast<std::int64_t>(in[1]->data[2 * d + 1])});
           return pad(*in[0], pads);
         };
       }},
      {"ConcatV2", [](const Attrs&) -> Kernel {
         return [](const Args& in) {
           std::vector<const Tensor*> parts(in.begin(), in.end() - 1);
           return concat(parts, static_cast<int>(in.back()->data.at(0)));
         };
       }},
      {"Pack", [](const Attrs& a) -> Kernel {
         const int axis = static_cast<int>(a.i("axis", 0));
         return [=](const Args& in) {
           std::vector<Tensor> expanded;
           for (const Tensor* t : in) {
             Shape s = t->shape;
             s.insert(s.begin() + (axis < 0 ? axis + static_cast<int>(s.size()) + 1 : axis), 1);
             expanded.push_back(reshape_to(*t, s));
           }
           std::vector<const Tensor*> parts;
           for (const auto& t : expanded) parts.push_back(&t);
           return concat(parts, axis);
         };
       }},
      {"StridedSlice", [](const Attrs& a) -> Kernel {
         SliceSpec base;
         base.begin_mask = static_cast<int>(a.i("begin_mask", 0));
         base.end_mask = static_cast<int>(a.i("end_mask", 0));
         base.ellipsis_mask = static_cast<int>(a.i("ellipsis_mask", 0));
         base.new_axis_mask = static_cast<int>(a.i("new_axis_mask", 0));
         base.shrink_axis_mask = static_cast<int>(a.i("shrink_axis_mask", 0));
         return [=](const Args& in) {
           SliceSpec s = base;
           for (float v : in[1]->data) s.begin.push_back(static_cast<std::int64_t>(v));
           for (float v : in[2]->data) s.end.push_back(static_cast<std::int64_t>(v));
           for (float v : in[3]->data) s.strides.push_back(static_cast<std::int64_t>(v));
           return strided_slice(*in[0], s);
         };
       }},
      {"Transpose", [](const Attrs&) -> Kernel {
         return [](const Args& in) { return transpose(*in[0], as_ints(*in[1])); };
       }},
      {"Cast", [](const Attrs&) -> Kernel { return [](const Args& in) { return *in[0]; }; }},
      {"ResizeBilinear", [](const Attrs& a) -> Kernel {
         const bool align = a.b("align_corners", false), half = a.b("half_pixel_centers", false);
         return [=](const Args& in) {
           return resize_bilinear(*in[0], static_cast<std::int64_t>(in[1]->data.at(0)),
                                  static_cast<std::int64_t>(in[1]->data.at(1)), align, half);
         };
       }},
      {"DepthToSpace", [](const Attrs& a) -> Kernel {
         const std::int64_t bs = a.i("block_size", 2);
         return [=](const Args& in) {
           const HWC s = as_hwc(*in[0]);
           const std::int64_t oc = s.c / (bs * bs);
           // [1,H,W,bs*bs*oc] -> [1,H,bs,W,bs,oc] view -> [1,H*bs,W*bs,oc]
           Tensor t = reshape_to(*in[0], {s.h, s.w, bs, bs, oc});
           t = transpose(t, {0, 2, 1, 3, 4});
           return reshape_to(t, {1, s.h * bs, s.w * bs, oc});
         };
       }},
  };
  return table;
}

}  // namespace

bool tfjs_op_supported(const std::string& op) { return kernel_table().count(op) != 0; }

std::unique_ptr<Op> make_tfjs_op(const TfjsNode& node, std::vector<Operand> operands) {
  auto it = kernel_table().find(node.op);
  if (it == kernel_table().end())
    throw Error(ErrorCode::Unsupported, "op " + node.op + " is not supported by the facekit engine");
  const Attrs attrs(node.attr);
  return std::make_unique<TfjsOp>(node.op, std::move(operands), it->second(attrs));
}

}  // namespace facekit::nn
