#include "nn/kernels_tensor.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "facekit/error.hpp"

namespace facekit::nn {
namespace {

std::vector<std::int64_t> strides_of(const Shape& s) {
  std::vector<std::int64_t> st(s.size(), 1);
  for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

template <typename F>
Tensor broadcast_apply(const Tensor& a, const Tensor& b, F f) {
  if (a.shape == b.shape) {
    Tensor y(a.shape);
    for (std::int64_t i = 0; i < y.size(); ++i) y.data[i] = f(a.data[i], b.data[i]);
    return y;
  }
  const Shape out = broadcast_shape(a.shape, b.shape);
  Tensor y(out);
  if (b.size() == 1) {
    const float v = b.data[0];
    for (std::int64_t i = 0; i < y.size(); ++i) y.data[i] = f(a.data[i], v);
    return y;
  }
  if (a.size() == 1) {
    const float v = a.data[0];
    for (std::int64_t i = 0; i < y.size(); ++i) y.data[i] = f(v, b.data[i]);
    return y;
  }
  // Per-channel operand on either side (the common case: a bias or scale over the last axis); rows of
  // c elements so the inner loop vectorises.
  const std::int64_t c = out.back();
  if (a.shape == out && b.size() == c && b.shape.back() == c) {
    for (std::int64_t i = 0; i < y.size(); i += c)
      for (std::int64_t k = 0; k < c; ++k) y.data[i + k] = f(a.data[i + k], b.data[k]);
    return y;
  }
  if (b.shape == out && a.size() == c && a.shape.back() == c) {
    for (std::int64_t i = 0; i < y.size(); i += c)
      for (std::int64_t k = 0; k < c; ++k) y.data[i + k] = f(a.data[k], b.data[i + k]);
    return y;
  }
  // General case: walk the output and map each index into both operands (stride 0 on broadcast axes).
  const int rank = static_cast<int>(out.size());
  auto aligned_strides = [&](const Tensor& t) {
    std::vector<std::int64_t> st(rank, 0);
    const auto own = strides_of(t.shape);
    const int offset = rank - t.rank();
    for (int d = 0; d < t.rank(); ++d) st[d + offset] = t.shape[d] == 1 ? 0 : own[d];
    return st;
  };
  const auto sa = aligned_strides(a), sb = aligned_strides(b);
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t i = 0; i < y.size(); ++i) {
    std::int64_t ia = 0, ib = 0;
    for (int d = 0; d < rank; ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    y.data[i] = f(a.data[ia], b.data[ib]);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(ErrorCode::Internal, "shapes " + shape_string(a) + " and " + shape_string(b) + " do not broadcast");
    out[i] = std::max(da, db);
  }
  return out;
}

Tensor binary(const Tensor& a, const Tensor& b, BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return broadcast_apply(a, b, [](float x, float y) { return x + y; });
    case BinaryOp::Sub: return broadcast_apply(a, b, [](float x, float y) { return x - y; });
    case BinaryOp::Mul: return broadcast_apply(a, b, [](float x, float y) { return x * y; });
    case BinaryOp::Div: return broadcast_apply(a, b, [](float x, float y) { return x / y; });
    case BinaryOp::Max: return broadcast_apply(a, b, [](float x, float y) { return std::max(x, y); });
    case BinaryOp::Min: return broadcast_apply(a, b, [](float x, float y) { return std::min(x, y); });
    case BinaryOp::Prelu:  // branch-free: the sign of activations is unpredictable
      return broadcast_apply(a, b, [](float x, float alpha) { return std::max(x, 0.f) + alpha * std::min(x, 0.f); });
    case BinaryOp::SquaredDifference:
      return broadcast_apply(a, b, [](float x, float y) { return (x - y) * (x - y); });
  }
  throw Error(ErrorCode::Internal, "unknown binary op");
}

void unary_inplace(Tensor& x, UnaryOp op) {
  float* p = x.ptr();
  const std::int64_t n = x.size();
  switch (op) {
    case UnaryOp::Relu: for (std::int64_t i = 0; i < n; ++i) p[i] = std::max(p[i], 0.f); break;
    case UnaryOp::Relu6: for (std::int64_t i = 0; i < n; ++i) p[i] = std::min(std::max(p[i], 0.f), 6.f); break;
    case UnaryOp::Abs: for (std::int64_t i = 0; i < n; ++i) p[i] = std::fabs(p[i]); break;
    case UnaryOp::Square: for (std::int64_t i = 0; i < n; ++i) p[i] = p[i] * p[i]; break;
    case UnaryOp::Sqrt: for (std::int64_t i = 0; i < n; ++i) p[i] = std::sqrt(p[i]); break;
    case UnaryOp::Rsqrt: for (std::int64_t i = 0; i < n; ++i) p[i] = 1.f / std::sqrt(p[i]); break;
    case UnaryOp::Exp: for (std::int64_t i = 0; i < n; ++i) p[i] = std::exp(p[i]); break;
    case UnaryOp::Log: for (std::int64_t i = 0; i < n; ++i) p[i] = std::log(p[i]); break;
    case UnaryOp::Neg: for (std::int64_t i = 0; i < n; ++i) p[i] = -p[i]; break;
    case UnaryOp::Sigmoid: for (std::int64_t i = 0; i < n; ++i) p[i] = 1.f / (1.f + std::exp(-p[i])); break;
    case UnaryOp::Tanh: for (std::int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]); break;
    case UnaryOp::Elu: for (std::int64_t i = 0; i < n; ++i) p[i] = p[i] < 0 ? std::expm1(p[i]) : p[i]; break;
    case UnaryOp::Reciprocal: for (std::int64_t i = 0; i < n; ++i) p[i] = 1.f / p[i]; break;
  }
}

Tensor unary(Tensor x, UnaryOp op) {
  unary_inplace(x, op);
  return x;
}

Tensor reduce(const Tensor& x, std::vector<int> axes, bool keep_dims, ReduceOp op) {
  const int rank = x.rank();
  if (axes.empty())
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  std::vector<bool> reduced(rank, false);
  for (int a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) throw Error(ErrorCode::Internal, "reduction axis out of range for " + shape_string(x.shape));
    reduced[a] = true;
  }
  Shape kept(rank);
  std::int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    kept[d] = reduced[d] ? 1 : x.shape[d];
    if (reduced[d]) count *= x.shape[d];
  }
  const double init = op == ReduceOp::Max ? -std::numeric_limits<double>::infinity()
                    : op == ReduceOp::Min ? std::numeric_limits<double>::infinity()
                    : op == ReduceOp::Prod ? 1.0 : 0.0;
  std::vector<double> acc(static_cast<size_t>(element_count(kept)), init);
  const auto out_strides = strides_of(kept);
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    std::int64_t o = 0;
    for (int d = 0; d < rank; ++d)
      if (!reduced[d]) o += idx[d] * out_strides[d];
    const double v = x.data[i];
    double& a = acc[o];
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean: a += v; break;
      case ReduceOp::Max: a = std::max(a, v); break;
      case ReduceOp::Min: a = std::min(a, v); break;
      case ReduceOp::Prod: a *= v; break;
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  Shape out_shape;
  for (int d = 0; d < rank; ++d)
    if (!reduced[d] || keep_dims) out_shape.push_back(kept[d]);
  Tensor y(out_shape);
  for (size_t i = 0; i < acc.size(); ++i)
    y.data[i] = static_cast<float>(op == ReduceOp::Mean ? acc[i] / double(count) : acc[i]);
  return y;
}

