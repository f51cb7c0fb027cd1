// Frames from a video file, a camera or a URL through OpenCV videoio, with the errors a user can
// act on: a missing file, a file that is not a readable video, a camera that does not exist, a URL
// that does not answer (within a timeout, never a hang).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace facekit::video {

enum class SourceKind { File, Camera, Url };
const char* to_string(SourceKind kind);

// "0".."99" is a camera index; anything with "://" a URL; the rest a file path.
SourceKind classify_source(const std::string& source);

struct SourceInfo {
  SourceKind kind = SourceKind::File;
  int width = 0, height = 0;
  double fps = 0;                 // 0 when the source does not say
  std::int64_t frame_count = 0;   // files only; 0 when unknown
  std::string backend;
};

class FrameSource {
 public:
  // Opens and decodes the first frame. Throws Error naming the source and what is wrong.
  FrameSource(const std::string& source, int open_timeout_ms, int read_timeout_ms);

  // The next frame (BGR) and its time in seconds; false at the end of the stream or on a read error.
  bool read(cv::Mat& bgr, std::int64_t& index, double& time_s);
  const SourceInfo& info() const { return info_; }
  const std::string& name() const { return name_; }
  bool live() const { return info_.kind != SourceKind::File; }

 private:
  std::string name_;
  SourceInfo info_;
  cv::VideoCapture capture_;
  cv::Mat first_;  // decoded while opening, handed out by the first read()
  std::int64_t next_index_ = 0;
  std::chrono::steady_clock::time_point opened_at_;
};

}  // namespace facekit::video
