// WebP structure: "RIFF", a 4-byte little-endian size, "WEBP", then chunks (FourCC, 4-byte size,
// data padded to an even length). The first chunk is VP8 (lossy), VP8L (lossless) or VP8X
// (extended: canvas size and flags, followed by the image and optional EXIF chunks).
#include "image/image_formats.hpp"

namespace facekit::image_detail {
namespace {

constexpr std::size_t kRiffHeaderSize = 12;
constexpr std::size_t kChunkHeaderSize = 8;

bool looks_like_webp(ByteView bytes) { return bytes.starts_with(0, "RIFF") && bytes.starts_with(8, "WEBP"); }

struct WebpChunk {
  ByteView fourcc;
  ByteView data;  // may be shorter than announced when the file is cut
};

// The chunk at `pos`, or nullopt when not even its header is there.
std::optional<WebpChunk> chunk_at(ByteView bytes, std::size_t pos) {
  if (!bytes.has(pos, kChunkHeaderSize)) return std::nullopt;
  const std::size_t announced = bytes.u32le(pos + 4);
  const std::size_t available = bytes.size() - (pos + kChunkHeaderSize);
  return WebpChunk{bytes.sub(pos, 4), bytes.sub(pos + kChunkHeaderSize, announced < available ? announced : available)};
}

std::size_t next_chunk_position(ByteView bytes, std::size_t pos) {
  const std::size_t announced = bytes.u32le(pos + 4);
  return pos + kChunkHeaderSize + announced + (announced & 1);
}

void probe_lossy(ByteView data, ImageHeader& header, const std::string& what) {
  // 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height (top 2 bits: scaling).
  const bool has_start_code = data.has(0, 10) && data.u8(3) == 0x9d && data.u8(4) == 0x01 && data.u8(5) == 0x2a;
  if (!has_start_code) throw_decode_failed(what, "truncated or damaged WebP (no VP8 frame header)");
  set_image_size(header, data.u16le(6) & 0x3FFF, data.u16le(8) & 0x3FFF, what);
  header.channels = 3;
}

void probe_lossless(ByteView data, ImageHeader& header, const std::string& what) {
  // Signature 0x2f, then 14 bits width-1, 14 bits height-1, 1 bit alpha-used, 3 bits version.
  constexpr std::uint8_t kLosslessSignature = 0x2f;
  if (!data.has(0, 5) || data.u8(0) != kLosslessSignature) {
    throw_decode_failed(what, "truncated or damaged WebP (no VP8L header)");
  }
  const std::uint32_t bits = data.u32le(1);
  set_image_size(header, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, what);
  header.channels = (bits >> 28) & 1 ? 4 : 3;
}

void probe_extended(ByteView bytes, ByteView data, ImageHeader& header, const std::string& what) {
  // Flags byte, 3 reserved bytes, 24-bit canvas width-1, 24-bit canvas height-1.
  constexpr std::uint8_t kAlphaFlag = 0x10;
  constexpr std::uint8_t kExifFlag = 0x08;
  if (!data.has(0, 10)) throw_decode_failed(what, "truncated WebP (the VP8X header is cut short)");
  const std::uint8_t flags = data.u8(0);
  set_image_size(header, data.u24le(4) + 1, data.u24le(7) + 1, what);
  header.channels = flags & kAlphaFlag ? 4 : 3;
  if (!(flags & kExifFlag)) return;
  for (std::size_t pos = kRiffHeaderSize; bytes.has(pos, kChunkHeaderSize); pos = next_chunk_position(bytes, pos)) {
    const auto chunk = chunk_at(bytes, pos);
    if (chunk->fourcc.starts_with(0, "EXIF")) {
      header.exif_orientation = exif_orientation_from_exif_payload(chunk->data);
      return;
    }
  }
}

ImageHeader probe_webp(ByteView bytes, const std::string& what) {
  ImageHeader header;
  header.format = "webp";
  const auto first = chunk_at(bytes, kRiffHeaderSize);
  if (!first) throw_decode_failed(what, "truncated WebP (the file ends before its first chunk)");
  if (first->fourcc.starts_with(0, "VP8 ")) {
    probe_lossy(first->data, header, what);
  } else if (first->fourcc.starts_with(0, "VP8L")) {
    probe_lossless(first->data, header, what);
  } else if (first->fourcc.starts_with(0, "VP8X")) {
    probe_extended(bytes, first->data, header, what);
  } else {
    throw_decode_failed(what, "damaged WebP (the first chunk is not VP8, VP8L or VP8X)");
  }
  return header;
}

std::optional<std::string> find_webp_truncation(ByteView bytes) {
  const std::size_t announced = std::size_t{bytes.u32le(4)} + 8;  // the RIFF size excludes "RIFF" and itself
  if (announced <= bytes.size()) return std::nullopt;
  return "the RIFF header announces " + std::to_string(announced) + " bytes, the data has " +
         std::to_string(bytes.size());
}

}  // namespace

const ImageFormat& webp_format() {
  static const ImageFormat format{"webp", "WebP", looks_like_webp, probe_webp, find_webp_truncation};
  return format;
}

}  // namespace facekit::image_detail
