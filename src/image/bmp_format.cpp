// BMP structure: a 14-byte file header ("BM", file size, reserved, pixel data offset), then an
// info header whose first field is its own size: 12 for the OS/2 BITMAPCOREHEADER (16-bit
// dimensions), 40 and up for the Windows headers (signed 32-bit dimensions; a negative height
// means rows are stored top-down). Images of 8 bits per pixel or less have a palette after it.
#include "image/image_formats.hpp"

namespace facekit::image_detail {
namespace {

constexpr std::size_t kFileHeaderSize = 14;
constexpr std::uint32_t kCoreHeaderSize = 12;
constexpr std::uint32_t kInfoHeaderSize = 40;

bool is_known_info_header_size(std::uint32_t size) {
  // core, info, v2, v3, OS/2 v2, v4, v5
  for (std::uint32_t known : {12u, 40u, 52u, 56u, 64u, 108u, 124u}) {
    if (size == known) return true;
  }
  return false;
}

// "BM" alone is too weak a signature (a text file may start with it), so the info header size
// has to be a known one too.
bool looks_like_bmp(ByteView bytes) {
  return bytes.starts_with(0, "BM") && bytes.has(kFileHeaderSize, 4) &&
         is_known_info_header_size(bytes.u32le(kFileHeaderSize));
}

// A palette image whose entries all have equal blue, green and red is a grey image (OpenCV
// decodes it to one channel). An incomplete palette is treated as colour.
bool palette_is_grey(ByteView bytes, std::size_t palette_offset, std::size_t entry_count, std::size_t entry_size) {
  if (!bytes.has(palette_offset, entry_count * entry_size)) return false;
  for (std::size_t i = 0; i < entry_count; ++i) {
    const std::size_t entry = palette_offset + i * entry_size;  // blue, green, red[, reserved]
    if (bytes.u8(entry) != bytes.u8(entry + 1) || bytes.u8(entry) != bytes.u8(entry + 2)) return false;
  }
  return true;
}

ImageHeader probe_bmp(ByteView bytes, const std::string& what) {
  ImageHeader header;
  header.format = "bmp";
  const std::uint32_t info_size = bytes.u32le(kFileHeaderSize);
  const bool is_core = info_size == kCoreHeaderSize;
  if (!bytes.has(kFileHeaderSize, is_core ? kCoreHeaderSize : kInfoHeaderSize)) {
    throw_decode_failed(
        what, "truncated BMP (the file ends after " + std::to_string(bytes.size()) + " bytes, inside the info header)");
  }
  const std::size_t info = kFileHeaderSize;
  std::int64_t width, height;
  int bits_per_pixel;
  std::size_t palette_entries;
  if (is_core) {
    width = bytes.u16le(info + 4);
    height = bytes.u16le(info + 6);
    bits_per_pixel = bytes.u16le(info + 10);
    palette_entries = bits_per_pixel <= 8 ? std::size_t{1} << bits_per_pixel : 0;
  } else {
    width = static_cast<std::int32_t>(bytes.u32le(info + 4));
    height = static_cast<std::int32_t>(bytes.u32le(info + 8));
    if (height < 0) height = -height;  // top-down rows
    bits_per_pixel = bytes.u16le(info + 14);
    const std::uint32_t colours_used = bytes.u32le(info + 32);
    palette_entries = bits_per_pixel > 8 ? 0 : colours_used ? colours_used : std::size_t{1} << bits_per_pixel;
  }
  set_image_size(header, width, height, what);

  if (bits_per_pixel == 32) {
    header.channels = 4;
  } else if (bits_per_pixel > 8) {
    header.channels = 3;
  } else {
    const std::size_t entry_size = is_core ? 3 : 4;
    header.channels = palette_is_grey(bytes, info + info_size, palette_entries, entry_size) ? 1 : 3;
  }
  return header;
}

std::optional<std::string> find_bmp_truncation(ByteView bytes) {
  // The file-size field is sometimes left 0 by writers; only a larger-than-present size counts.
  const std::size_t announced = bytes.u32le(2);
  if (announced <= bytes.size()) return std::nullopt;
  return "the header announces " + std::to_string(announced) + " bytes, the data has " + std::to_string(bytes.size());
}

}  // namespace

const ImageFormat& bmp_format() {
  static const ImageFormat format{"bmp", "BMP", looks_like_bmp, probe_bmp, find_bmp_truncation};
  return format;
}

}  // namespace facekit::image_detail
