// Image input: format probing, decoding to RGB, error reporting and EXIF orientation.
// Every input is built here (OpenCV's encoders or hand-written bytes) and every expected value
// follows from how it was built or from the format specifications.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ------------------------------------------------------------------------------------ helpers

Bytes encode(const cv::Mat& image, const std::string& extension, const std::vector<int>& params = {}) {
  Bytes bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes, params)) << "OpenCV cannot encode " << extension;
  return bytes;
}

void write_bytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes prefix(const Bytes& bytes, double fraction) {
  return Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * fraction));
}

struct CaughtError {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
};

// Runs `action` and returns the facekit::Error it throws; fails the test when it throws none.
CaughtError error_from(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  ADD_FAILURE() << "expected a facekit::Error";
  return {};
}

void append_u16(Bytes& out, std::uint32_t value, bool little_endian) {
  const std::uint8_t low = value & 0xFF, high = (value >> 8) & 0xFF;
  out.insert(out.end(), little_endian ? std::initializer_list<std::uint8_t>{low, high}
                                      : std::initializer_list<std::uint8_t>{high, low});
}

void append_u32(Bytes& out, std::uint32_t value, bool little_endian) {
  if (little_endian) {
    append_u16(out, value & 0xFFFF, true);
    append_u16(out, value >> 16, true);
  } else {
    append_u16(out, value >> 16, false);
    append_u16(out, value & 0xFFFF, false);
  }
}

void append_text(Bytes& out, const std::string& text) { out.insert(out.end(), text.begin(), text.end()); }

// CRC-32 as PNG defines it (ISO 3309 polynomial, reflected), bit by bit.
std::uint32_t png_crc(const Bytes& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

Bytes png_chunk(const std::string& type, const Bytes& data) {
  Bytes type_and_data;
  append_text(type_and_data, type);
  type_and_data.insert(type_and_data.end(), data.begin(), data.end());
  Bytes chunk;
  append_u32(chunk, static_cast<std::uint32_t>(data.size()), false);
  chunk.insert(chunk.end(), type_and_data.begin(), type_and_data.end());
  append_u32(chunk, png_crc(type_and_data), false);
  return chunk;
}

// A TIFF block whose IFD0 holds one entry: Orientation (tag 0x0112, SHORT, count 1).
Bytes exif_tiff_with_orientation(int orientation, bool little_endian) {
  Bytes tiff;
  append_text(tiff, little_endian ? "II" : "MM");
  append_u16(tiff, 42, little_endian);
  append_u32(tiff, 8, little_endian);  // IFD0 right after this 8-byte header
  append_u16(tiff, 1, little_endian);  // one entry
  append_u16(tiff, 0x0112, little_endian);
  append_u16(tiff, 3, little_endian);  // SHORT
  append_u32(tiff, 1, little_endian);
  append_u16(tiff, static_cast<std::uint32_t>(orientation), little_endian);  // value, left-justified
  append_u16(tiff, 0, little_endian);
  append_u32(tiff, 0, little_endian);  // no next IFD
  return tiff;
}

// A JPEG with an APP1 "Exif" segment inserted right after SOI.
Bytes jpeg_with_orientation(const Bytes& jpeg, int orientation, bool little_endian) {
  Bytes payload = {'E', 'x', 'i', 'f', 0, 0};
  const Bytes tiff = exif_tiff_with_orientation(orientation, little_endian);
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  Bytes segment = {0xFF, 0xE1};
  append_u16(segment, static_cast<std::uint32_t>(payload.size() + 2), false);  // length counts itself
  segment.insert(segment.end(), payload.begin(), payload.end());
  Bytes result = jpeg;
  result.insert(result.begin() + 2, segment.begin(), segment.end());
  return result;
}

// A PNG with an eXIf chunk inserted after IHDR (signature 8 bytes + IHDR chunk 12 + 13 bytes).
Bytes png_with_orientation(const Bytes& png, int orientation) {
  const Bytes chunk = png_chunk("eXIf", exif_tiff_with_orientation(orientation, false));
  Bytes result = png;
  result.insert(result.begin() + 8 + 12 + 13, chunk.begin(), chunk.end());
  return result;
}

// Rewraps a simple (VP8L) WebP as an extended one: VP8X header with the EXIF flag, the original
// image chunk, then an EXIF chunk.
Bytes webp_with_orientation(const Bytes& webp, int width, int height, int orientation) {
  Bytes body;
  append_text(body, "WEBP");
  append_text(body, "VP8X");
  append_u32(body, 10, true);
  body.insert(body.end(), {0x08, 0, 0, 0});  // flags: EXIF present
  for (int size_minus_one : {width - 1, height - 1}) {
    body.insert(body.end(), {static_cast<std::uint8_t>(size_minus_one & 0xFF),
                             static_cast<std::uint8_t>((size_minus_one >> 8) & 0xFF),
                             static_cast<std::uint8_t>(size_minus_one >> 16)});
  }
  body.insert(body.end(), webp.begin() + 12, webp.end());
  const Bytes tiff = exif_tiff_with_orientation(orientation, true);
  append_text(body, "EXIF");
  append_u32(body, static_cast<std::uint32_t>(tiff.size()), true);
  body.insert(body.end(), tiff.begin(), tiff.end());
  if (tiff.size() % 2) body.push_back(0);
  Bytes result;
  append_text(result, "RIFF");
  append_u32(result, static_cast<std::uint32_t>(body.size()), true);
  result.insert(result.end(), body.begin(), body.end());
  return result;
}

cv::Mat noise(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
  return image;
}

cv::Vec3b rgb_at(const cv::Mat& rgb, int x, int y) { return rgb.at<cv::Vec3b>(y, x); }

void expect_rgb_near(const cv::Vec3b& actual, const cv::Vec3b& expected, int tolerance, const std::string& where) {
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(actual[c], expected[c], tolerance)
        << where << " channel " << c << ": got " << actual << ", expected " << expected;
  }
}

