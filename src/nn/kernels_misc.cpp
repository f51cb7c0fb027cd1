// Pooling, element-wise and layout kernels.
#include <algorithm>
#include <cstring>
#include <limits>

#include "facekit/error.hpp"
#include "nn/kernels.hpp"

namespace facekit::nn {

void apply_activation(float* data, std::int64_t n, Activation act) {
  switch (act) {
    case Activation::None: return;
    case Activation::Relu:
      for (std::int64_t i = 0; i < n; ++i) data[i] = std::max(data[i], 0.f);
      return;
    case Activation::Relu6:
      for (std::int64_t i = 0; i < n; ++i) data[i] = std::min(std::max(data[i], 0.f), 6.f);
      return;
  }
}

void apply_prelu(float* data, std::int64_t n, const std::vector<float>& slope) {
  const std::int64_t c = static_cast<std::int64_t>(slope.size());
  if (c == 0 || n % c != 0)
    throw Error(ErrorCode::Internal, "prelu: " + std::to_string(n) + " values for " + std::to_string(c) + " channels");
  const float* s = slope.data();
  for (std::int64_t i = 0; i < n; i += c)
    for (std::int64_t k = 0; k < c; ++k) data[i + k] = std::max(data[i + k], 0.f) + s[k] * std::min(data[i + k], 0.f);
}

void add_bias_activation(float* data, std::int64_t rows, std::int64_t cols, const std::vector<float>& bias,
                         Activation act) {
  if (bias.empty()) {
    apply_activation(data, rows * cols, act);
    return;
  }
  if (static_cast<std::int64_t>(bias.size()) != cols)
    throw Error(ErrorCode::Internal, "bias of " + std::to_string(bias.size()) + " for " + std::to_string(cols) +
                                         " channels");
  const float* b = bias.data();
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = data + r * cols;
    for (std::int64_t i = 0; i < cols; ++i) row[i] += b[i];
    apply_activation(row, cols, act);
  }
}

namespace {

template <typename Reduce, typename Finish>
Tensor pool(const Tensor& x, const Window& w, float init, Reduce reduce, Finish finish) {
  const HWC in = as_hwc(x);
  const PadInfo ph = tf_padding(in.h, w.kh, w.stride_h, w.padding);
  const PadInfo pw = tf_padding(in.w, w.kw, w.stride_w, w.padding);
  Tensor y({1, ph.out, pw.out, in.c});
  std::vector<float> acc(static_cast<size_t>(in.c));
  for (std::int64_t oy = 0; oy < ph.out; ++oy) {
    for (std::int64_t ox = 0; ox < pw.out; ++ox) {
      std::fill(acc.begin(), acc.end(), init);
      int count = 0;
      for (int ky = 0; ky < w.kh; ++ky) {
        const std::int64_t iy = oy * w.stride_h - ph.before + ky;
        if (iy < 0 || iy >= in.h) continue;
        for (int kx = 0; kx < w.kw; ++kx) {
          const std::int64_t ix = ox * w.stride_w - pw.before + kx;
          if (ix < 0 || ix >= in.w) continue;
          const float* pix = x.ptr() + (iy * in.w + ix) * in.c;
          for (std::int64_t c = 0; c < in.c; ++c) acc[c] = reduce(acc[c], pix[c]);
          ++count;
        }
      }
      float* out = y.ptr() + (oy * pw.out + ox) * in.c;
      for (std::int64_t c = 0; c < in.c; ++c) out[c] = finish(acc[c], count);
    }
  }
  return y;
}

}  // namespace

Tensor max_pool(const Tensor& x, const Window& w) {
  return pool(
      x, w, -std::numeric_limits<float>::infinity(), [](float a, float v) { return std::max(a, v); },
      [](float a, int) { return a; });
}

Tensor avg_pool(const Tensor& x, const Window& w) {
  return pool(
      x, w, 0.f, [](float a, float v) { return a + v; },
      [](float a, int n) { return n > 0 ? a / static_cast<float>(n) : 0.f; });
}

Tensor global_mean(const Tensor& x) {
  const HWC in = as_hwc(x);
  Tensor y({1, in.c});
  std::vector<double> acc(static_cast<size_t>(in.c), 0.0);
  for (std::int64_t p = 0; p < in.h * in.w; ++p)
    for (std::int64_t c = 0; c < in.c; ++c) acc[c] += x.data[p * in.c + c];
  for (std::int64_t c = 0; c < in.c; ++c) y.data[c] = static_cast<float>(acc[c] / double(in.h * in.w));
  return y;
}

Tensor add(const Tensor& a, const Tensor& b, Activation act) {
  if (a.shape != b.shape)
    throw Error(ErrorCode::Internal, "add: shapes " + shape_string(a.shape) + " and " + shape_string(b.shape));
  Tensor y = a;
  for (std::int64_t i = 0; i < y.size(); ++i) y.data[i] += b.data[i];
  apply_activation(y.ptr(), y.size(), act);
  return y;
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pads) {
  if (pads.size() != x.shape.size()) throw Error(ErrorCode::Internal, "pad: rank mismatch");
  Shape out_shape = x.shape;
  for (size_t i = 0; i < pads.size(); ++i) out_shape[i] += pads[i].first + pads[i].second;
  Tensor y(out_shape);
  // Copy innermost-dimension runs; index arithmetic over the outer dimensions.
  const int rank = x.rank();
  const std::int64_t inner = x.shape[rank - 1];
  const std::int64_t outer = inner ? x.size() / inner : 0;
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t r = 0; r < outer; ++r) {
    std::int64_t rem = r, dst = 0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = rem % x.shape[d];
      rem /= x.shape[d];
    }
    std::int64_t stride = 1;
    dst = pads[rank - 1].first;
    stride = out_shape[rank - 1];
    for (int d = rank - 2; d >= 0; --d) {
      dst += (idx[d] + pads[d].first) * stride;
      stride *= out_shape[d];
    }
    std::memcpy(y.ptr() + dst, x.ptr() + r * inner, sizeof(float) * inner);
  }
  return y;
}

Tensor concat(const std::vector<const Tensor*>& parts, int axis) {
  if (parts.empty()) throw Error(ErrorCode::Internal, "concat of nothing");
  const int rank = parts[0]->rank();
  if (axis < 0) axis += rank;
  Shape out_shape = parts[0]->shape;
  out_shape[axis] = 0;
  for (const Tensor* p : parts) {
    for (int d = 0; d < rank; ++d)
      if (d != axis && p->shape[d] != parts[0]->shape[d])
        throw Error(ErrorCode::Internal, "concat: shapes " + shape_string(p->shape) + " and " +
                                             shape_string(parts[0]->shape) + " differ off axis");
    out_shape[axis] += p->shape[axis];
  }
  Tensor y(out_shape);
  std::int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  std::int64_t inner = 1;
  for (int d = axis + 1; d < rank; ++d) inner *= out_shape[d];
  float* dst = y.ptr();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const Tensor* p : parts) {
      const std::int64_t run = p->shape[axis] * inner;
      std::memcpy(dst, p->ptr() + o * run, sizeof(float) * run);
      dst += run;
    }
  }
  return y;
}

}  // namespace facekit::nn
