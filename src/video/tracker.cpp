#include "video/tracker.hpp"

#include <algorithm>
#include <tuple>

#include "facekit/error.hpp"

namespace facekit::video {

// ---- Kalman filter, one coordinate: x = (position, velocity), one frame per step --------------

void AxisFilter::init(double position, double std_pos, double std_vel) {
  x_ = {position, 0};
  p_ = {std_pos * std_pos, 0, 0, std_vel * std_vel};
}

void AxisFilter::predict(double process_std_pos, double process_std_vel) {
  // x' = F x, P' = F P F^T + Q with F = [1 1; 0 1], Q = diag(std_pos^2, std_vel^2).
  x_[0] += x_[1];
  const double a = p_[0], b = p_[1], c = p_[2], d = p_[3];
  p_ = {a + b + c + d + process_std_pos * process_std_pos, b + d, c + d, d + process_std_vel * process_std_vel};
}

void AxisFilter::correct(double measurement, double measurement_std) {
  // H = [1 0]: gain K = P H^T / (H P H^T + R).
  const double s = p_[0] + measurement_std * measurement_std;
  const double k0 = p_[0] / s, k1 = p_[2] / s;
  const double innovation = measurement - x_[0];
  x_[0] += k0 * innovation;
  x_[1] += k1 * innovation;
  const double a = p_[0], b = p_[1], c = p_[2], d = p_[3];
  p_ = {(1 - k0) * a, (1 - k0) * b, c - k1 * a, d - k1 * b};
}

namespace {
// DeepSORT's noise weights, relative to the box height.
constexpr double kStdPosition = 1.0 / 20;
constexpr double kStdVelocity = 1.0 / 160;

std::array<double, 4> centre_size(const Rect& r) { return {r.x + r.width / 2, r.y + r.height / 2, r.width, r.height}; }
}  // namespace

BoxFilter::BoxFilter(const Rect& box) {
  // DeepSORT's initiate: position known to two measurement deviations, velocity barely known.
  const auto z = centre_size(box);
  const double h = std::max(1.0, box.height);
  for (std::size_t i = 0; i < 4; ++i) axes_[i].init(z[i], 2 * kStdPosition * h, 10 * kStdVelocity * h);
}

double BoxFilter::scale() const { return std::max(1.0, axes_[3].position()); }

Rect BoxFilter::box() const {
  const double w = std::max(1.0, axes_[2].position()), h = std::max(1.0, axes_[3].position());
  return {axes_[0].position() - w / 2, axes_[1].position() - h / 2, w, h};
}

Rect BoxFilter::predict() {
  const double h = scale();
  for (auto& axis : axes_) axis.predict(kStdPosition * h, kStdVelocity * h);
  return box();
}

void BoxFilter::correct(const Rect& measured) {
  const auto z = centre_size(measured);
  const double h = std::max(1.0, measured.height);
  for (std::size_t i = 0; i < 4; ++i) axes_[i].correct(z[i], kStdPosition * h);
}

// ---- tracker -----------------------------------------------------------------------------------

Tracker::Tracker(TrackerOptions options) : options_(options) {
  if (options_.iou_threshold <= 0 || options_.iou_threshold >= 1)
    throw Error(ErrorCode::InvalidArgument, "tracker: iou_threshold must be in (0, 1)");
  if (options_.min_hits < 1) throw Error(ErrorCode::InvalidArgument, "tracker: min_hits must be >= 1");
  if (options_.max_missed < 0) throw Error(ErrorCode::InvalidArgument, "tracker: max_missed must be >= 0");
}

std::vector<Track> Tracker::update(std::int64_t frame, double time_s, const std::vector<Detection>* detections) {
  for (auto& t : tracks_) {
    t.box = t.filter.predict();
    t.detected = false;
  }
  std::vector<Track> ended;
  if (!detections) return ended;  // no detection round: nothing is missed either

  // Greedy association, highest IoU first.
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
  for (std::size_t t = 0; t < tracks_.size(); ++t)
    for (std::size_t d = 0; d < detections->size(); ++d) {
      const double overlap = iou(tracks_[t].box, (*detections)[d].box);
      if (overlap >= options_.iou_threshold) pairs.emplace_back(overlap, t, d);
    }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> track_taken(tracks_.size(), false), detection_taken(detections->size(), false);
  for (const auto& [overlap, t, d] : pairs) {
    if (track_taken[t] || detection_taken[d]) continue;
    track_taken[t] = detection_taken[d] = true;
    Track& track = tracks_[t];
    const Detection& det = (*detections)[d];
    track.filter.correct(det.box);
    track.box = det.box;
    track.detection = det;
    track.detected = true;
    track.missed = 0;
    track.last_frame = frame;
    track.last_time = time_s;
    if (++track.hit_streak >= options_.min_hits && !track.stable) {
      track.stable = true;
      track.id = next_id_++;
    }
  }

  std::vector<Track> kept;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    Track& track = tracks_[t];
    if (!track_taken[t]) {
      track.hit_streak = 0;
      ++track.missed;
      // A tentative track that misses once was most likely a false detection (SORT's rule).
      if (!track.stable || track.missed > options_.max_missed) {
        ended.push_back(std::move(track));
        continue;
      }
    }
    kept.push_back(std::move(track));
  }
  tracks_ = std::move(kept);

  for (std::size_t d = 0; d < detections->size(); ++d) {
    if (detection_taken[d]) continue;
    const Detection& det = (*detections)[d];
    Track track{0, BoxFilter(det.box), det.box, det, true, false, 1, 0, frame, frame, time_s, time_s};
    if (options_.min_hits <= 1) {
      track.stable = true;
      track.id = next_id_++;
    }
    tracks_.push_back(std::move(track));
  }
  return ended;
}

std::vector<Track> Tracker::end_all() {
  std::vector<Track> ended = std::move(tracks_);
  tracks_.clear();
  return ended;
}

}  // namespace facekit::video
