// Bad video sources end in a clear error or a clean end of stream, never a hang or a crash: a missing
// file, random bytes, an empty file, a truncated file, a camera that does not exist, a URL nobody
// listens on and one that accepts the connection but never answers. Every video is made here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "facekit/error.hpp"
#include "facekit/video.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::test::cli_path;
using facekit::test::run_command;
using facekit::test::temp_dir;

namespace {

constexpr int kFrames = 48;

// A small MJPEG AVI (OpenCV's built-in writer, always available) of a moving grey square.
fs::path make_video(const fs::path& dir) {
  const fs::path path = dir / "made.avi";
  cv::VideoWriter writer(path.string(), cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 24,
                         cv::Size(160, 120));
  if (!writer.isOpened()) return {};
  for (int i = 0; i < kFrames; ++i) {
    cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(30, 60, 90));
    cv::rectangle(frame, cv::Rect(10 + 2 * i, 30, 40, 40), cv::Scalar(200, 200, 200), cv::FILLED);
    writer.write(frame);
  }
  return path;
}

facekit::StreamOptions options_for(const std::string& source) {
  facekit::StreamOptions o;
  o.source = source;
  o.pipeline.detector = "haar";  // any detector: these videos have no faces
  o.open_timeout_ms = 1500;
  o.read_timeout_ms = 1500;
  return o;
}

// Runs the stream to its end; returns the error code, or nullopt with the report when it ended cleanly.
std::optional<facekit::ErrorCode> run(const facekit::StreamOptions& o, facekit::StreamReport* report = nullptr,
                                      std::string* message = nullptr) {
  try {
    auto r = facekit::run_stream(o, nullptr, nullptr);
    if (report) *report = r;
    return std::nullopt;
  } catch (const facekit::Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(VideoErrors, AMadeVideoPlaysToTheEndWithEveryFrame) {
  const auto dir = temp_dir("video_errors_ok");
  const fs::path video = make_video(dir);
  ASSERT_FALSE(video.empty()) << "OpenCV's MJPEG writer is unavailable";
  facekit::StreamReport report;
  ASSERT_FALSE(run(options_for(video.string()), &report).has_value());
  EXPECT_EQ(report.frames, kFrames);
  EXPECT_EQ(report.dropped, 0);
  EXPECT_EQ(report.width, 160);
  EXPECT_EQ(report.height, 120);
  EXPECT_EQ(report.source_kind, "file");
  EXPECT_EQ(report.end_reason, "end of stream");
  EXPECT_TRUE(report.complete);
}

TEST(VideoErrors, MissingEmptyAndRandomFilesAreClearErrors) {
  const auto dir = temp_dir("video_errors_files");
  std::string message;
  EXPECT_EQ(run(options_for((dir / "nope.mp4").string()), nullptr, &message), facekit::ErrorCode::FileNotFound);
  EXPECT_NE(message.find("nope.mp4"), std::string::npos) << message;

  std::ofstream(dir / "empty.mp4").close();
  EXPECT_EQ(run(options_for((dir / "empty.mp4").string()), nullptr, &message), facekit::ErrorCode::DecodeFailed);
  EXPECT_NE(message.find("empty.mp4"), std::string::npos) << message;

  std::mt19937 rng(7);
  std::ofstream noise(dir / "noise.mp4", std::ios::binary);
  for (int i = 0; i < 200000; ++i) noise.put(char(rng() & 0xff));
  noise.close();
  EXPECT_EQ(run(options_for((dir / "noise.mp4").string()), nullptr, &message), facekit::ErrorCode::DecodeFailed);
  EXPECT_NE(message.find("noise.mp4"), std::string::npos) << message;

  // The CLI names the file and exits 3 (input file).
  const auto r = run_command(cli_path() + " stream --source '" + (dir / "noise.mp4").string() + "' --detector haar");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("noise.mp4"), std::string::npos) << r.err;
}

TEST(VideoErrors, ATruncatedFileEndsCleanlyWithTheFramesBeforeTheCut) {
  const auto dir = temp_dir("video_errors_truncated");
  const fs::path video = make_video(dir);
  ASSERT_FALSE(video.empty());
  // Keep the first 60% of the bytes: the AVI index at the end is gone, part of the frames too.
  const fs::path cut = dir / "cut.avi";
  fs::copy_file(video, cut);
  fs::resize_file(cut, fs::file_size(video) * 6 / 10);
  facekit::StreamReport report;
  std::string message;
  const auto t0 = std::chrono::steady_clock::now();
  const auto error = run(options_for(cut.string()), &report, &message);
  EXPECT_LT(seconds_since(t0), 30);
  if (error) {
    EXPECT_EQ(*error, facekit::ErrorCode::DecodeFailed);
    EXPECT_NE(message.find("cut.avi"), std::string::npos) << message;
  } else {
    EXPECT_GT(report.frames, 0);
    EXPECT_LT(report.frames, kFrames);
    // A shortfall against the announced count is reported; a container without one just ends.
    if (report.source_frames >= kFrames) {
      EXPECT_FALSE(report.complete);
      EXPECT_NE(report.end_reason.find("truncated"), std::string::npos) << report.end_reason;
    }
  }
}

TEST(VideoErrors, ATruncatedRealH264ClipEndsCleanlyOrFailsClearly) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const fs::path clip = facekit::test::shared_dir() / "data/faces/face_recognition/examples/short_hamilton_clip.mp4";
  ASSERT_TRUE(fs::exists(clip));
  const auto dir = temp_dir("video_errors_h264");
  const fs::path cut = dir / "cut.mp4";
  fs::copy_file(clip, cut);
  fs::resize_file(cut, fs::file_size(clip) / 2);
  facekit::StreamReport report;
  std::string message;
  auto o = options_for(cut.string());
  o.detect_every = 1000;  // decoding is what is tested
  const auto error = run(o, &report, &message);
  if (error) {
    EXPECT_EQ(*error, facekit::ErrorCode::DecodeFailed);
    EXPECT_NE(message.find("cut.mp4"), std::string::npos) << message;
  } else {
    EXPECT_GT(report.frames, 0);
    EXPECT_LT(report.frames, 275);
    if (report.source_frames >= 275) {
      EXPECT_FALSE(report.complete) << report.end_reason;
    }
  }
}

