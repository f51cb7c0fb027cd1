// Shape-generic kernels for imported graphs: NumPy/TensorFlow broadcasting, reductions, slicing.
#pragma once
#include <functional>
#include <vector>

#include "nn/tensor.hpp"

namespace facekit::nn {

enum class BinaryOp { Add, Sub, Mul, Div, Max, Min, Prelu, SquaredDifference };
enum class UnaryOp { Relu, Relu6, Abs, Square, Sqrt, Rsqrt, Exp, Log, Neg, Sigmoid, Tanh, Elu, Reciprocal };
enum class ReduceOp { Sum, Mean, Max, Min, Prod };

Shape broadcast_shape(const Shape& a, const Shape& b);
Tensor binary(const Tensor& a, const Tensor& b, BinaryOp op);
Tensor unary(Tensor x, UnaryOp op);
void unary_inplace(Tensor& x, UnaryOp op);

// Reduces over `axes` (negative counts from the end; empty = all), keeping them as size 1 if asked.
Tensor reduce(const Tensor& x, std::vector<int> axes, bool keep_dims, ReduceOp op);

// Softmax over the last axis.
Tensor softmax(Tensor x);

// tf.stridedSlice with begin/end/ellipsis/new-axis/shrink masks.
struct SliceSpec {
  std::vector<std::int64_t> begin, end, strides;
  int begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
};
Tensor strided_slice(const Tensor& x, const SliceSpec& spec);

// [..., M, K] x [K, N] with optional transposes of 2-D operands.
Tensor matmul2d(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

Tensor transpose(const Tensor& x, const std::vector<int>& perm);

}  // namespace facekit::nn
