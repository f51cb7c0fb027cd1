// probe_image: recognises the format from its signature and hands the header to that format's
// parser. Nothing here decodes pixels, so it is safe on any input, however large it claims to be.
#include <array>
#include <climits>
#include <cstdio>

#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "image/image_formats.hpp"

namespace facekit {
namespace image_detail {
namespace {

const std::array<const ImageFormat*, 4>& supported_formats() {
  static const std::array<const ImageFormat*, 4> formats = {&jpeg_format(), &png_format(), &webp_format(),
                                                            &bmp_format()};
  return formats;
}

// "starts with 3c 21 44 4f 43 54 59 50 "<!DOCTYP"": enough for a user to recognise an HTML error
// page, a text file or a gzip archive saved under an image name.
std::string describe_first_bytes(ByteView bytes) {
  constexpr std::size_t kShown = 8;
  const std::size_t count = bytes.size() < kShown ? bytes.size() : kShown;
  std::string hex, text;
  for (std::size_t i = 0; i < count; ++i) {
    char byte_hex[4];
    std::snprintf(byte_hex, sizeof byte_hex, "%02x", bytes.u8(i));
    if (i > 0) hex += ' ';
    hex += byte_hex;
    const char c = static_cast<char>(bytes.u8(i));
    text += (c >= 0x20 && c < 0x7f) ? c : '.';
  }
  return "starts with " + hex + " \"" + text + "\"";
}

}  // namespace

[[noreturn]] void throw_decode_failed(const std::string& what, const std::string& problem) {
  throw Error(ErrorCode::DecodeFailed, what + ": " + problem);
}

void set_image_size(ImageHeader& header, std::int64_t width, std::int64_t height, const std::string& what) {
  if (width < 1 || height < 1 || width > INT_MAX || height > INT_MAX) {
    throw_decode_failed(what, header.format + " header gives an unusable image size " + std::to_string(width) + "x" +
                                  std::to_string(height));
  }
  header.width = static_cast<int>(width);
  header.height = static_cast<int>(height);
}

const ImageFormat& format_named(const std::string& name) {
  for (const ImageFormat* format : supported_formats()) {
    if (name == format->name) return *format;
  }
  throw Error(ErrorCode::Internal, "unknown image format name '" + name + "'");
}

}  // namespace image_detail

ImageHeader probe_image(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  using namespace image_detail;
  if (bytes.empty()) throw_decode_failed(what, "file is empty (0 bytes)");
  const ByteView view(bytes);
  for (const ImageFormat* format : supported_formats()) {
    if (format->matches(view)) return format->probe(view, what);
  }
  throw_decode_failed(what, "not a JPEG, PNG, WebP or BMP image (" + describe_first_bytes(view) + ")");
}

}  // namespace facekit
