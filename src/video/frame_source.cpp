#include "video/frame_source.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "facekit/error.hpp"

namespace fs = std::filesystem;

namespace facekit::video {

const char* to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::File: return "file";
    case SourceKind::Camera: return "camera";
    case SourceKind::Url: return "url";
  }
  return "file";
}

SourceKind classify_source(const std::string& source) {
  if (!source.empty() && source.size() <= 2 &&
      std::all_of(source.begin(), source.end(), [](unsigned char c) { return std::isdigit(c); }))
    return SourceKind::Camera;
  if (source.find("://") != std::string::npos) return SourceKind::Url;
  return SourceKind::File;
}

namespace {

void check_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(ErrorCode::FileNotFound, path + ": no such video file");
  if (!fs::is_regular_file(status)) throw Error(ErrorCode::FileNotFound, path + ": not a regular file");
  if (fs::file_size(path, ec) == 0) throw Error(ErrorCode::DecodeFailed, path + ": empty file, not a video");
}

// FFmpeg's interrupt callback enforces the timeouts, so a URL that accepts the connection and then
// says nothing ends the open (or a read) instead of blocking forever.
std::vector<int> ffmpeg_params(int open_timeout_ms, int read_timeout_ms) {
  return {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, open_timeout_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC, read_timeout_ms};
}

}  // namespace

FrameSource::FrameSource(const std::string& source, int open_timeout_ms, int read_timeout_ms) : name_(source) {
  if (source.empty()) throw Error(ErrorCode::InvalidArgument, "no video source given");
  if (open_timeout_ms <= 0 || read_timeout_ms <= 0)
    throw Error(ErrorCode::InvalidArgument, "video timeouts must be positive");
  info_.kind = classify_source(source);
  bool opened = false;
  switch (info_.kind) {
    case SourceKind::File:
      check_file(source);
      opened = capture_.open(source, cv::CAP_FFMPEG, ffmpeg_params(open_timeout_ms, read_timeout_ms));
      if (!opened)
        throw Error(ErrorCode::DecodeFailed,
                    source + ": not a video file OpenCV/FFmpeg can read (corrupt, truncated or unsupported format)");
      break;
    case SourceKind::Camera:
      name_ = "camera " + source;
      opened = capture_.open(std::stoi(source), cv::CAP_V4L2) || capture_.open(std::stoi(source), cv::CAP_ANY);
      if (!opened)
        throw Error(ErrorCode::DecodeFailed, name_ + " (/dev/video" + source + "): no such camera, or it cannot be opened");
      break;
    case SourceKind::Url:
      opened = capture_.open(source, cv::CAP_FFMPEG, ffmpeg_params(open_timeout_ms, read_timeout_ms));
      if (!opened)
        throw Error(ErrorCode::DecodeFailed, source + ": the stream could not be opened within " +
                                                 std::to_string(open_timeout_ms) +
                                                 " ms (no answer, refused, or not a video stream)");
      break;
  }
  opened_at_ = std::chrono::steady_clock::now();
  if (!capture_.read(first_) || first_.empty())
    throw Error(ErrorCode::DecodeFailed, name_ + ": opened, but no frame could be decoded (corrupt or truncated?)");
  info_.width = first_.cols;
  info_.height = first_.rows;
  info_.fps = capture_.get(cv::CAP_PROP_FPS);
  if (!(info_.fps > 0 && info_.fps < 1000)) info_.fps = 0;
  if (info_.kind == SourceKind::File)
    info_.frame_count = std::max<std::int64_t>(0, static_cast<std::int64_t>(capture_.get(cv::CAP_PROP_FRAME_COUNT)));
  info_.backend = capture_.getBackendName();
}

bool FrameSource::read(cv::Mat& bgr, std::int64_t& index, double& time_s) {
  if (!first_.empty()) {
    bgr = std::move(first_);
    first_ = cv::Mat();
  } else {
    cv::Mat frame;  // a fresh buffer: the previous frame may still be in a queue
    if (!capture_.read(frame) || frame.empty()) return false;
    bgr = std::move(frame);
  }
  index = next_index_++;
  if (!live() && info_.fps > 0) {
    time_s = double(index) / info_.fps;  // the file's own clock, whatever the processing speed
  } else {
    time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
  }
  return true;
}

}  // namespace facekit::video