// ----------------------------------------------------------------------- round trip per format

enum class Layout { Grey, Bgr, Bgra };

struct RoundTripCase {
  std::string extension;
  std::string format;
  Layout layout;
  int tolerance;        // 0 for lossless codecs
  int stored_channels;  // what the header should report; 0 = the encoder's choice, not checked
};

void PrintTo(const RoundTripCase& c, std::ostream* os) {
  *os << c.extension << " layout " << static_cast<int>(c.layout);
}

std::string case_name(const testing::TestParamInfo<RoundTripCase>& info) {
  const char* layouts[] = {"Grey", "Bgr", "Bgra"};
  return info.param.format + layouts[static_cast<int>(info.param.layout)];
}

class ImageRoundTrip : public testing::TestWithParam<RoundTripCase> {};

// 38x24 image: left half (x < 19) one colour, right half another. Odd width on purpose.
constexpr int kWidth = 38, kHeight = 24, kHalf = kWidth / 2;

cv::Mat two_halves(Layout layout) {
  // Grey: 60 | 200. Colour: red | blue (OpenCV stores BGR). Alpha: opaque | half-transparent.
  const int type = layout == Layout::Grey ? CV_8UC1 : layout == Layout::Bgr ? CV_8UC3 : CV_8UC4;
  cv::Mat image(kHeight, kWidth, type);
  const cv::Scalar left = layout == Layout::Grey ? cv::Scalar(60) : cv::Scalar(0, 0, 255, 255);
  const cv::Scalar right = layout == Layout::Grey ? cv::Scalar(200) : cv::Scalar(255, 0, 0, 128);
  image(cv::Rect(0, 0, kHalf, kHeight)).setTo(left);
  image(cv::Rect(kHalf, 0, kWidth - kHalf, kHeight)).setTo(right);
  return image;
}

