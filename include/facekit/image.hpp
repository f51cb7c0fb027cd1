// Image input. Every decoded image is RGB, 8 bits per channel (CV_8UC3), EXIF orientation applied.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facekit {

struct ImageLoadOptions {
  // Refused from the header, before any pixel is decoded (protects against decompression bombs).
  std::int64_t max_pixels = 100'000'000;
  // Rotate/flip according to the EXIF orientation tag (face-api.js ignores it; deepface applies it).
  bool apply_exif_orientation = true;
};

struct ImageHeader {
  std::string format;  // "jpeg", "png", "webp", "bmp"
  int width = 0;
  int height = 0;
  int channels = 0;         // as stored in the file (1 grey, 3 RGB, 4 RGBA), 0 if unknown
  int exif_orientation = 1; // 1..8, 1 = as stored
};

// Reads width/height/format from the first bytes without decoding. Throws facekit::Error.
ImageHeader probe_image(const std::vector<std::uint8_t>& bytes, const std::string& what);

// Decodes an in-memory image; `what` names it in error messages (a path, "request body", ...).
cv::Mat decode_image(const std::vector<std::uint8_t>& bytes, const std::string& what,
                     const ImageLoadOptions& options = {});

// Reads and decodes a file. Throws facekit::Error naming the file and what is wrong with it.
cv::Mat load_image(const std::string& path, const ImageLoadOptions& options = {});

// Converts any 8-bit 1/3/4-channel BGR(A) or grey OpenCV image to RGB CV_8UC3.
cv::Mat to_rgb(const cv::Mat& image_bgr_or_grey);

}  // namespace facekit
