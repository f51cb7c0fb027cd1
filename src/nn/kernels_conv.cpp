// Convolutions as our packed GEMM (gemm.hpp) over rows read in place from the (zero-padded) input: with
// NHWC activations and HWIO filters the filter is already the [kh*kw*cin, cout] matrix, so no im2col
// copy is made; a 1x1 stride-1 convolution is a plain GEMM.
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

// The input as a need_h x need_w region whose corner is `before_h` / `before_w` pixels above and left of the
// image, zero where the image has no pixel; written into `buffer`.
const float* zero_padded_region(const Tensor& x, const HWC& in, std::int64_t before_h, std::int64_t before_w,
                                std::int64_t need_h, std::int64_t need_w, std::vector<float>& buffer) {
  buffer.assign(static_cast<std::size_t>(need_h * need_w * in.c), 0.f);
  for (std::int64_t py = 0; py < need_h; ++py) {
    const std::int64_t iy = py - before_h;
    if (iy < 0 || iy >= in.h) continue;
    const std::int64_t px0 = std::max<std::int64_t>(0, before_w), px1 = std::min(need_w, before_w + in.w);
    if (px1 > px0)
      std::memcpy(buffer.data() + (py * need_w + px0) * in.c, x.ptr() + (iy * in.w + px0 - before_w) * in.c,
                  sizeof(float) * (px1 - px0) * in.c);
  }
  return buffer.data();
}

// With at least this many input channels each filter tap (one filter position) is a run long enough for
// the GEMM's inner loop. With fewer (an RGB image) a tap is a whole filter row instead: its kw pixels are
// kw*cin adjacent floats of the input row, in the filter's HWIO order too.
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
    base = zero_padded_region(x, in, ph.before, pw.before, need_h, need_w, padded);
  }
  thread_local std::vector<std::int64_t> row_offset, tap_offset;
  row_offset.resize(static_cast<size_t>(ph.out * pw.out));
  for (std::int64_t oy = 0; oy < ph.out; ++oy)
    for (std::int64_t ox = 0; ox < pw.out; ++ox)
      row_offset[oy * pw.out + ox] = (oy * stride_h * width + ox * stride_w) * in.c;
  if (in.c >= kMinImplicitChannels) {  // one tap per filter position, cin floats each
    tap_offset.resize(static_cast<size_t>(f.kh * f.kw));
    for (int ky = 0; ky < f.kh; ++ky)
      for (int kx = 0; kx < f.kw; ++kx) tap_offset[ky * f.kw + kx] = (ky * width + kx) * in.c;
  } else {  // few channels (an RGB image): one tap per filter row, its kw pixels being kw*cin adjacent floats
    tap_offset.resize(static_cast<size_t>(f.kh));
    for (int ky = 0; ky < f.kh; ++ky) tap_offset[ky] = ky * width * in.c;
  }
  const bool per_position = in.c >= kMinImplicitChannels;
  const TapRows rows{base, row_offset.data(), tap_offset.data(), per_position ? f.kh * f.kw : f.kh,
                     per_position ? in.c : f.kw * in.c};
  gemm_packed(rows, ph.out * pw.out, f.matrix, y, f.cout, act);
}

}  // namespace