TEST_P(ImageRoundTrip, ProbesAndDecodesToRgbInTheRightChannelOrder) {
  const RoundTripCase& param = GetParam();
  const Bytes bytes = encode(two_halves(param.layout), param.extension);

  const ImageHeader header = probe_image(bytes, "input");
  EXPECT_EQ(header.format, param.format);
  EXPECT_EQ(header.width, kWidth);
  EXPECT_EQ(header.height, kHeight);
  EXPECT_EQ(header.exif_orientation, 1);
  if (param.stored_channels != 0) EXPECT_EQ(header.channels, param.stored_channels);

  const cv::Mat rgb = decode_image(bytes, "input");
  ASSERT_EQ(rgb.type(), CV_8UC3);
  ASSERT_EQ(rgb.size(), cv::Size(kWidth, kHeight));
  // Sample well inside each half, away from the edge where lossy codecs blur.
  const bool grey = param.layout == Layout::Grey;
  const cv::Vec3b left = grey ? cv::Vec3b(60, 60, 60) : cv::Vec3b(255, 0, 0);      // red in RGB
  const cv::Vec3b right = grey ? cv::Vec3b(200, 200, 200) : cv::Vec3b(0, 0, 255);  // blue in RGB
  expect_rgb_near(rgb_at(rgb, kHalf / 2, kHeight / 2), left, param.tolerance, "left half");
  expect_rgb_near(rgb_at(rgb, kHalf + kHalf / 2, kHeight / 2), right, param.tolerance, "right half");
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, ImageRoundTrip,
    testing::Values(RoundTripCase{".png", "png", Layout::Grey, 0, 1}, RoundTripCase{".png", "png", Layout::Bgr, 0, 3},
                    RoundTripCase{".png", "png", Layout::Bgra, 0, 4}, RoundTripCase{".jpg", "jpeg", Layout::Grey, 8, 1},
                    RoundTripCase{".jpg", "jpeg", Layout::Bgr, 12, 3},
                    RoundTripCase{".jpg", "jpeg", Layout::Bgra, 12, 3},  // JPEG has no alpha
                    RoundTripCase{".webp", "webp", Layout::Grey, 0, 0},
                    RoundTripCase{".webp", "webp", Layout::Bgr, 0, 3},
                    RoundTripCase{".webp", "webp", Layout::Bgra, 0, 4},
                    RoundTripCase{".bmp", "bmp", Layout::Grey, 0, 1}, RoundTripCase{".bmp", "bmp", Layout::Bgr, 0, 3},
                    RoundTripCase{".bmp", "bmp", Layout::Bgra, 0, 4}),
    case_name);

TEST(DecodeImage, SixteenBitPngIsScaledToEightBits) {
  // 65535 -> 255 and 257 * v -> v under the 255/65535 scale.
  cv::Mat image(2, 2, CV_16UC3, cv::Scalar(0, 0, 65535));
  image.at<cv::Vec3w>(1, 1) = cv::Vec3w(257 * 100, 257 * 100, 257 * 100);
  const cv::Mat rgb = decode_image(encode(image, ".png"), "input");
  ASSERT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb_at(rgb, 0, 0), cv::Vec3b(255, 0, 0));
  EXPECT_EQ(rgb_at(rgb, 1, 1), cv::Vec3b(100, 100, 100));
}

TEST(DecodeImage, TopDownBmp) {
  // OpenCV writes bottom-up rows (positive height). Negating the height and reversing the stored
  // rows gives the same picture stored top-down, which the probe must report with a positive height.
  const cv::Mat bgr = noise(5, 3);
  Bytes bmp = encode(bgr, ".bmp");
  const std::size_t pixel_offset = bmp[10] | bmp[11] << 8 | bmp[12] << 16 | std::size_t{bmp[13]} << 24;
  const std::size_t row_stride = (5 * 3 + 3) / 4 * 4;  // 24-bit rows padded to 4 bytes
  Bytes top_down = bmp;
  for (std::size_t row = 0; row < 3; ++row) {
    std::copy_n(bmp.begin() + pixel_offset + row * row_stride, row_stride,
                top_down.begin() + pixel_offset + (2 - row) * row_stride);
  }
  top_down[22] = 0xFD;  // height -3 as a little-endian int32 at offset 22
  top_down[23] = top_down[24] = top_down[25] = 0xFF;
  EXPECT_EQ(probe_image(top_down, "input").height, 3);
  cv::Mat expected;
  cv::cvtColor(bgr, expected, cv::COLOR_BGR2RGB);
  EXPECT_EQ(cv::norm(decode_image(top_down, "input"), expected, cv::NORM_INF), 0);
}

