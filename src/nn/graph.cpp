#include "nn/graph.hpp"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "facekit/error.hpp"
#include "nn/conv.hpp"

namespace facekit::nn {
namespace {

// FACEKIT_PROFILE_OPS=1: every node's op, output shape and CPU time of the calling thread go to stderr
// (CPU time rather than wall time, so that other load on the machine does not show up as slow ops).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

class ConvOp final : public Op {
 public:
  // A regular convolution's filter is packed for the GEMM here, once; a depthwise one is used as is.
  ConvOp(Tensor f, std::vector<float> b, int s, Padding p, Activation a, bool depthwise)
      : stride_(s), padding_(p), act_(a), depthwise_(depthwise) {
    if (depthwise) {
      filter_ = std::move(f);
      bias_ = std::move(b);
    } else {
      packed_ = prepare_conv_filter(f, b);
    }
  }
  const char* type() const override { return depthwise_ ? "DepthwiseConv2d" : "Conv2D"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    return depthwise_ ? depthwise_conv2d(*in[0], filter_, bias_, stride_, stride_, padding_, act_)
                      : conv2d(*in[0], packed_, stride_, stride_, padding_, act_);
  }

 private:
  Tensor filter_;
  std::vector<float> bias_;
  ConvFilter packed_;
  int stride_;
  Padding padding_;
  Activation act_;
  bool depthwise_;
};

class PoolOp final : public Op {
 public:
  PoolOp(Window w, bool max) : window_(w), max_(max) {}
  const char* type() const override { return max_ ? "MaxPool" : "AvgPool"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    return max_ ? max_pool(*in[0], window_) : avg_pool(*in[0], window_);
  }

 private:
  Window window_;
  bool max_;
};

class AddOp final : public Op {
 public:
  explicit AddOp(Activation a) : act_(a) {}
  const char* type() const override { return "AddV2"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override { return nn::add(*in[0], *in[1], act_); }

 private:
  Activation act_;
};

class MeanOp final : public Op {
 public:
  const char* type() const override { return "Mean"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override { return global_mean(*in[0]); }
};

class DenseOp final : public Op {
 public:
  DenseOp(Tensor w, std::vector<float> b) : weights_(std::move(w)), bias_(std::move(b)) {}
  const char* type() const override { return "MatMul"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override { return matmul(*in[0], weights_, bias_); }

 private:
  Tensor weights_;
  std::vector<float> bias_;
};

// Pads with zeros at the end of some dims up to a target taken from a fixed shape or from another
// tensor: face-api's residualDown pads both its branches this way before adding them.
class PadEndOp final : public Op {
 public:
  PadEndOp(Shape target, std::vector<int> like_dims) : target_(std::move(target)), like_dims_(std::move(like_dims)) {}
  const char* type() const override { return "Pad"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    const Tensor& x = *in[0];
    Shape target = target_;
    if (in.size() > 1) {
      target.assign(x.shape.size(), -1);
      for (int d : like_dims_) target[d] = in[1]->shape[d];
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> pads(x.shape.size(), {0, 0});
    bool any = false;
    for (size_t d = 0; d < x.shape.size(); ++d) {
      if (target[d] >= 0 && target[d] > x.shape[d]) {
        pads[d].second = target[d] - x.shape[d];
        any = true;
      }
    }
    return any ? pad(x, pads) : x;
  }

 private:
  Shape target_;
  std::vector<int> like_dims_;
};

class ReshapeOp final : public Op {
 public:
  explicit ReshapeOp(Shape s) : shape_(std::move(s)) {}
  const char* type() const override { return "Reshape"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override {
    Shape s = shape_;
    std::int64_t known = 1;
    int unknown = -1;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0) unknown = static_cast<int>(i);
      else known *= s[i];
    }
    if (unknown >= 0) s[unknown] = known ? in[0]->size() / known : 0;
    if (element_count(s) != in[0]->size())
      throw Error(ErrorCode::Internal, "reshape " + shape_string(in[0]->shape) + " to " + shape_string(shape_));
    Tensor y = *in[0];
    y.shape = s;
    return y;
  }

 private:
  Shape shape_;
};

class ConcatOp final : public Op {
 public:
  explicit ConcatOp(int axis) : axis_(axis) {}
  const char* type() const override { return "ConcatV2"; }
  Tensor forward(const std::vector<const Tensor*>& in) const override { return nn::concat(in, axis_); }

