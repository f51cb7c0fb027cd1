// Internal to the image stage: bounds-checked byte reading, EXIF parsing and the table of
// supported formats. Not part of the public API.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "facekit/image.hpp"

namespace facekit::image_detail {

// A read-only view of the input bytes whose readers never go past the end: every file is untrusted.
class ByteView {
 public:
  ByteView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  explicit ByteView(const std::vector<std::uint8_t>& bytes) : data_(bytes.data()), size_(bytes.size()) {}

  std::size_t size() const { return size_; }
  const std::uint8_t* data() const { return data_; }
  // True when [offset, offset + count) lies inside the view (written to be overflow-free).
  bool has(std::size_t offset, std::size_t count) const { return offset <= size_ && count <= size_ - offset; }
  std::uint8_t u8(std::size_t offset) const { return data_[offset]; }
  // Multi-byte readers; the caller checks has(offset, width) first.
  std::uint32_t uint_be(std::size_t offset, int width) const {
    std::uint32_t value = 0;
    for (int i = 0; i < width; ++i) value = (value << 8) | data_[offset + i];
    return value;
  }
  std::uint32_t uint_le(std::size_t offset, int width) const {
    std::uint32_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = (value << 8) | data_[offset + i];
    return value;
  }
  std::uint16_t u16be(std::size_t offset) const { return static_cast<std::uint16_t>(uint_be(offset, 2)); }
  std::uint16_t u16le(std::size_t offset) const { return static_cast<std::uint16_t>(uint_le(offset, 2)); }
  std::uint32_t u24le(std::size_t offset) const { return uint_le(offset, 3); }
  std::uint32_t u32be(std::size_t offset) const { return uint_be(offset, 4); }
  std::uint32_t u32le(std::size_t offset) const { return uint_le(offset, 4); }
  // True when the bytes at `offset` are exactly `text` (without its terminating NUL).
  bool starts_with(std::size_t offset, const char* text) const {
    const std::size_t length = std::char_traits<char>::length(text);
    return has(offset, length) && std::memcmp(data_ + offset, text, length) == 0;
  }
  ByteView sub(std::size_t offset, std::size_t count) const { return {data_ + offset, count}; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

// Orientation (1..8) from a TIFF structure as found in an EXIF block ("II*\0" or "MM\0*" first).
// Returns 1 for anything malformed: a damaged EXIF block must not make a readable image unreadable.
int exif_orientation_from_tiff(ByteView tiff);
// The same for an EXIF payload that may start with the "Exif\0\0" identifier (JPEG APP1 always
// does; WebP EXIF chunks and PNG eXIf chunks usually do not, but some writers add it).
int exif_orientation_from_exif_payload(ByteView payload);

// One supported container format. probe_image and decode_image go through this table so that each
// format's knowledge lives in its own file (jpeg_format.cpp, png_format.cpp, ...).
struct ImageFormat {
  const char* name;          // ImageHeader::format
  const char* display_name;  // for messages: "JPEG", "PNG", "WebP", "BMP"
  // True when the first bytes carry this format's signature.
  bool (*matches)(ByteView bytes);
  // Size, channels and EXIF orientation from the header; throws facekit::Error naming `what`.
  ImageHeader (*probe)(ByteView bytes, const std::string& what);
  // Why the file is cut short, or nullopt when its structure is complete.
  std::optional<std::string> (*find_truncation)(ByteView bytes);
};

const ImageFormat& jpeg_format();
const ImageFormat& png_format();
const ImageFormat& webp_format();
const ImageFormat& bmp_format();
// The format named by ImageHeader::format.
const ImageFormat& format_named(const std::string& name);

// Shared by the probes: every problem with the input is a DecodeFailed error prefixed with `what`.
[[noreturn]] void throw_decode_failed(const std::string& what, const std::string& problem);
// Stores the header's size after checking it is a usable image size (1..INT_MAX each way).
void set_image_size(ImageHeader& header, std::int64_t width, std::int64_t height, const std::string& what);

}  // namespace facekit::image_detail