TEST(DecodeImage, PixelLimitIsInclusive) {
  // 40 x 20 = 800 pixels.
  const Bytes png = encode(cv::Mat(20, 40, CV_8UC3, cv::Scalar::all(0)), ".png");
  ImageLoadOptions options;
  options.max_pixels = 800;
  EXPECT_EQ(decode_image(png, "input", options).size(), cv::Size(40, 20));
  options.max_pixels = 799;
  const CaughtError error = error_from([&] { decode_image(png, "input", options); });
  EXPECT_EQ(error.code, ErrorCode::ImageTooLarge);
  EXPECT_EQ(error.message, "input: image is 40x20 = 800 pixels, over the limit of 799 (--max-pixels)");
}

// ------------------------------------------------------------------------------------ to_rgb

TEST(ToRgb, ConvertsGreyBgrAndBgra) {
  EXPECT_EQ(rgb_at(to_rgb(cv::Mat(1, 1, CV_8UC1, cv::Scalar(77))), 0, 0), cv::Vec3b(77, 77, 77));
  EXPECT_EQ(rgb_at(to_rgb(cv::Mat(1, 1, CV_8UC3, cv::Scalar(10, 20, 30))), 0, 0), cv::Vec3b(30, 20, 10));
  EXPECT_EQ(rgb_at(to_rgb(cv::Mat(1, 1, CV_8UC4, cv::Scalar(10, 20, 30, 0))), 0, 0), cv::Vec3b(30, 20, 10));
}

TEST(ToRgb, RejectsOtherDepthsAndChannelCounts) {
  EXPECT_EQ(error_from([] { to_rgb(cv::Mat(1, 1, CV_16UC3)); }).code, ErrorCode::InvalidArgument);
  EXPECT_EQ(error_from([] { to_rgb(cv::Mat(1, 1, CV_8UC2)); }).code, ErrorCode::InvalidArgument);
  EXPECT_EQ(error_from([] { to_rgb(cv::Mat()); }).code, ErrorCode::InvalidArgument);
}

// ------------------------------------------------------------------------- files and errors

TEST(LoadImage, ReadsAFile) {
  const fs::path path = test::temp_dir("image_load") / "red.png";
  write_bytes(path, encode(cv::Mat(3, 5, CV_8UC3, cv::Scalar(0, 0, 255)), ".png"));
  const cv::Mat rgb = load_image(path.string());
  ASSERT_EQ(rgb.size(), cv::Size(5, 3));
  EXPECT_EQ(rgb_at(rgb, 4, 2), cv::Vec3b(255, 0, 0));
}

TEST(LoadImage, EmptyFile) {
  const fs::path path = test::temp_dir("image_empty") / "empty.jpg";
  write_bytes(path, {});
  const CaughtError error = error_from([&] { load_image(path.string()); });
  EXPECT_EQ(error.code, ErrorCode::DecodeFailed);
  EXPECT_EQ(error.message, path.string() + ": file is empty (0 bytes)");
}

TEST(LoadImage, MissingFile) {
  const fs::path path = test::temp_dir("image_missing") / "missing.jpg";
  const CaughtError error = error_from([&] { load_image(path.string()); });
  EXPECT_EQ(error.code, ErrorCode::FileNotFound);
  EXPECT_EQ(error.message, path.string() + ": no such file");
}

TEST(LoadImage, DirectoryIsNotAFile) {
  const fs::path path = test::temp_dir("image_directory");
  const CaughtError error = error_from([&] { load_image(path.string()); });
  EXPECT_EQ(error.code, ErrorCode::FileNotFound);
  EXPECT_EQ(error.message, path.string() + ": is a directory, not an image file");
}

TEST(LoadImage, UnreadableFileGivesTheReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const fs::path path = test::temp_dir("image_unreadable") / "secret.png";
  write_bytes(path, encode(cv::Mat(2, 2, CV_8UC3, cv::Scalar::all(0)), ".png"));
  ::chmod(path.c_str(), 0);
  const CaughtError error = error_from([&] { load_image(path.string()); });
  EXPECT_EQ(error.code, ErrorCode::FileNotFound);
  EXPECT_EQ(error.message, path.string() + ": cannot open (Permission denied)");
}