ConvFilter prepare_conv_filter(const Tensor& filter, const std::vector<float>& bias, bool winograd) {
  if (filter.rank() != 4) throw Error(ErrorCode::Internal, "conv2d: filter " + shape_string(filter.shape) + " is not HWIO");
  ConvFilter f;
  f.kh = static_cast<int>(filter.shape[0]);
  f.kw = static_cast<int>(filter.shape[1]);
  f.cin = filter.shape[2];
  f.cout = filter.shape[3];
  // HWIO is already the row-major [kh*kw*cin, cout] matrix.
  f.matrix = PackedMatrix(filter.ptr(), std::int64_t(f.kh) * f.kw * f.cin, f.cout, bias);
  if (winograd && winograd_suits(f.kh, f.kw, f.cin, f.cout))
    f.winograd = std::make_shared<const WinogradFilter>(prepare_winograd_filter(filter.ptr(), f.cin, f.cout, bias));
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
  } else if (filter.winograd && stride_h == 1 && stride_w == 1 && m >= 64) {
    // The tiles read 2 * ceil(out / 2) + 2 rows and columns from the first window's corner: a zero-padded copy.
    const std::int64_t need_h = (ph.out + 1) / 2 * 2 + 2, need_w = (pw.out + 1) / 2 * 2 + 2;
    thread_local std::vector<float> padded;
    winograd_conv3x3(zero_padded_region(x, in, ph.before, pw.before, need_h, need_w, padded), need_w, ph.out,
                     pw.out, *filter.winograd, y.ptr(), act);
  } else {
    conv_implicit(x, in, filter, stride_h, stride_w, ph, pw, y.ptr(), act);
  }
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& filter, const std::vector<float>& bias, int stride_h,
              int stride_w, Padding padding, Activation act) {
  if (filter.rank() != 4 || filter.shape[2] != as_hwc(x).c)
    throw Error(ErrorCode::Internal, "conv2d: filter " + shape_string(filter.shape) + " does not fit input " +
                                         shape_string(x.shape));
  return conv2d(x, prepare_conv_filter(filter, bias, /*winograd=*/false), stride_h, stride_w, padding, act);
}

namespace {

inline __m256 bias_activate(__m256 acc, const float* bias, std::int64_t ch, Activation act) {
  if (bias) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias + ch));
  if (act != Activation::None) acc = _mm256_max_ps(acc, _mm256_setzero_ps());
  if (act == Activation::Relu6) acc = _mm256_min_ps(acc, _mm256_set1_ps(6.f));
  return acc;
}
inline float bias_activate(float acc, const float* bias, std::int64_t ch, Activation act) {
  if (bias) acc += bias[ch];
  if (act != Activation::None) acc = std::max(acc, 0.f);
  if (act == Activation::Relu6) acc = std::min(acc, 6.f);
  return acc;
}

// Output pixels [ox_begin, ox_end) of one row of a depthwise convolution: each output pixel's channels are
// summed in registers (8 per ymm) over the taps that fall inside the image, in row-major tap order, then
// bias and activation are applied once, on the way out.
void depthwise_span(const float* src, const HWC& in, const float* f, int kh, int kw, std::int64_t iy0,
                    std::int64_t ox_begin, std::int64_t ox_end, int stride_w, std::int64_t x_before, const float* bias,
                    Activation act, float* out_row) {
  const std::int64_t c = in.c, vec_end = c / 8 * 8;
  const int ky0 = static_cast<int>(std::max<std::int64_t>(0, -iy0));
  const int ky1 = static_cast<int>(std::min<std::int64_t>(kh, in.h - iy0));
  for (std::int64_t ox = ox_begin; ox < ox_end; ++ox) {
    float* out = out_row + ox * c;
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
      _mm256_storeu_ps(out + ch, bias_activate(acc, bias, ch, act));
    }
    for (std::int64_t ch = vec_end; ch < c; ++ch) {
      float acc = 0;
      for (int ky = ky0; ky < ky1; ++ky)
        for (int kx = kx0; kx < kx1; ++kx)
          acc = std::fma(src[((iy0 + ky) * in.w + ix0 + kx) * c + ch], f[(std::int64_t(ky) * kw + kx) * c + ch], acc);
      out[ch] = bias_activate(acc, bias, ch, act);
    }
  }
}

