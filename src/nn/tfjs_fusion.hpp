// Load-time fusion for imported tfjs graphs (what ncnn's and TFLite's converters do): a convolution
// with constant weights absorbs the elementwise tail the TensorFlow converter leaves after it —
// batch-norm Mul/Add by per-channel constants, Relu, Relu6 spelled Relu + Minimum(6) + Maximum(0),
// and PReLU spelled with Abs/Sub/Mul/Add — so the tail costs nothing instead of one pass over the
// activations (and one allocation) per node. The filter is packed once here, not on every call.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nn/graph.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit::nn {

// y = act(conv(x, filter) * scale + bias [+ residual]), then y < 0 ? y * prelu_slope : y or
// y * post_scale + post_bias (per output channel). The residual is a second runtime input of the same shape (a ResNet-style skip connection).
struct ConvEpilogue {
  std::vector<float> scale;        // per channel; folded into the filter
  std::vector<float> bias;         // per channel
  std::string residual;            // node added before the activation; empty = none
  Activation act = Activation::None;
  std::vector<float> prelu_slope;  // per channel; empty = no PReLU
  // y = y * post_scale + post_bias after the activation (Keras' batch norm placed after a Relu); per
  // channel, empty = none. Never together with a PReLU.
  std::vector<float> post_scale, post_bias;
  std::vector<std::string> absorbed;  // the tail's nodes, in order; the last one's value is the fused output
};

// The constant value of a node, or null when it is computed at run time.
using ConstantLookup = std::function<const Tensor*(const std::string&)>;
// Whether a runtime node has already been built (a residual must be, to become an input).
using BuiltLookup = std::function<bool(const std::string&)>;

// For a Conv2D / DepthwiseConv2dNative / _FusedConv2D / FusedDepthwiseConv2dNative node with constant
// filter (and bias): its own fused ops plus the longest tail it can absorb. Null when the node itself
// cannot be expressed this way (e.g. a fused LeakyRelu); the tail may then be empty.
// `consumers` lists, for each node, the nodes that read it; `outputs` are the graph's output nodes
// (never absorbed, since their values must stay visible).
std::unique_ptr<ConvEpilogue> match_conv_epilogue(const TfjsNode& conv, const std::map<std::string, TfjsNode>& nodes,
                                                  const std::map<std::string, std::vector<std::string>>& consumers,
                                                  const std::set<std::string>& outputs,
                                                  const ConstantLookup& constant, const BuiltLookup& built);

// The engine op for `conv` with `epilogue` applied; its runtime inputs are the convolution's input and,
// when epilogue.residual is set, the residual.
std::unique_ptr<Op> make_fused_conv_op(const TfjsNode& conv, const Tensor& filter, const ConvEpilogue& epilogue);

}  // namespace facekit::nn
