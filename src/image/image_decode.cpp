// decode_image / load_image / to_rgb: from bytes or a path to an RGB CV_8UC3 image in display
// orientation, with every failure reported as a facekit::Error that names the input.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "image/image_formats.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

using image_detail::ByteView;
using image_detail::ImageFormat;

void check_pixel_limit(const ImageHeader& header, const ImageLoadOptions& options, const std::string& what) {
  const std::int64_t pixels = std::int64_t{header.width} * header.height;
  if (pixels <= options.max_pixels) return;
  throw Error(ErrorCode::ImageTooLarge, what + ": image is " + std::to_string(header.width) + "x" +
                                            std::to_string(header.height) + " = " + std::to_string(pixels) +
                                            " pixels, over the limit of " + std::to_string(options.max_pixels) +
                                            " (--max-pixels)");
}

[[noreturn]] void throw_truncated(const ImageFormat& format, const std::string& reason, const std::string& what) {
  throw Error(ErrorCode::DecodeFailed, what + ": truncated " + format.display_name + " (" + reason + ")");
}

// OpenCV's decoded pixels, still BGR(A) or grey and possibly 16-bit.
cv::Mat decode_pixels(const std::vector<std::uint8_t>& bytes, const ImageHeader& header, const std::string& what) {
  const ImageFormat& format = image_detail::format_named(header.format);
  // libjpeg fills a cut-off JPEG with grey and reports success, so truncation has to be found
  // before decoding. The other decoders fail on their own; their check only explains the failure.
  if (header.format == "jpeg") {
    if (auto reason = format.find_truncation(ByteView(bytes))) throw_truncated(format, *reason, what);
  }
  cv::Mat decoded;
  try {
    // IMREAD_UNCHANGED keeps alpha and 16-bit depth, and OpenCV never applies EXIF orientation
    // with it (IMREAD_UNCHANGED is -1, so OR-ing IMREAD_IGNORE_ORIENTATION in would change nothing).
    // decode_image applies the orientation itself, for every format and only when asked to.
    decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::DecodeFailed,
                what + ": cannot decode the " + format.display_name + " image (" + e.what() + ")");
  }
  if (decoded.empty()) {
    if (auto reason = format.find_truncation(ByteView(bytes))) throw_truncated(format, *reason, what);
    throw Error(ErrorCode::DecodeFailed, what + ": cannot decode the " + format.display_name +
                                             " image data (damaged or an unsupported variant)");
  }
  if (decoded.cols != header.width || decoded.rows != header.height) {
    throw Error(ErrorCode::DecodeFailed, what + ": decoded image is " + std::to_string(decoded.cols) + "x" +
                                             std::to_string(decoded.rows) + " but its header says " +
                                             std::to_string(header.width) + "x" + std::to_string(header.height));
  }
  return decoded;
}

cv::Mat to_8_bit(const cv::Mat& decoded, const std::string& what) {
  switch (decoded.depth()) {
    case CV_8U: return decoded;
    case CV_16U: {
      // 65535 -> 255: scale by 255/65535 = 1/257, which maps v*257 exactly back to v.
      cv::Mat eight_bit;
      decoded.convertTo(eight_bit, CV_8U, 1.0 / 257.0);
      return eight_bit;
    }
    default:
      throw Error(ErrorCode::Unsupported, what + ": pixels of OpenCV depth " + std::to_string(decoded.depth()) +
                                              " are not supported (expected 8 or 16 bits)");
  }
}

// Turns the stored pixels the way EXIF orientation `orientation` says they are meant to be seen.
// Values per the EXIF spec (where the stored first row / first column go): 2 mirror left-right,
// 3 rotate 180, 4 mirror top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse
// (anti-diagonal mirror), 8 rotate 90 counter-clockwise.
cv::Mat oriented_for_display(const cv::Mat& stored, int orientation) {
  cv::Mat shown;
  switch (orientation) {
    case 2: cv::flip(stored, shown, 1); break;
    case 3: cv::rotate(stored, shown, cv::ROTATE_180); break;
    case 4: cv::flip(stored, shown, 0); break;
    case 5: cv::transpose(stored, shown); break;
    case 6: cv::rotate(stored, shown, cv::ROTATE_90_CLOCKWISE); break;
    case 7:
      cv::transpose(stored, shown);
      cv::rotate(shown, shown, cv::ROTATE_180);
      break;
    case 8: cv::rotate(stored, shown, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: return stored;
  }
  return shown;
}

std::string errno_text() { return std::strerror(errno); }

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::error_code status_error;
  const fs::file_status status = fs::status(path, status_error);
  if (status.type() == fs::file_type::not_found) throw Error(ErrorCode::FileNotFound, path + ": no such file");
  if (status_error) {
    throw Error(ErrorCode::FileNotFound, path + ": cannot access (" + status_error.message() + ")");
  }
  if (fs::is_directory(status)) throw Error(ErrorCode::FileNotFound, path + ": is a directory, not an image file");

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw Error(ErrorCode::FileNotFound, path + ": cannot open (" + errno_text() + ")");
  std::vector<std::uint8_t> bytes;
  std::uint8_t buffer[1 << 16];
  std::size_t count;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + count);
  }
  if (std::ferror(file.get())) throw Error(ErrorCode::FileNotFound, path + ": cannot read (" + errno_text() + ")");
  return bytes;
}

}  // namespace

cv::Mat to_rgb(const cv::Mat& image) {
  if (image.empty()) throw Error(ErrorCode::InvalidArgument, "to_rgb: the image is empty");
  if (image.depth() != CV_8U) {
    throw Error(ErrorCode::InvalidArgument,
                "to_rgb: expected 8-bit pixels, got OpenCV depth " + std::to_string(image.depth()));
  }
  cv::Mat rgb;
  switch (image.channels()) {
    case 1: cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB); break;
    default:
      throw Error(ErrorCode::InvalidArgument,
                  "to_rgb: expected 1, 3 or 4 channels, got " + std::to_string(image.channels()));
  }
  return rgb;
}

cv::Mat decode_image(const std::vector<std::uint8_t>& bytes, const std::string& what, const ImageLoadOptions& options) {
  // probe_image also rejects empty input and unknown formats.
  const ImageHeader header = probe_image(bytes, what);
  // Checked from the header alone, before OpenCV allocates anything for the pixels.
  check_pixel_limit(header, options, what);
  const cv::Mat decoded = decode_pixels(bytes, header, what);
  if (decoded.channels() != 1 && decoded.channels() != 3 && decoded.channels() != 4) {
    throw Error(ErrorCode::Unsupported,
                what + ": decoded image has " + std::to_string(decoded.channels()) + " channels (expected 1, 3 or 4)");
  }
  const cv::Mat rgb = to_rgb(to_8_bit(decoded, what));
  return options.apply_exif_orientation ? oriented_for_display(rgb, header.exif_orientation) : rgb;
}

cv::Mat load_image(const std::string& path, const ImageLoadOptions& options) {
  return decode_image(read_file_bytes(path), path, options);
}

}  // namespace facekit