// The same for a K x K filter on pixels whose whole window is inside the image: the filter's K*K tap vectors
// of one 8-channel block stay in registers while the row's pixels stream past (half the loads), and the
// unrolled tap loop has no bounds to check. Same summation order as depthwise_span.
template <int K>
void depthwise_interior(const float* src, const HWC& in, const float* f, std::int64_t iy0, std::int64_t ox_begin,
                        std::int64_t ox_end, int stride_w, std::int64_t x_before, const float* bias, Activation act,
                        float* out_row) {
  const std::int64_t c = in.c;
  for (std::int64_t ch = 0; ch + 8 <= c; ch += 8) {
    __m256 w[K * K];
    for (int t = 0; t < K * K; ++t) w[t] = _mm256_loadu_ps(f + t * c + ch);
    // Four output pixels at a time: four independent FMA chains instead of one K*K-long dependency chain.
    const std::int64_t step = std::int64_t(stride_w) * c;
    std::int64_t ox = ox_begin;
    for (; ox + 4 <= ox_end; ox += 4) {
      const float* pix = src + (iy0 * in.w + ox * stride_w - x_before) * c + ch;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx) {
          const float* q = pix + (std::int64_t(ky) * in.w + kx) * c;
          const __m256 wt = w[ky * K + kx];
          acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q), wt, acc0);
          acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + step), wt, acc1);
          acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 2 * step), wt, acc2);
          acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 3 * step), wt, acc3);
        }
      float* out = out_row + ox * c + ch;
      _mm256_storeu_ps(out, bias_activate(acc0, bias, ch, act));
      _mm256_storeu_ps(out + c, bias_activate(acc1, bias, ch, act));
      _mm256_storeu_ps(out + 2 * c, bias_activate(acc2, bias, ch, act));
      _mm256_storeu_ps(out + 3 * c, bias_activate(acc3, bias, ch, act));
    }
    for (; ox < ox_end; ++ox) {
      const float* pix = src + (iy0 * in.w + ox * stride_w - x_before) * c + ch;
      __m256 acc = _mm256_setzero_ps();
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx)
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(pix + (std::int64_t(ky) * in.w + kx) * c), w[ky * K + kx], acc);
      _mm256_storeu_ps(out_row + ox * c + ch, bias_activate(acc, bias, ch, act));
    }
  }
  const std::int64_t tail = c / 8 * 8;
  if (tail == c) return;
  for (std::int64_t ox = ox_begin; ox < ox_end; ++ox)
    for (std::int64_t ch = tail; ch < c; ++ch) {
      const std::int64_t ix0 = ox * stride_w - x_before;
      float acc = 0;
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx)
          acc = std::fma(src[((iy0 + ky) * in.w + ix0 + kx) * c + ch], f[(ky * K + kx) * c + ch], acc);
      out_row[ox * c + ch] = bias_activate(acc, bias, ch, act);
    }
}

// One output row: the fixed-size interior path where the filter is 3x3 or 5x5 and the window fits, the
// general one at the borders.
void depthwise_row(const float* src, const HWC& in, const float* f, int kh, int kw, std::int64_t iy0,
                   std::int64_t ox_count, int stride_w, std::int64_t x_before, const float* bias, Activation act,
                   float* out_row) {
  const bool full_rows = iy0 >= 0 && iy0 + kh <= in.h;
  if (!full_rows || kh != kw || (kh != 3 && kh != 5)) {
    depthwise_span(src, in, f, kh, kw, iy0, 0, ox_count, stride_w, x_before, bias, act, out_row);
    return;
  }
  // ix0 = ox * stride - x_before >= 0 and ix0 + kw <= in.w
  const std::int64_t lo = std::min(ox_count, (x_before + stride_w - 1) / stride_w);
  const std::int64_t hi = in.w - kw + x_before >= 0
                              ? std::clamp<std::int64_t>((in.w - kw + x_before) / stride_w + 1, lo, ox_count)
                              : lo;
  depthwise_span(src, in, f, kh, kw, iy0, 0, lo, stride_w, x_before, bias, act, out_row);
  if (kh == 3) depthwise_interior<3>(src, in, f, iy0, lo, hi, stride_w, x_before, bias, act, out_row);
  else depthwise_interior<5>(src, in, f, iy0, lo, hi, stride_w, x_before, bias, act, out_row);
  depthwise_span(src, in, f, kh, kw, iy0, hi, ox_count, stride_w, x_before, bias, act, out_row);
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