TEST(LoadImage, TextFileNamedJpg) {
  const fs::path path = test::temp_dir("image_text") / "x.jpg";
  const std::string text = "hello, this is not a picture\n";
  write_bytes(path, Bytes(text.begin(), text.end()));
  const CaughtError error = error_from([&] { load_image(path.string()); });
  EXPECT_EQ(error.code, ErrorCode::DecodeFailed);
  // The first eight bytes "hello, t" in ASCII hex.
  EXPECT_EQ(error.message,
            path.string() + ": not a JPEG, PNG, WebP or BMP image (starts with 68 65 6c 6c 6f 2c 20 74 \"hello, t\")");
}

TEST(DecodeImage, TruncatedJpegIsRefusedNotGreyFilled) {
  const Bytes jpeg = encode(noise(64, 64), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  ASSERT_NO_THROW(decode_image(jpeg, "whole.jpg"));
  const CaughtError error = error_from([&] { decode_image(prefix(jpeg, 0.6), "cut.jpg"); });
  EXPECT_EQ(error.code, ErrorCode::DecodeFailed);
  EXPECT_EQ(error.message.rfind("cut.jpg: truncated JPEG (", 0), 0u) << error.message;
}

TEST(DecodeImage, JpegWithoutEndOfImageMarkerIsTruncated) {
  Bytes jpeg = encode(noise(16, 16), ".jpg");
  ASSERT_EQ(jpeg[jpeg.size() - 2], 0xFF);
  ASSERT_EQ(jpeg[jpeg.size() - 1], 0xD9);
  jpeg.resize(jpeg.size() - 2);
  EXPECT_EQ(error_from([&] { decode_image(jpeg, "input"); }).code, ErrorCode::DecodeFailed);
}

TEST(DecodeImage, BytesAfterTheEndOfImageMarkerAreIgnored) {
  Bytes jpeg = encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(128)), ".jpg");
  append_text(jpeg, "trailing data some cameras add");
  EXPECT_EQ(decode_image(jpeg, "input").size(), cv::Size(8, 8));
}

struct TruncationCase {
  std::string extension;
  std::string display_name;
};

class TruncatedImage : public testing::TestWithParam<TruncationCase> {};

TEST_P(TruncatedImage, IsDecodeFailedNamingTheTruncation) {
  const Bytes whole = encode(noise(64, 64), GetParam().extension);
  const CaughtError error = error_from([&] { decode_image(prefix(whole, 0.6), "cut"); });
  EXPECT_EQ(error.code, ErrorCode::DecodeFailed);
  EXPECT_EQ(error.message.rfind("cut: truncated " + GetParam().display_name + " (", 0), 0u) << error.message;
}

INSTANTIATE_TEST_SUITE_P(LosslessFormats, TruncatedImage,
                         testing::Values(TruncationCase{".png", "PNG"}, TruncationCase{".webp", "WebP"},
                                         TruncationCase{".bmp", "BMP"}),
                         [](const auto& info) { return info.param.display_name; });

// ------------------------------------------------------------- decompression-bomb headers

constexpr int kHugeSide = 20000;
const std::string kHugeSideText = std::to_string(kHugeSide);
const std::string kHugeMessageTail = ": image is " + kHugeSideText + "x" + kHugeSideText + " = " +
                                     std::to_string(std::int64_t{kHugeSide} * kHugeSide) + " pixels, over the limit of " +
                                     std::to_string(ImageLoadOptions{}.max_pixels) + " (--max-pixels)";

// SOI, a baseline frame header announcing 20000x20000 with three components, the start of a scan
// and a few bytes of what would be compressed data.
Bytes huge_jpeg_header() {
  Bytes jpeg = {0xFF, 0xD8, 0xFF, 0xC0};
  append_u16(jpeg, 17, false);  // 2 (length) + 1 (precision) + 4 (size) + 1 (count) + 3 * 3 (components)
  jpeg.push_back(8);
  append_u16(jpeg, kHugeSide, false);  // height
  append_u16(jpeg, kHugeSide, false);  // width
  jpeg.insert(jpeg.end(), {3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1});
  jpeg.insert(jpeg.end(), {0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0x00, 0x3F, 0x00});
  jpeg.insert(jpeg.end(), {0x12, 0x34, 0x56, 0x78});
  return jpeg;
}

