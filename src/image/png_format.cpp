// PNG structure: an 8-byte signature, then chunks (4-byte big-endian length, 4-byte type, data,
// 4-byte CRC). IHDR comes first and gives the size; IEND closes the file; eXIf holds EXIF.
#include "image/image_formats.hpp"

namespace facekit::image_detail {
namespace {

constexpr std::size_t kSignatureSize = 8;
constexpr std::size_t kChunkOverhead = 12;  // length + type + CRC
constexpr std::size_t kIhdrDataSize = 13;

bool looks_like_png(ByteView bytes) { return bytes.starts_with(0, "\x89PNG\r\n\x1a\n"); }

struct PngChunk {
  ByteView type;
  ByteView data;
};

// Calls visit(chunk) for each complete chunk in file order until visit returns false or IEND is
// reached. Returns true when IEND was reached, false when the data ended first or visit stopped.
template <class Visit>
bool walk_png_chunks(ByteView bytes, Visit visit) {
  std::size_t pos = kSignatureSize;
  while (bytes.has(pos, kChunkOverhead)) {
    const std::size_t data_length = bytes.u32be(pos);
    if (!bytes.has(pos + 8, data_length) || !bytes.has(pos + 8 + data_length, 4)) return false;
    const PngChunk chunk{bytes.sub(pos + 4, 4), bytes.sub(pos + 8, data_length)};
    if (chunk.type.starts_with(0, "IEND")) return true;
    if (!visit(chunk)) return false;
    pos += kChunkOverhead + data_length;
  }
  return false;
}

// Colour type -> samples per pixel as stored; a palette holds RGB entries.
int channels_for_colour_type(std::uint8_t colour_type) {
  switch (colour_type) {
    case 0: return 1;  // grey
    case 2: return 3;  // RGB
    case 3: return 3;  // palette
    case 4: return 2;  // grey + alpha
    case 6: return 4;  // RGBA
    default: return 0;
  }
}

ImageHeader probe_png(ByteView bytes, const std::string& what) {
  ImageHeader header;
  header.format = "png";
  const std::size_t ihdr_data = kSignatureSize + 8;
  if (!bytes.has(ihdr_data, kIhdrDataSize)) {
    throw_decode_failed(
        what, "truncated PNG (the file ends after " + std::to_string(bytes.size()) + " bytes, inside the IHDR header)");
  }
  if (!bytes.starts_with(kSignatureSize + 4, "IHDR")) {
    throw_decode_failed(what, "damaged PNG (the first chunk is not IHDR)");
  }
  set_image_size(header, bytes.u32be(ihdr_data), bytes.u32be(ihdr_data + 4), what);
  header.channels = channels_for_colour_type(bytes.u8(ihdr_data + 9));

  // eXIf should precede the image data, but some writers append it, so look at every chunk; the
  // walk only reads chunk headers, skipping over the data.
  walk_png_chunks(bytes, [&](const PngChunk& chunk) {
    if (!chunk.type.starts_with(0, "eXIf")) return true;
    header.exif_orientation = exif_orientation_from_exif_payload(chunk.data);
    return false;
  });
  return header;
}

std::optional<std::string> find_png_truncation(ByteView bytes) {
  if (walk_png_chunks(bytes, [](const PngChunk&) { return true; })) return std::nullopt;
  return "the data ends after " + std::to_string(bytes.size()) + " bytes, before the IEND chunk that closes it";
}

}  // namespace

const ImageFormat& png_format() {
  static const ImageFormat format{"png", "PNG", looks_like_png, probe_png, find_png_truncation};
  return format;
}

}  // namespace facekit::image_detail
