// JSON forms of the stream's results and the annotated frame.
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/video.hpp"

namespace facekit {
namespace {

// A track's analysis without the crop-relative facial area (the track's box says where the face is).
nlohmann::json analysis_json(const FaceAnalysis& a) {
  nlohmann::json j = a;
  j.erase("facial_area");
  j.erase("region");
  j.erase("face_confidence");
  return j;
}

// Boxes in whole pixels, as deepface's facial_area.
nlohmann::json box_json(const Rect& r) {
  return {{"x", std::lround(r.x)}, {"y", std::lround(r.y)}, {"w", std::lround(r.width)}, {"h", std::lround(r.height)}};
}

// Rounded to `decimals` places; dividing by a power of ten (not multiplying by 0.01) gives the double
// nearest the decimal, which JSON then prints without a tail of 9s or 0s.
double round_to(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

// A colour per track id, stable over the video (golden-angle hue steps keep neighbours apart).
cv::Scalar track_colour(int id) {
  if (id == 0) return {160, 160, 160};  // tentative
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(int(id * 137.508) % 180, 220, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const auto c = bgr.at<cv::Vec3b>(0, 0);
  return {double(c[0]), double(c[1]), double(c[2])};
}

void label(cv::Mat& img, const std::string& text, cv::Point at, const cv::Scalar& colour, double scale) {
  int baseline = 0;
  const int thickness = std::max(1, int(std::lround(scale * 2)));
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  at.y = std::max(at.y, size.height + 4);
  cv::rectangle(img, {at.x, at.y - size.height - 4}, {at.x + size.width + 4, at.y + baseline}, colour, cv::FILLED);
  cv::putText(img, text, {at.x + 2, at.y - 2}, cv::FONT_HERSHEY_SIMPLEX, scale, {0, 0, 0}, thickness, cv::LINE_AA);
}

}  // namespace

void draw_tracks(cv::Mat& bgr, const FrameResult& result, double fps) {
  const double scale = std::max(0.4, bgr.rows / 900.0);
  for (const auto& f : result.faces) {
    const cv::Scalar colour = track_colour(f.track_id);
    const cv::Rect box(int(std::lround(f.box.x)), int(std::lround(f.box.y)), int(std::lround(f.box.width)),
                       int(std::lround(f.box.height)));
    // Solid when detected on this frame, thin when only predicted by the tracker.
    cv::rectangle(bgr, box, colour, f.detected ? std::max(2, int(scale * 3)) : 1, cv::LINE_AA);
    if (!f.stable) continue;
    std::string text = "#" + std::to_string(f.track_id) + " " + (f.identity.empty() ? "?" : f.identity);
    if (!f.identity.empty() && f.identity != "unknown") {
      char d[32];
      std::snprintf(d, sizeof d, " %.2f", f.distance);
      text += d;
    }
    label(bgr, text, {box.x, box.y - 2}, colour, scale * 0.6);
  }
  char status[96];
  std::snprintf(status, sizeof status, "frame %lld  %.1f fps  %zu face(s)", static_cast<long long>(result.index), fps,
                result.faces.size());
  label(bgr, status, {4, 4}, {255, 255, 255}, scale * 0.6);
}

void to_json(nlohmann::json& j, const TrackedFace& f) {
  j = {{"track_id", f.track_id}, {"box", box_json(f.box)}, {"score", round_to(f.score, 4)},
       {"detected", f.detected}, {"stable", f.stable}};
  if (!f.identity.empty())
    j.update({{"identity", f.identity},
              {"distance", round_to(f.distance, 4)},
              {"confidence", round_to(f.confidence, 2)},
              {"votes", f.votes},
              {"total_votes", f.total_votes}});
  if (f.analysis) j["analysis"] = analysis_json(*f.analysis);
}

void to_json(nlohmann::json& j, const TrackEvent& e) {
  j = {{"event", e.kind},
       {"track_id", e.track_id},
       {"identity", e.identity},
       {"distance", round_to(e.distance, 4)},
       {"confidence", round_to(e.confidence, 2)},
       {"first_frame", e.first_frame},
       {"last_frame", e.last_frame},
       {"t_start", round_to(e.t_start, 3)},
       {"t_end", round_to(e.t_end, 3)},
       {"box", box_json(e.box)}};
  if (e.kind == "change") j["previous_identity"] = e.previous_identity;
  if (e.analysis) j["analysis"] = analysis_json(*e.analysis);
}

void to_json(nlohmann::json& j, const StreamReport& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& s : r.stages)
    stages[s.stage] = {{"total_ms", round_to(s.total_ms, 2)},
                       {"calls", s.calls},
                       {"ms_per_call", s.calls ? round_to(s.total_ms / double(s.calls), 2) : 0.0},
                       {"ms_per_frame", r.frames ? round_to(s.total_ms / double(r.frames), 2) : 0.0}};
  j = {{"source", r.source},
       {"source_kind", r.source_kind},
       {"width", r.width},
       {"height", r.height},
       {"source_fps", round_to(r.source_fps, 3)},
       {"source_frames", r.source_frames},
       {"frames", r.frames},
       {"dropped", r.dropped},
       {"detections", r.detections},
       {"tracks", r.tracks},
       {"identity_switches", r.identity_switches},
       {"embeddings", r.embeddings},
       {"wall_s", round_to(r.wall_s, 3)},
       {"fps", round_to(r.fps, 2)},
       {"stages", stages},
       {"end_reason", r.end_reason},
       {"complete", r.complete}};
}

}  // namespace facekit