// PNG signature and an IHDR chunk (8-bit RGB) announcing 20000x20000, nothing else.
Bytes huge_png_header() {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  append_u32(ihdr, kHugeSide, false);
  append_u32(ihdr, kHugeSide, false);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // depth 8, colour type RGB, deflate, no filter, no interlace
  const Bytes chunk = png_chunk("IHDR", ihdr);
  png.insert(png.end(), chunk.begin(), chunk.end());
  return png;
}

TEST(PngCrc, MatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(png_crc(Bytes(check.begin(), check.end())), 0xCBF43926u);
}

TEST(DecompressionBomb, HugeHeadersAreRefusedBeforeDecoding) {
  const fs::path dir = test::temp_dir("image_bomb");
  for (const auto& [name, bytes] :
       {std::pair{"huge.jpg", huge_jpeg_header()}, std::pair{"huge.png", huge_png_header()}}) {
    const fs::path path = dir / name;
    write_bytes(path, bytes);
    const ImageHeader header = probe_image(bytes, name);
    EXPECT_EQ(header.width, kHugeSide);
    EXPECT_EQ(header.height, kHugeSide);
    EXPECT_EQ(header.channels, 3);

    const auto start = std::chrono::steady_clock::now();
    // These files hold no decodable pixels: an ImageTooLarge (not DecodeFailed) shows the limit
    // was applied from the header before any decoding was tried.
    const CaughtError error = error_from([&] { load_image(path.string()); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(error.code, ErrorCode::ImageTooLarge) << name;
    EXPECT_EQ(error.message, path.string() + kHugeMessageTail);
    EXPECT_LT(seconds, 5.0) << name;
  }
}

TEST(DecompressionBomb, AllowedHugeJpegHeaderStillFailsWithoutAllocating) {
  // At exactly the limit the header passes, and the missing compressed data is caught by the
  // truncation check, which runs before libjpeg would allocate 20000 x 20000 x 3 bytes.
  ImageLoadOptions options;
  options.max_pixels = std::int64_t{kHugeSide} * kHugeSide;
  const CaughtError error = error_from([&] { decode_image(huge_jpeg_header(), "huge.jpg", options); });
  EXPECT_EQ(error.code, ErrorCode::DecodeFailed);
  EXPECT_EQ(error.message.rfind("huge.jpg: truncated JPEG (", 0), 0u) << error.message;
}

TEST(ProbeImage, JpegFrameHeaderWithZeroHeightIsRefused) {
  Bytes jpeg = huge_jpeg_header();
  jpeg[7] = jpeg[8] = 0;  // height field (after FF D8 FF C0, length 2 bytes, precision 1 byte)
  EXPECT_EQ(error_from([&] { probe_image(jpeg, "input"); }).code, ErrorCode::DecodeFailed);
}

// --------------------------------------------------------------------------- EXIF orientation

// The stored test picture: 40x20, black, an 8x8 red block in the top-left corner and an 8x8
// green block in the top-right corner (8-pixel blocks match JPEG's blocks, so colours stay clean).
constexpr int kStoredWidth = 40, kStoredHeight = 20, kMark = 8;

cv::Mat marked_picture() {
  cv::Mat bgr(kStoredHeight, kStoredWidth, CV_8UC3, cv::Scalar::all(0));
  bgr(cv::Rect(0, 0, kMark, kMark)).setTo(cv::Scalar(0, 0, 255));
  bgr(cv::Rect(kStoredWidth - kMark, 0, kMark, kMark)).setTo(cv::Scalar(0, 255, 0));
  return bgr;
}

enum Corner { TopLeft, TopRight, BottomLeft, BottomRight };

// Where the stored top-left and top-right corners appear on display, from the EXIF definition of
// each value (which side the stored 0th row and 0th column are shown on).
struct Placement {
  Corner stored_top_left;
  Corner stored_top_right;
};
const Placement kPlacements[9] = {
    {},
    {TopLeft, TopRight},        // 1: 0th row top,    0th column left
    {TopRight, TopLeft},        // 2: 0th row top,    0th column right
    {BottomRight, BottomLeft},  // 3: 0th row bottom, 0th column right
    {BottomLeft, BottomRight},  // 4: 0th row bottom, 0th column left
    {TopLeft, BottomLeft},      // 5: 0th row left,   0th column top
    {TopRight, BottomRight},    // 6: 0th row right,  0th column top
    {BottomRight, TopRight},    // 7: 0th row right,  0th column bottom
    {BottomLeft, TopLeft},      // 8: 0th row left,   0th column bottom
};

// A pixel inside the mark at that corner of the displayed image.
cv::Vec3b pixel_in_mark(const cv::Mat& rgb, Corner corner) {
  const int inset = kMark / 2 - 1;
  const int x = (corner == TopLeft || corner == BottomLeft) ? inset : rgb.cols - 1 - inset;
  const int y = (corner == TopLeft || corner == TopRight) ? inset : rgb.rows - 1 - inset;
  return rgb_at(rgb, x, y);
}

const cv::Vec3b kRed(255, 0, 0), kGreen(0, 255, 0);

void expect_displayed_as(const cv::Mat& rgb, int orientation, int tolerance) {
  const bool turned = orientation >= 5;  // 5..8 swap width and height
  ASSERT_EQ(rgb.size(), turned ? cv::Size(kStoredHeight, kStoredWidth) : cv::Size(kStoredWidth, kStoredHeight));
  expect_rgb_near(pixel_in_mark(rgb, kPlacements[orientation].stored_top_left), kRed, tolerance, "red mark");
  expect_rgb_near(pixel_in_mark(rgb, kPlacements[orientation].stored_top_right), kGreen, tolerance, "green mark");
}

constexpr int kJpegTolerance = 40;

class JpegExifOrientation : public testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(JpegExifOrientation, IsReadAndApplied) {
  const auto [orientation, little_endian] = GetParam();
  const Bytes jpeg = jpeg_with_orientation(encode(marked_picture(), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 100}),
                                           orientation, little_endian);
  EXPECT_EQ(probe_image(jpeg, "input").exif_orientation, orientation);
  expect_displayed_as(decode_image(jpeg, "input"), orientation, kJpegTolerance);
}

INSTANTIATE_TEST_SUITE_P(AllValuesBothByteOrders, JpegExifOrientation,
                         testing::Combine(testing::Range(1, 9), testing::Bool()), [](const auto& info) {
                           return "Orientation" + std::to_string(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) ? "LittleEndian" : "BigEndian");
                         });

