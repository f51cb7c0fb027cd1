// EXIF orientation: the one EXIF field facekit needs. Cameras store pixels as the sensor saw them
// and record in IFD0 tag 0x0112 how to turn them for display; ignoring it hands the detector a
// face lying on its side.
#include "image/image_formats.hpp"

namespace facekit::image_detail {
namespace {

constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kTiffTypeShort = 3;
constexpr std::size_t kIfdEntrySize = 12;
constexpr int kAsStored = 1;

// Reads TIFF integers in the byte order the block declares ("II" little-endian, "MM" big-endian).
struct TiffReader {
  ByteView bytes;
  bool little_endian;

  std::uint16_t u16(std::size_t offset) const { return little_endian ? bytes.u16le(offset) : bytes.u16be(offset); }
  std::uint32_t u32(std::size_t offset) const { return little_endian ? bytes.u32le(offset) : bytes.u32be(offset); }
};

}  // namespace

int exif_orientation_from_tiff(ByteView tiff) {
  constexpr std::uint16_t kTiffMagic = 42;
  if (!tiff.has(0, 8)) return kAsStored;
  TiffReader reader{tiff, false};
  if (tiff.starts_with(0, "II")) {
    reader.little_endian = true;
  } else if (!tiff.starts_with(0, "MM")) {
    return kAsStored;
  }
  if (reader.u16(2) != kTiffMagic) return kAsStored;

  const std::size_t ifd0 = reader.u32(4);
  if (!tiff.has(ifd0, 2)) return kAsStored;
  const std::size_t entry_count = reader.u16(ifd0);
  for (std::size_t i = 0; i < entry_count; ++i) {
    const std::size_t entry = ifd0 + 2 + i * kIfdEntrySize;
    if (!tiff.has(entry, kIfdEntrySize)) break;
    if (reader.u16(entry) != kOrientationTag) continue;
    // A single SHORT sits in the first two bytes of the 4-byte value field, in the block's byte order.
    if (reader.u16(entry + 2) != kTiffTypeShort || reader.u32(entry + 4) != 1) return kAsStored;
    const int orientation = reader.u16(entry + 8);
    return orientation >= 1 && orientation <= 8 ? orientation : kAsStored;
  }
  return kAsStored;
}

int exif_orientation_from_exif_payload(ByteView payload) {
  // "Exif" followed by two NUL bytes; starts_with cannot express the NULs, hence the explicit check.
  const bool has_identifier =
      payload.starts_with(0, "Exif") && payload.has(4, 2) && payload.u8(4) == 0 && payload.u8(5) == 0;
  if (has_identifier) return exif_orientation_from_tiff(payload.sub(6, payload.size() - 6));
  return exif_orientation_from_tiff(payload);
}

}  // namespace facekit::image_detail