Tensor softmax(Tensor x) {
  const std::int64_t c = x.shape.empty() ? 1 : x.shape.back();
  for (std::int64_t r = 0; r < x.size() / c; ++r) {
    float* p = x.ptr() + r * c;
    const float m = *std::max_element(p, p + c);
    double sum = 0;
    for (std::int64_t i = 0; i < c; ++i) {
      p[i] = std::exp(p[i] - m);
      sum += p[i];
    }
    for (std::int64_t i = 0; i < c; ++i) p[i] = static_cast<float>(p[i] / sum);
  }
  return x;
}

Tensor strided_slice(const Tensor& x, const SliceSpec& spec) {
  // Expand the spec to one entry per input dimension (ellipsis and new axes resolved).
  struct Dim { std::int64_t begin, end, stride; bool shrink; };
  std::vector<Dim> dims;
  std::vector<int> new_axes_at;  // output positions of inserted axes
  const int n = static_cast<int>(spec.begin.size());
  int input_dim = 0;
  for (int i = 0; i < n; ++i) {
    if (spec.ellipsis_mask & (1 << i)) {
      int specified_after = 0;
      for (int j = i + 1; j < n; ++j)
        if (!(spec.new_axis_mask & (1 << j))) ++specified_after;
      while (input_dim < x.rank() - specified_after) {
        dims.push_back({0, x.shape[input_dim], 1, false});
        ++input_dim;
      }
      continue;
    }
    if (spec.new_axis_mask & (1 << i)) {
      new_axes_at.push_back(static_cast<int>(dims.size()));
      continue;
    }
    if (input_dim >= x.rank()) throw Error(ErrorCode::Internal, "strided slice has more dims than its input");
    const std::int64_t size = x.shape[input_dim++];
    std::int64_t stride = i < static_cast<int>(spec.strides.size()) ? spec.strides[i] : 1;
    if (stride == 0) throw Error(ErrorCode::Internal, "strided slice with stride 0");
    std::int64_t b = spec.begin[i], e = i < static_cast<int>(spec.end.size()) ? spec.end[i] : size;
    const bool shrink = spec.shrink_axis_mask & (1 << i);
    if (b < 0) b += size;
    if (e < 0) e += size;
    if (spec.begin_mask & (1 << i)) b = stride > 0 ? 0 : size - 1;
    if (spec.end_mask & (1 << i)) e = stride > 0 ? size : -1;
    if (shrink) {
      e = b + 1;
      stride = 1;
    }
    b = stride > 0 ? std::clamp<std::int64_t>(b, 0, size) : std::clamp<std::int64_t>(b, -1, size - 1);
    e = stride > 0 ? std::clamp<std::int64_t>(e, 0, size) : std::clamp<std::int64_t>(e, -1, size - 1);
    dims.push_back({b, e, stride, shrink});
  }
  while (input_dim < x.rank()) {
    dims.push_back({0, x.shape[input_dim], 1, false});
    ++input_dim;
  }
  Shape full;
  for (const auto& d : dims) {
    const std::int64_t len = d.stride > 0 ? std::max<std::int64_t>(0, (d.end - d.begin + d.stride - 1) / d.stride)
                                          : std::max<std::int64_t>(0, (d.begin - d.end - d.stride - 1) / -d.stride);
    full.push_back(len);
  }
  Tensor y(full);
  const auto in_strides = strides_of(x.shape);
  std::vector<std::int64_t> idx(dims.size(), 0);
  for (std::int64_t i = 0; i < y.size(); ++i) {
    std::int64_t src = 0;
    for (size_t d = 0; d < dims.size(); ++d) src += (dims[d].begin + idx[d] * dims[d].stride) * in_strides[d];
    y.data[i] = x.data[src];
    for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
      if (++idx[d] < full[d]) break;
      idx[d] = 0;
    }
  }
  Shape out;
  for (size_t d = 0; d <= dims.size(); ++d) {
    for (int at : new_axes_at)
      if (at == static_cast<int>(d)) out.push_back(1);
    if (d < dims.size() && !dims[d].shrink) out.push_back(full[d]);
  }
  y.shape = out;
  return y;
}

