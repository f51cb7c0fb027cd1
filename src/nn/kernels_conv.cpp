// Convolutions as im2col + our packed GEMM (gemm.hpp). With NHWC activations and HWIO filters, the
// filter is already the [kh*kw*cin, cout] matrix and a 1x1 stride-1 convolution needs no im2col at all.
#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "facekit/error.hpp"
#include "core/parallel.hpp"
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

// With at least this many input channels each filter tap is a run long enough for the GEMM's inner loop,
// and reading the input in place beats copying it kh*kw times into an im2col matrix. Fewer (an RGB
// image) keep im2col.
constexpr std::int64_t kMinImplicitChannels = 16;

// The convolution as a GEMM whose A rows are read straight from the (zero-padded) input: row (oy, ox)
// is the kh*kw runs of cin floats under the window, which is exactly the HWIO row order of the filter.
void conv_implicit(const Tensor& x, const HWC& in, const ConvFilter& f, int stride_h, int stride_w,
                   const PadInfo& ph, const PadInfo& pw, float* y, Activation act) {
  // The region the windows cover; a copy with zero borders only where they reach outside the input.
  const std::int64_t need_h = (ph.out - 1) * stride_h + f.kh, need_w = (pw.out - 1) * stride_w + f.kw;
  const bool in_place = ph.before == 0 && pw.before == 0 && need_h <= in.h && need_w <= in.w;
  const float* base = x.ptr();
  std::int64_t width = in.w;
  thread_local std::vector<float> padded;
  if (!in_place) {
    width = need_w;
    padded.assign(static_cast<size_t>(need_h * need_w * in.c), 0.f);
    for (std::int64_t py = 0; py < need_h; ++py) {
      const std::int64_t iy = py - ph.before;
      if (iy < 0 || iy >= in.h) continue;
      const std::int64_t px0 = std::max<std::int64_t>(0, pw.before), px1 = std::min(need_w, pw.before + in.w);
      if (px1 > px0)
        std::memcpy(padded.data() + (py * need_w + px0) * in.c, base + (iy * in.w + px0 - pw.before) * in.c,
                    sizeof(float) * (px1 - px0) * in.c);
    }
    base = padded.data();
  }
  thread_local std::vector<std::int64_t> row_offset, tap_offset;
  row_offset.resize(static_cast<size_t>(ph.out * pw.out));
  for (std::int64_t oy = 0; oy < ph.out; ++oy)
    for (std::int64_t ox = 0; ox < pw.out; ++ox)
      row_offset[oy * pw.out + ox] = (oy * stride_h * width + ox * stride_w) * in.c;
  tap_offset.resize(static_cast<size_t>(f.kh * f.kw));
  for (int ky = 0; ky < f.kh; ++ky)
    for (int kx = 0; kx < f.kw; ++kx) tap_offset[ky * f.kw + kx] = (ky * width + kx) * in.c;
  const TapRows rows{base, row_offset.data(), tap_offset.data(), f.kh * f.kw, in.c};
  gemm_packed(rows, ph.out * pw.out, f.matrix, y, f.cout, act);
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

  if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1) {
    gemm_packed(x.ptr(), m, k, filter.matrix, y.ptr(), filter.cout, act);
  } else if (in.c >= kMinImplicitChannels) {
    conv_implicit(x, in, filter, stride_h, stride_w, ph, pw, y.ptr(), act);
  } else {
    // One im2col buffer per thread, grown as needed and reused: every element is written by
    // im2col, so a fresh zero-filled allocation per layer would only cost memory bandwidth.
    thread_local std::vector<float> cols;
    if (cols.size() < static_cast<size_t>(m * k)) cols.resize(static_cast<size_t>(m * k));
    im2col(x.ptr(), in, kh, kw, stride_h, stride_w, ph, pw, cols.data());
    gemm_packed(cols.data(), m, k, filter.matrix, y.ptr(), filter.cout, act);
  }
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias, int stride_h,
              int stride_w, Padding padding, Activation act) {
  if (filter.rank() != 4 || filter.shape[2] != as_hwc(x).c)
    throw Error(ErrorCode::Internal, "conv2d: filter " + shape_string(filter.shape) + " does not fit input " +
                                         shape_string(x.shape));
  return conv2d(x, prepare_conv_filter(filter, bias), stride_h, stride_w, padding, act);
}

