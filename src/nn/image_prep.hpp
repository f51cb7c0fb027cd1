// Turning an RGB image into a net input exactly as face-api.js does (NetInput.toBatchTensor):
// zero-pad to a square, then tf.image.resizeBilinear(alignCorners=false, halfPixelCenters=false).
#pragma once
#include <array>

#include <opencv2/core.hpp>

#include "nn/tensor.hpp"

namespace facekit::nn {

// RGB CV_8UC3 -> float [1,H,W,3] holding 0..255.
Tensor image_to_tensor(const cv::Mat& rgb);

// ops/padToSquare.ts: centred puts round(diff/2) zeros after and the rest before; otherwise all after.
Tensor pad_to_square(const Tensor& image, bool centred);

// TensorFlow's ResizeBilinear on [1,H,W,C], computed as tfjs does it (float source coordinates).
Tensor resize_bilinear(const Tensor& image, std::int64_t out_h, std::int64_t out_w, bool align_corners = false,
                       bool half_pixel_centers = false);

// NetInput.toBatchTensor(size, centred): pad to square, resize unless already size x size.
Tensor faceapi_batch_tensor(const cv::Mat& rgb, int size, bool centred);

// x = (x - mean[c]) / divisor, per channel.
void normalize_channels(Tensor& t, const std::array<float, 3>& mean, float divisor);

}  // namespace facekit::nn