 private:
  int axis_;
};

// Activations of a few MB are allocated and freed on every layer. glibc serves blocks above its mmap
// threshold (128 KB to start, raised only as mmapped blocks are freed) with fresh mmap()s and trims the
// heap top when free space there passes 128 KB, so each layer paid page faults for memory it had just
// given back: MTCNN's pyramid ran at ~180 ms per image instead of ~64 ms as the first model of a process.
// Keeping blocks up to 64 MB on the heap and trimming only above 256 MB free makes the steady state
// fault-free; FACEKIT_KEEP_MALLOC_SETTINGS=1 leaves glibc's defaults alone (for embedders that tune malloc).
void tune_allocator_once() {
  static const bool done = [] {
    if (std::getenv("FACEKIT_KEEP_MALLOC_SETTINGS") == nullptr) {
      mallopt(M_MMAP_THRESHOLD, 64 << 20);
      mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
    return true;
  }();
  (void)done;
}

}  // namespace

int Graph::add_input(std::string name) {
  nodes_.push_back({nullptr, {}, std::move(name)});
  input_nodes_.push_back(static_cast<int>(nodes_.size()) - 1);
  return input_nodes_.back();
}

int Graph::add(std::unique_ptr<Op> op, std::vector<int> inputs, std::string name) {
  for (int i : inputs)
    if (i < 0 || i >= static_cast<int>(nodes_.size()))
      throw Error(ErrorCode::Internal, "graph node input " + std::to_string(i) + " does not exist");
  nodes_.push_back({std::move(op), std::move(inputs), std::move(name)});
  return static_cast<int>(nodes_.size()) - 1;
}

void Graph::add_output(int node, std::string name) {
  output_nodes_.push_back(node);
  output_names_.push_back(std::move(name));
}

std::vector<Tensor> Graph::run(std::vector<Tensor> inputs) const {
  if (inputs.size() != input_nodes_.size())
    throw Error(ErrorCode::Internal, "graph expects " + std::to_string(input_nodes_.size()) + " inputs");
  tune_allocator_once();
  // Last use of each node, so intermediates can be released as soon as possible.
  std::vector<int> last_use(nodes_.size(), -1);
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (int i : nodes_[n].inputs) last_use[i] = static_cast<int>(n);
  for (int o : output_nodes_) last_use[o] = static_cast<int>(nodes_.size());

  std::vector<Tensor> values(nodes_.size());
  for (size_t k = 0; k < input_nodes_.size(); ++k) values[input_nodes_[k]] = std::move(inputs[k]);
  std::vector<const Tensor*> args;
  static const bool profile = std::getenv("FACEKIT_PROFILE_OPS") != nullptr;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const Node& node = nodes_[n];
    if (!node.op) continue;
    args.clear();
    for (int i : node.inputs) args.push_back(&values[i]);
    const double start_us = profile ? thread_cpu_us() : 0;
    values[n] = node.op->forward(args);
    if (profile)
      std::fprintf(stderr, "facekit-profile node=%zu op=%s name=%s out=%s cpu_us=%.1f\n", n, node.op->type(),
                   node.name.empty() ? "-" : node.name.c_str(), shape_string(values[n].shape).c_str(),
                   thread_cpu_us() - start_us);
    for (int i : node.inputs)
      if (last_use[i] == static_cast<int>(n)) values[i] = Tensor();
  }
  std::vector<Tensor> outputs;
  for (int o : output_nodes_) outputs.push_back(values[o]);
  return outputs;
}

int Graph::conv(int x, Tensor filter, std::vector<float> bias, int stride, Padding padding, Activation act,
                std::string name) {
  return add(std::make_unique<ConvOp>(std::move(filter), std::move(bias), stride, padding, act, false), {x},
             std::move(name));
}
int Graph::depthwise(int x, Tensor filter, std::vector<float> bias, int stride, Padding padding, Activation act,
                     std::string name) {
  return add(std::make_unique<ConvOp>(std::move(filter), std::move(bias), stride, padding, act, true), {x},
             std::move(name));
}
int Graph::max_pool(int x, int k, int s, Padding p) { return add(std::make_unique<PoolOp>(Window{k, k, s, s, p}, true), {x}); }
int Graph::avg_pool(int x, int k, int s, Padding p) { return add(std::make_unique<PoolOp>(Window{k, k, s, s, p}, false), {x}); }
int Graph::add(int a, int b, Activation act) { return add(std::make_unique<AddOp>(act), {a, b}); }
int Graph::global_mean(int x) { return add(std::make_unique<MeanOp>(), {x}); }
int Graph::dense(int x, Tensor w, std::vector<float> b) {
  return add(std::make_unique<DenseOp>(std::move(w), std::move(b)), {x});
}
int Graph::pad_end_to(int x, Shape shape) { return add(std::make_unique<PadEndOp>(std::move(shape), std::vector<int>{}), {x}); }
int Graph::pad_end_like(int x, int like, std::vector<int> dims) {
  return add(std::make_unique<PadEndOp>(Shape{}, std::move(dims)), {x, like});
}
int Graph::reshape(int x, Shape s) { return add(std::make_unique<ReshapeOp>(std::move(s)), {x}); }
int Graph::concat(std::vector<int> xs, int axis) { return add(std::make_unique<ConcatOp>(axis), std::move(xs)); }

}  // namespace facekit::nn
