// JPEG structure: a sequence of marker segments (0xFF, a marker code, a 2-byte big-endian length
// that counts itself, a payload). A start-of-scan segment is followed by entropy-coded data, in
// which 0xFF bytes are escaped as 0xFF 0x00, until the next marker. The file ends with EOI.
#include "facekit/error.hpp"
#include "image/image_formats.hpp"

namespace facekit::image_detail {
namespace {

constexpr std::uint8_t kMarkerPrefix = 0xFF;
constexpr std::uint8_t kStartOfImage = 0xD8;
constexpr std::uint8_t kEndOfImage = 0xD9;
constexpr std::uint8_t kStartOfScan = 0xDA;
constexpr std::uint8_t kApp1 = 0xE1;  // where EXIF lives
constexpr std::uint8_t kTemporary = 0x01;
constexpr std::size_t kAfterStartOfImage = 2;

bool is_restart_marker(std::uint8_t marker) { return marker >= 0xD0 && marker <= 0xD7; }

// SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range
// but are not frame headers.
bool is_frame_header(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

struct JpegSegment {
  std::uint8_t marker = 0;
  std::size_t payload_offset = 0;  // just after the length field
  std::size_t payload_length = 0;
};

// Walks the markers of a JPEG in file order, never reading past the end of the data.
class JpegMarkerReader {
 public:
  enum class Step {
    Segment,     // a complete marker segment was read into `segment`
    Standalone,  // a marker without payload (RSTn, TEM)
    EndOfImage,
    DataEnded,  // the data stopped before the next marker or inside a segment
  };

  explicit JpegMarkerReader(ByteView bytes) : bytes_(bytes) {}

  Step next(JpegSegment& segment) {
    const std::size_t marker_at = find_marker_code(position_);
    if (marker_at == kNotFound) return end_of_data();
    const std::uint8_t marker = bytes_.u8(marker_at);
    position_ = marker_at + 1;
    if (marker == kEndOfImage) return Step::EndOfImage;
    if (marker == kTemporary || is_restart_marker(marker)) return Step::Standalone;
    if (!bytes_.has(position_, 2)) return end_of_data();
    const std::size_t length = bytes_.u16be(position_);
    // The length counts its own two bytes, so anything under 2 is corrupt; treat it as the end.
    if (length < 2 || !bytes_.has(position_, length)) return end_of_data();
    segment = {marker, position_ + 2, length - 2};
    position_ += length;
    return Step::Segment;
  }

  // Called after a start-of-scan segment: moves past the entropy-coded data to the next marker.
  // Returns false when the data ends first, which is how a cut-off download looks.
  bool skip_entropy_coded_data() {
    std::size_t pos = position_;
    while (pos < bytes_.size()) {
      const void* found = std::memchr(bytes_.data() + pos, kMarkerPrefix, bytes_.size() - pos);
      if (found == nullptr) break;
      const std::size_t prefix_at = static_cast<const std::uint8_t*>(found) - bytes_.data();
      if (prefix_at + 1 >= bytes_.size()) break;
      const std::uint8_t next = bytes_.u8(prefix_at + 1);
      // 0xFF 0x00 is an escaped data byte and RSTn markers sit inside the scan: keep going.
      if (next == 0x00 || is_restart_marker(next)) {
        pos = prefix_at + 2;
      } else if (next == kMarkerPrefix) {
        pos = prefix_at + 1;  // fill bytes before a marker
      } else {
        position_ = prefix_at;
        return true;
      }
    }
    position_ = bytes_.size();
    return false;
  }

 private:
  static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

  Step end_of_data() {
    position_ = bytes_.size();
    return Step::DataEnded;
  }

  // Offset of the marker code at or after `pos`: skips stray bytes between segments (libjpeg
  // skips them too, with a warning) and 0xFF fill bytes.
  std::size_t find_marker_code(std::size_t pos) const {
    for (; pos + 1 < bytes_.size(); ++pos) {
      if (bytes_.u8(pos) != kMarkerPrefix) continue;
      const std::uint8_t code = bytes_.u8(pos + 1);
      if (code != kMarkerPrefix && code != 0x00) return pos + 1;
    }
    return kNotFound;
  }

  ByteView bytes_;
  std::size_t position_ = kAfterStartOfImage;
};

bool looks_like_jpeg(ByteView bytes) {
  return bytes.has(0, 3) && bytes.u8(0) == kMarkerPrefix && bytes.u8(1) == kStartOfImage &&
         bytes.u8(2) == kMarkerPrefix;
}

bool is_exif_segment(const JpegSegment& segment, ByteView bytes) {
  // APP1 also carries XMP ("http://ns.adobe.com/xap/1.0/"); only "Exif\0\0" holds the TIFF block.
  return segment.marker == kApp1 && bytes.starts_with(segment.payload_offset, "Exif") && segment.payload_length >= 6;
}

ImageHeader probe_jpeg(ByteView bytes, const std::string& what) {
  ImageHeader header;
  header.format = "jpeg";
  bool have_frame = false;
  bool have_exif = false;
  JpegMarkerReader reader(bytes);
  JpegSegment segment;
  // The header ends at the first scan. Data that ends earlier but after the frame header still
  // tells the size, which is all a probe promises; decode_image reports the truncation.
  for (;;) {
    const auto step = reader.next(segment);
    if (step == JpegMarkerReader::Step::Standalone) continue;
    if (step != JpegMarkerReader::Step::Segment) break;
    if (segment.marker == kStartOfScan) break;
    const ByteView payload = bytes.sub(segment.payload_offset, segment.payload_length);
    if (is_frame_header(segment.marker) && !have_frame) {
      // precision (1), height (2), width (2), component count (1)
      if (!payload.has(0, 6)) throw_decode_failed(what, "JPEG frame header is too short");
      set_image_size(header, payload.u16be(3), payload.u16be(1), what);
      header.channels = payload.u8(5);
      have_frame = true;
    } else if (is_exif_segment(segment, bytes) && !have_exif) {
      header.exif_orientation = exif_orientation_from_exif_payload(payload);
      have_exif = true;
    }
  }
  if (!have_frame) {
    throw_decode_failed(what, "truncated or damaged JPEG (no frame header giving the image size in its " +
                                  std::to_string(bytes.size()) + " bytes)");
  }
  return header;
}

std::optional<std::string> find_jpeg_truncation(ByteView bytes) {
  JpegMarkerReader reader(bytes);
  JpegSegment segment;
  for (;;) {
    switch (reader.next(segment)) {
      case JpegMarkerReader::Step::EndOfImage: return std::nullopt;
      case JpegMarkerReader::Step::DataEnded:
        return "the data ends after " + std::to_string(bytes.size()) + " bytes, inside a marker segment";
      case JpegMarkerReader::Step::Standalone: break;
      case JpegMarkerReader::Step::Segment:
        if (segment.marker == kStartOfScan && !reader.skip_entropy_coded_data()) {
          return "the compressed image data stops after " + std::to_string(bytes.size()) +
                 " bytes with no end-of-image marker";
        }
        break;
    }
  }
}

}  // namespace

const ImageFormat& jpeg_format() {
  static const ImageFormat format{"jpeg", "JPEG", looks_like_jpeg, probe_jpeg, find_jpeg_truncation};
  return format;
}

}  // namespace facekit::image_detail