Tensor transpose(const Tensor& x, const std::vector<int>& perm) {
  Shape out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = x.shape[perm[i]];
  Tensor y(out);
  const auto in_strides = strides_of(x.shape);
  std::vector<std::int64_t> idx(perm.size(), 0);
  for (std::int64_t i = 0; i < y.size(); ++i) {
    std::int64_t src = 0;
    for (size_t d = 0; d < perm.size(); ++d) src += idx[d] * in_strides[perm[d]];
    y.data[i] = x.data[src];
    for (int d = static_cast<int>(perm.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

Tensor matmul2d(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  if (a.rank() != 2 || b.rank() != 2)
    throw Error(ErrorCode::Unsupported, "MatMul of " + shape_string(a.shape) + " and " + shape_string(b.shape) +
                                            " (only 2-D operands are supported)");
  const std::int64_t m = transpose_a ? a.shape[1] : a.shape[0], k = transpose_a ? a.shape[0] : a.shape[1];
  const std::int64_t kb = transpose_b ? b.shape[1] : b.shape[0], n = transpose_b ? b.shape[0] : b.shape[1];
  if (k != kb) throw Error(ErrorCode::Internal, "MatMul inner dimensions differ");
  Tensor y({m, n});
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.f, a.ptr(),
              static_cast<int>(a.shape[1]), b.ptr(), static_cast<int>(b.shape[1]), 0.f, y.ptr(), static_cast<int>(n));
  return y;
}

}  // namespace facekit::nn
