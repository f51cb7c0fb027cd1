// Multi-face tracker in the manner of SORT (Bewley et al. 2016): a constant-velocity Kalman filter
// per track on the box centre and size, detections joined to predicted boxes by IoU (greedy, best
// pair first: with the handful of faces of a video this picks the same pairs as the Hungarian
// method), unmatched detections start tentative tracks, a track is stable after `min_hits`
// consecutive detections and ends after `max_missed` detection rounds without one.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "facekit/types.hpp"
#include "facekit/video.hpp"

namespace facekit::video {

// Position and velocity of one box coordinate; noise scaled by the box height as in DeepSORT, so
// the filter behaves the same for near and far faces.
class AxisFilter {
 public:
  void init(double position, double std_pos, double std_vel);
  void predict(double process_std_pos, double process_std_vel);
  void correct(double measurement, double measurement_std);
  double position() const { return x_[0]; }
  double velocity() const { return x_[1]; }

 private:
  std::array<double, 2> x_{0, 0};
  std::array<double, 4> p_{0, 0, 0, 0};  // covariance, row-major 2x2
};

class BoxFilter {
 public:
  explicit BoxFilter(const Rect& box);
  Rect predict();             // advances one frame, returns the predicted box
  void correct(const Rect& box);
  Rect box() const;

 private:
  std::array<AxisFilter, 4> axes_;  // centre x, centre y, width, height
  double scale() const;             // the box height the noise is proportional to
};

struct Track {
  int id = 0;
  BoxFilter filter;
  Rect box;                    // detection box when detected this frame, else the prediction
  Detection detection;         // latest matched detection
  bool detected = false;       // matched on the current frame
  bool stable = false;
  int hit_streak = 0;          // consecutive detection rounds matched
  int missed = 0;              // consecutive detection rounds unmatched
  std::int64_t first_frame = 0, last_frame = 0;  // first and latest frame detected
  double first_time = 0, last_time = 0;          // their times in seconds
};

class Tracker {
 public:
  explicit Tracker(TrackerOptions options);

  // Advances every track one frame. `detections` is null on a frame without detection (tracks are
  // only predicted). Returns the tracks that ended on this frame; active() is up to date afterwards.
  std::vector<Track> update(std::int64_t frame, double time_s, const std::vector<Detection>* detections);
  const std::vector<Track>& active() const { return tracks_; }
  std::vector<Track>& active() { return tracks_; }
  // Ends every track (at the end of the stream).
  std::vector<Track> end_all();

 private:
  TrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
};

}  // namespace facekit::video