namespace {

// One output row of a depthwise convolution: each output pixel's channels are summed in registers
// (8 per ymm) over the taps that fall inside the image, in the same tap order as the plain loop, then
// bias and activation are applied once, on the way out.
void depthwise_row(const float* src, const HWC& in, const float* f, int kh, int kw, std::int64_t iy0,
                   std::int64_t ox_count, int stride_w, std::int64_t x_before, const float* bias, Activation act,
                   float* out) {
  const std::int64_t c = in.c, vec_end = c / 8 * 8;
  const int ky0 = static_cast<int>(std::max<std::int64_t>(0, -iy0));
  const int ky1 = static_cast<int>(std::min<std::int64_t>(kh, in.h - iy0));
  for (std::int64_t ox = 0; ox < ox_count; ++ox, out += c) {
    const std::int64_t ix0 = ox * stride_w - x_before;
    const int kx0 = static_cast<int>(std::max<std::int64_t>(0, -ix0));
    const int kx1 = static_cast<int>(std::min<std::int64_t>(kw, in.w - ix0));
    for (std::int64_t ch = 0; ch < vec_end; ch += 8) {
      __m256 acc = _mm256_setzero_ps();
      for (int ky = ky0; ky < ky1; ++ky) {
        const float* pix = src + ((iy0 + ky) * in.w + ix0) * c + ch;
        const float* tap = f + std::int64_t(ky) * kw * c + ch;
        for (int kx = kx0; kx < kx1; ++kx)
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(pix + kx * c), _mm256_loadu_ps(tap + kx * c), acc);
      }
      if (bias) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias + ch));
      if (act != Activation::None) acc = _mm256_max_ps(acc, _mm256_setzero_ps());
      if (act == Activation::Relu6) acc = _mm256_min_ps(acc, _mm256_set1_ps(6.f));
      _mm256_storeu_ps(out + ch, acc);
    }
    for (std::int64_t ch = vec_end; ch < c; ++ch) {
      float acc = 0;
      for (int ky = ky0; ky < ky1; ++ky)
        for (int kx = kx0; kx < kx1; ++kx)
          acc = std::fma(src[((iy0 + ky) * in.w + ix0 + kx) * c + ch], f[(std::int64_t(ky) * kw + kx) * c + ch], acc);
      if (bias) acc += bias[ch];
      if (act != Activation::None) acc = std::max(acc, 0.f);
      if (act == Activation::Relu6) acc = std::min(acc, 6.f);
      out[ch] = acc;
    }
  }
}

}  // namespace

Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias,
                        int stride_h, int stride_w, Padding padding, Activation act) {
  const HWC in = as_hwc(x);
  if (filter.rank() != 4 || filter.shape[2] != in.c || filter.shape[3] != 1)
    throw Error(ErrorCode::Internal, "depthwise_conv2d: filter " + shape_string(filter.shape) +
                                         " does not fit input " + shape_string(x.shape));
  if (!bias.empty() && static_cast<std::int64_t>(bias.size()) != in.c)
    throw Error(ErrorCode::Internal, "depthwise_conv2d: bias of " + std::to_string(bias.size()) + " for " +
                                         std::to_string(in.c) + " channels");
  const int kh = static_cast<int>(filter.shape[0]), kw = static_cast<int>(filter.shape[1]);
  const PadInfo ph = tf_padding(in.h, kh, stride_h, padding), pw = tf_padding(in.w, kw, stride_w, padding);
  Tensor y({1, ph.out, pw.out, in.c});
  const std::size_t flops = static_cast<std::size_t>(2 * ph.out * pw.out * in.c * kh * kw);
  const int threads = flops < (4u << 20) ? 1 : 0;  // as in gemm.cpp: small layers are not worth a thread
  parallel_for(static_cast<std::size_t>(ph.out), 1, threads, [&](std::size_t begin, std::size_t end, std::size_t) {
    for (std::size_t oy = begin; oy < end; ++oy)
      depthwise_row(x.ptr(), in, filter.ptr(), kh, kw, std::int64_t(oy) * stride_h - ph.before, pw.out, stride_w,
                    pw.before, bias.empty() ? nullptr : bias.data(), act, y.ptr() + std::int64_t(oy) * pw.out * in.c);
  });
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