TEST(ExifOrientation, IgnoredWhenTurnedOff) {
  const Bytes jpeg = jpeg_with_orientation(encode(marked_picture(), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 100}), 6, false);
  ImageLoadOptions options;
  options.apply_exif_orientation = false;
  expect_displayed_as(decode_image(jpeg, "input", options), 1, kJpegTolerance);
}

TEST(ExifOrientation, PngExifChunk) {
  const Bytes png = png_with_orientation(encode(marked_picture(), ".png"), 8);
  EXPECT_EQ(probe_image(png, "input").exif_orientation, 8);
  expect_displayed_as(decode_image(png, "input"), 8, 0);
}

TEST(ExifOrientation, WebpExifChunk) {
  const Bytes webp = webp_with_orientation(encode(marked_picture(), ".webp"), kStoredWidth, kStoredHeight, 3);
  const ImageHeader header = probe_image(webp, "input");
  EXPECT_EQ(header.width, kStoredWidth);
  EXPECT_EQ(header.height, kStoredHeight);
  EXPECT_EQ(header.exif_orientation, 3);
  expect_displayed_as(decode_image(webp, "input"), 3, 0);
}

TEST(ExifOrientation, OutOfRangeValueMeansAsStored) {
  const Bytes jpeg = encode(marked_picture(), ".jpg");
  for (int invalid : {0, 9, 0x0600}) {
    EXPECT_EQ(probe_image(jpeg_with_orientation(jpeg, invalid, false), "input").exif_orientation, 1) << invalid;
  }
}

}  // namespace
}  // namespace facekit
