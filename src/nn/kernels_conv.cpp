// Convolutions as im2col + our packed GEMM (gemm.hpp). With NHWC activations and HWIO filters, the
// filter is already the [kh*kw*cin, cout] matrix and a 1x1 stride-1 convolution needs no im2col at all.
#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "facekit/error.hpp"
#include "nn/conv.hpp"

namespace facekit::nn {

PadInfo tf_padding(std::int64_t in, int kernel, int stride, Padding padding) {
  PadInfo p;
  if (padding == Padding::Valid) {
    p.out = in >= kernel ? (in - kernel) / stride + 1 : 0;
    p.before = 0;
  } else {
    p.out = (in + stride - 1) / stride;
    std::int64_t total = std::max<std::int64_t>((p.out - 1) * stride + kernel - in, 0);
    p.before = total / 2;
  }
  return p;
}

namespace {

// Rows of the im2col matrix: one per output pixel, kh*kw*cin values, zeros where the window is off the image.
void im2col(const float* x, const HWC& in, int kh, int kw, int sh, int sw, const PadInfo& ph,
            const PadInfo& pw, float* cols) {
  const std::int64_t row_len = std::int64_t(kh) * kw * in.c;
  for (std::int64_t oy = 0; oy < ph.out; ++oy) {
    for (std::int64_t ox = 0; ox < pw.out; ++ox) {
      float* row = cols + (oy * pw.out + ox) * row_len;
      const std::int64_t iy0 = oy * sh - ph.before, ix0 = ox * sw - pw.before;
      for (int ky = 0; ky < kh; ++ky) {
        const std::int64_t iy = iy0 + ky;
        float* dst = row + std::int64_t(ky) * kw * in.c;
        if (iy < 0 || iy >= in.h) {
          std::memset(dst, 0, sizeof(float) * kw * in.c);
          continue;
        }
        // Copy the run of in-image taps in one go; zero the taps off the left/right edge.
        const std::int64_t kx_begin = std::max<std::int64_t>(0, -ix0);
        const std::int64_t kx_end = std::min<std::int64_t>(kw, in.w - ix0);
        if (kx_begin > 0) std::memset(dst, 0, sizeof(float) * kx_begin * in.c);
        if (kx_end > kx_begin)
          std::memcpy(dst + kx_begin * in.c, x + (iy * in.w + ix0 + kx_begin) * in.c,
                      sizeof(float) * (kx_end - kx_begin) * in.c);
        if (kx_end < kw) {
          const std::int64_t from = std::max(kx_end, kx_begin);
          std::memset(dst + from * in.c, 0, sizeof(float) * (kw - from) * in.c);
        }
      }
    }
  }
}

}  // namespace

ConvFilter prepare_conv_filter(const Tensor& filter, const std::vector<float>& bias) {
  if (filter.rank() != 4) throw Error(ErrorCode::Internal, "conv2d: filter " + shape_string(filter.shape) + " is not HWIO");
  ConvFilter f;
  f.kh = static_cast<int>(filter.shape[0]);
  f.kw = static_cast<int>(filter.shape[1]);
  f.cin = filter.shape[2];
  f.cout = filter.shape[3];
  // HWIO is already the row-major [kh*kw*cin, cout] matrix.
  f.matrix = PackedMatrix(filter.ptr(), std::int64_t(f.kh) * f.kw * f.cin, f.cout, bias);
  return f;
}

Tensor conv2d(const Tensor& x, const ConvFilter& filter, int stride_h, int stride_w, Padding padding,
              Activation act) {
  const HWC in = as_hwc(x);
  if (filter.cin != in.c)
    throw Error(ErrorCode::Internal, "conv2d: filter for " + std::to_string(filter.cin) + " channels, input " +
                                         shape_string(x.shape));
  const int kh = filter.kh, kw = filter.kw;
  const PadInfo ph = tf_padding(in.h, kh, stride_h, padding), pw = tf_padding(in.w, kw, stride_w, padding);
  Tensor y({1, ph.out, pw.out, filter.cout});
  const std::int64_t m = ph.out * pw.out, k = std::int64_t(kh) * kw * in.c;
  if (m == 0) return y;

  const float* a = x.ptr();
  if (!(kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1)) {
    // One im2col buffer per thread, grown as needed and reused: every element is written by
    // im2col, so a fresh zero-filled allocation per layer would only cost memory bandwidth.
    thread_local std::vector<float> cols;
    if (cols.size() < static_cast<size_t>(m * k)) cols.resize(static_cast<size_t>(m * k));
    im2col(x.ptr(), in, kh, kw, stride_h, stride_w, ph, pw, cols.data());
    a = cols.data();
  }
  gemm_packed(a, m, k, filter.matrix, y.ptr(), filter.cout, act);
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias, int stride_h,
              int stride_w, Padding padding, Activation act) {
  if (filter.rank() != 4 || filter.shape[2] != as_hwc(x).c)
    throw Error(ErrorCode::Internal, "conv2d: filter " + shape_string(filter.shape) + " does not fit input " +
                                         shape_string(x.shape));
  return conv2d(x, prepare_conv_filter(filter, bias), stride_h, stride_w, padding, act);
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias,
                        int stride_h, int stride_w, Padding padding, Activation act) {
  const HWC in = as_hwc(x);
  if (filter.rank() != 4 || filter.shape[2] != in.c || filter.shape[3] != 1)
    throw Error(ErrorCode::Internal, "depthwise_conv2d: filter " + shape_string(filter.shape) +
                                         " does not fit input " + shape_string(x.shape));
  const int kh = static_cast<int>(filter.shape[0]), kw = static_cast<int>(filter.shape[1]);
  const std::int64_t c = in.c;
  const PadInfo ph = tf_padding(in.h, kh, stride_h, padding), pw = tf_padding(in.w, kw, stride_w, padding);
  Tensor y({1, ph.out, pw.out, c});
  const float* src = x.ptr();
  const float* f = filter.ptr();
  for (std::int64_t oy = 0; oy < ph.out; ++oy) {
    for (std::int64_t ox = 0; ox < pw.out; ++ox) {
      float* out = y.ptr() + (oy * pw.out + ox) * c;
      for (int ky = 0; ky < kh; ++ky) {
        const std::int64_t iy = oy * stride_h - ph.before + ky;
        if (iy < 0 || iy >= in.h) continue;
        for (int kx = 0; kx < kw; ++kx) {
          const std::int64_t ix = ox * stride_w - pw.before + kx;
          if (ix < 0 || ix >= in.w) continue;
          const float* pix = src + (iy * in.w + ix) * c;
          const float* tap = f + (std::int64_t(ky) * kw + kx) * c;
          for (std::int64_t ch = 0; ch < c; ++ch) out[ch] += pix[ch] * tap[ch];
        }
      }
    }
  }
  add_bias_activation(y.ptr(), ph.out * pw.out, c, bias, act);
  return y;
}

Tensor matmul(const Tensor& x, const Tensor& w, const std::vector<float>& bias) {
  if (w.rank() != 2 || x.size() != w.shape[0])
    throw Error(ErrorCode::Internal, "matmul: " + shape_string(x.shape) + " x " + shape_string(w.shape));
  const std::int64_t k = w.shape[0], n = w.shape[1];
  Tensor y({1, n});
  cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<int>(k), static_cast<int>(n), 1.f, w.ptr(),
              static_cast<int>(n), x.ptr(), 1, 0.f, y.ptr(), 1);
  add_bias_activation(y.ptr(), 1, n, bias, Activation::None);
  return y;
}

}  // namespace facekit::nn