TEST(VideoErrors, ACameraThatDoesNotExistIsAClearError) {
  std::string message;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(options_for("57"), nullptr, &message), facekit::ErrorCode::DecodeFailed);
  EXPECT_LT(seconds_since(t0), 10);
  EXPECT_NE(message.find("camera 57"), std::string::npos) << message;

  const auto r = run_command(cli_path() + " stream --source 57 --detector haar");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("camera 57"), std::string::npos) << r.err;
}

TEST(VideoErrors, URLsThatRefuseOrNeverAnswerFailWithinTheTimeout) {
  // A listening socket that never accepts: the kernel completes the handshake, then silence.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string silent = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/live.mp4";

  std::string message;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(options_for(silent), nullptr, &message), facekit::ErrorCode::DecodeFailed);
  EXPECT_LT(seconds_since(t0), 15);  // 1.5 s timeout, plus FFmpeg's own retries
  EXPECT_NE(message.find(silent), std::string::npos) << message;
  ::close(fd);

  // The same port, closed now: connection refused.
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(options_for(silent), nullptr, &message), facekit::ErrorCode::DecodeFailed);
  EXPECT_LT(seconds_since(t0), 15);

  const auto r = run_command(cli_path() + " stream --source rtsp://127.0.0.1:9/none --timeout 1500 --detector haar");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("rtsp://127.0.0.1:9/none"), std::string::npos) << r.err;
}

TEST(VideoErrors, BadOptionsAreUsageErrors) {
  const auto dir = temp_dir("video_errors_options");
  const fs::path video = make_video(dir);
  ASSERT_FALSE(video.empty());
  auto o = options_for(video.string());
  o.detect_every = 0;
  EXPECT_EQ(run(o), facekit::ErrorCode::InvalidArgument);
  o = options_for(video.string());
  o.gallery = (dir / "missing.gallery").string();
  EXPECT_TRUE(run(o).has_value());
  const auto r = run_command(cli_path() + " stream --source '" + video.string() + "' --detector haar --analyze age,shoe-size");
  EXPECT_EQ(r.status, 2) << r.err;
}
