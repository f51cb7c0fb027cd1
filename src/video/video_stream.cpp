// VideoStream: decode and detect threads feeding the tracking/recognition stage (the caller's thread).
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "facekit/analyze.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/video.hpp"
#include "video/bounded_queue.hpp"
#include "video/frame_source.hpp"
#include "video/recognizer.hpp"
#include "video/track_identity.hpp"
#include "video/tracker.hpp"

namespace facekit {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct DecodedFrame {
  std::int64_t index = 0;
  double time_s = 0;
  cv::Mat bgr, rgb;
};

struct DetectedFrame {
  DecodedFrame frame;
  bool detected = false;
  std::vector<Detection> detections;
};

void scale_detection(Detection& d, double f) {
  d.box = {d.box.x * f, d.box.y * f, d.box.width * f, d.box.height * f};
  for (auto& p : d.keypoints) p = {p.x * f, p.y * f};
  if (d.left_eye) d.left_eye = Point{d.left_eye->x * f, d.left_eye->y * f};
  if (d.right_eye) d.right_eye = Point{d.right_eye->x * f, d.right_eye->y * f};
}

void check_options(const StreamOptions& o) {
  if (o.detect_every < 1) throw Error(ErrorCode::InvalidArgument, "--every must be >= 1");
  if (o.detect_max_side < 0) throw Error(ErrorCode::InvalidArgument, "--detect-size must be >= 0");
  if (o.detect_max_side > 0 && o.detect_max_side < 32)
    throw Error(ErrorCode::InvalidArgument, "--detect-size must be 0 (full resolution) or at least 32");
  if (o.recheck_every < 1) throw Error(ErrorCode::InvalidArgument, "--recheck must be >= 1");
  if (o.max_votes < 1 || o.initial_votes < 1 || o.initial_votes > o.max_votes)
    throw Error(ErrorCode::InvalidArgument, "votes: need 1 <= initial votes <= max votes");
  if (o.max_frames < 0) throw Error(ErrorCode::InvalidArgument, "--max-frames must be >= 0");
}

// Per-track state of the recognition stage.
struct TrackState {
  video::TrackIdentity identity;
  std::int64_t last_embedded = -1;
  bool unsettled = false;  // the latest verdict disagreed with the decision
  bool analysed = false;
  std::optional<FaceAnalysis> analysis;
  std::string reported;    // identity in the latest event
};

}  // namespace

struct VideoStream::Impl {
  StreamOptions options;
  std::unique_ptr<video::FrameSource> source;
  std::unique_ptr<Detector> detector;
  std::unique_ptr<video::Recognizer> recognizer;  // null without a gallery
  std::optional<AnalyzeOptions> analysis;          // set when options.analyze asks for actions
  video::Tracker tracker;
  std::map<int, TrackState> states;  // stable tracks by id
  bool drop = false;

  video::BoundedQueue<DecodedFrame> decoded;
  video::BoundedQueue<DetectedFrame> detected;
  std::thread reader, detect_thread;
  std::atomic<bool> stop{false};
  std::exception_ptr failure;  // from the detect thread, rethrown by next()

  mutable std::mutex mutex;  // guards report
  StreamReport report;
  Clock::time_point started;
  bool finished = false, closed = false;

  explicit Impl(StreamOptions o)
      : options(std::move(o)),
        tracker(options.tracker),
        decoded(options.queue_capacity),
        detected(options.queue_capacity) {}

  void add_time(const char* stage, double ms, std::int64_t calls = 1) {
    std::lock_guard lock(mutex);
    for (auto& s : report.stages)
      if (s.stage == stage) {
        s.total_ms += ms;
        s.calls += calls;
        return;
      }
  }

  void end_with(const std::string& reason, bool complete = true) {
    std::lock_guard lock(mutex);
    if (report.end_reason.empty()) report.end_reason = reason;
    if (!complete) report.complete = false;
  }

  bool cancelled() const { return stop || (options.cancel && options.cancel->load()); }

  void read_loop() {
    std::int64_t read = 0;
    while (true) {
      if (cancelled()) {
        end_with("cancelled");
        break;
      }
      if (options.max_frames > 0 && read >= options.max_frames) {
        end_with("max frames");
        break;
      }
      const auto t0 = Clock::now();
      DecodedFrame f;
      if (!source->read(f.bgr, f.index, f.time_s)) {
        const auto announced = source->info().frame_count;
        // Containers round their frame count; only a clear shortfall means a damaged file.
        if (!source->live() && announced > 0 && read + 2 < announced)
          end_with("decoding stopped after " + std::to_string(read) + " of " + std::to_string(announced) +
                       " frames (truncated or corrupt file)",
                   false);
        else
          end_with(source->live() ? "the stream ended or stopped sending frames" : "end of stream");
        break;
      }
      cv::cvtColor(f.bgr, f.rgb, cv::COLOR_BGR2RGB);
      add_time("decode", ms_since(t0));
      ++read;
      if (drop) {
        const int dropped = decoded.push_dropping_oldest(std::move(f));
        if (dropped < 0) break;
        std::lock_guard lock(mutex);
        report.dropped += dropped;
      } else if (!decoded.push(std::move(f))) {
        break;
      }
    }
    decoded.close();
  }

  void detect_loop() {
    try {
      std::int64_t n = 0;
      while (auto f = decoded.pop()) {
        DetectedFrame d;
        d.frame = std::move(*f);
        if (n++ % options.detect_every == 0) {
          const auto t0 = Clock::now();
          const cv::Mat& rgb = d.frame.rgb;
          const int long_side = std::max(rgb.cols, rgb.rows);
          if (options.detect_max_side > 0 && long_side > options.detect_max_side) {
            const double s = double(options.detect_max_side) / long_side;
            cv::Mat small;
            cv::resize(rgb, small, cv::Size(), s, s, cv::INTER_AREA);
            d.detections = detector->detect(small);
            for (auto& det : d.detections) scale_detection(det, 1.0 / s);
          } else {
            d.detections = detector->detect(rgb);
          }
          d.detected = true;
          add_time("detect", ms_since(t0));
        }
        if (!detected.push(std::move(d))) break;
      }
    } catch (...) {
      failure = std::current_exception();
      decoded.abandon();
    }
    detected.close();
  }

  TrackEvent event_of(const char* kind, const video::Track& t, const TrackState& s) const {
    TrackEvent e = event_of(kind, t, s.identity.decision());
    e.analysis = s.analysis;
    return e;
  }

  TrackEvent event_of(const char* kind, const video::Track& t, const video::IdentityDecision& d) const {
    TrackEvent e;
    e.kind = kind;
    e.track_id = t.id;
    e.identity = d.identity.empty() ? "unknown" : d.identity;
    e.distance = d.distance;
    e.confidence = d.confidence;
    e.first_frame = t.first_frame;
    e.last_frame = t.last_frame;
    e.t_start = t.first_time;
    e.t_end = t.last_time;
    e.box = t.detection.box;
    return e;
  }

  void end_tracks(const std::vector<video::Track>& ended, std::vector<TrackEvent>& events) {
    for (const auto& t : ended) {
      if (!t.stable) continue;
      auto it = states.find(t.id);
      if (it == states.end()) continue;
      events.push_back(event_of("end", t, it->second));
      states.erase(it);
    }
  }

  // Embeds the stable tracks that are due, then reports identity news as events.
  void recognise(const DetectedFrame& d, FrameResult& result) {
    for (auto& t : tracker.active()) {
      if (!t.stable) continue;
      auto [it, is_new] = states.try_emplace(t.id, TrackState{video::TrackIdentity(options.max_votes), -1, false, false, std::nullopt, ""});
      TrackState& s = it->second;
      if (is_new) {
        std::lock_guard lock(mutex);
        ++report.tracks;
      }
      // A verdict that disagrees with the track's identity is checked again on the next detected frame:
      // a real change (the tracker followed another face) is confirmed within a few frames, while a
      // consistent track costs one embedding every recheck_every frames.
      // A new track gathers its first initial_votes verdicts on consecutive detected frames: one view
      // may be blurred or turned away, and a borderline first verdict would otherwise stand for
      // recheck_every frames.
      const bool due = s.identity.decision().total_votes < options.initial_votes || s.unsettled ||
                       d.frame.index - s.last_embedded >= options.recheck_every;
      if (recognizer && t.detected && due) {
        double embed_ms = 0, search_ms = 0;
        s.last_embedded = d.frame.index;
        try {
          const video::Vote vote = recognizer->identify(d.frame.rgb, t.detection, embed_ms, search_ms);
          s.identity.add(vote);
          s.unsettled = vote.identity != s.identity.decision().identity;
        } catch (const Error&) {
          // A face the aligner cannot use (e.g. mostly outside the frame): no vote, retried at the next check.
        }
        add_time("embed", embed_ms);
        add_time("search", search_ms);
        std::lock_guard lock(mutex);
        ++report.embeddings;
      }
      if (analysis && !s.analysed && t.detected) analyse(d.frame.rgb, t, s);
      const video::IdentityDecision decision = s.identity.decision();
      const std::string now = decision.identity.empty() ? "unknown" : decision.identity;
      if (is_new) {
        result.events.push_back(event_of("start", t, s));
      } else if (now != s.reported) {
        TrackEvent e = event_of("change", t, s);
        e.previous_identity = s.reported;
        result.events.push_back(std::move(e));
        std::lock_guard lock(mutex);
        ++report.identity_switches;
      }
      s.reported = now;
    }
  }

  // Age, gender, ... once per track, on a square crop with a margin around its face: the analyzers
  // see the face and its surroundings as they would in a photo of that person.
  void analyse(const cv::Mat& rgb, const video::Track& t, TrackState& s) {
    s.analysed = true;
    const auto t0 = Clock::now();
    const Rect& b = t.detection.box;
    const double side = std::max(b.width, b.height) * 1.5;
    const cv::Rect crop = cv::Rect(int(b.x + b.width / 2 - side / 2), int(b.y + b.height / 2 - side / 2), int(side),
                                   int(side)) &
                          cv::Rect(0, 0, rgb.cols, rgb.rows);
    if (crop.width < 8 || crop.height < 8) return;
    try {
      auto faces = facekit::analyze(FaceInput::image(rgb(crop).clone()), *analysis);
      if (!faces.empty()) s.analysis = std::move(faces.front());
    } catch (const Error&) {
      // A crop the analyzers cannot use: the track goes without analysis.
    }
    add_time("analyze", ms_since(t0));
  }

  void collect_faces(FrameResult& result) const {
    for (const auto& t : tracker.active()) {
      if (!t.stable && !t.detected) continue;
      TrackedFace f;
      f.track_id = t.id;
      f.box = t.box;
      f.score = t.detection.score;
      f.detected = t.detected;
      f.stable = t.stable;
      if (auto it = states.find(t.id); t.stable && it != states.end()) {
        const auto decision = it->second.identity.decision();
        f.identity = decision.identity;
        f.distance = decision.distance;
        f.confidence = decision.confidence;
        f.votes = decision.votes;
        f.total_votes = decision.total_votes;
        f.analysis = it->second.analysis;
      }
      result.faces.push_back(std::move(f));
    }
  }

  void finish_timing() {
    if (finished) return;
    finished = true;
    std::lock_guard lock(mutex);
    report.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
    report.fps = report.wall_s > 0 ? double(report.frames) / report.wall_s : 0;
  }

  void shut_down() {
    stop = true;
    decoded.abandon();
    detected.abandon();
    if (reader.joinable()) reader.join();
    if (detect_thread.joinable()) detect_thread.join();
  }
};

VideoStream::VideoStream(StreamOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& m = *impl_;
  check_options(m.options);
  m.detector = create_detector(m.options.pipeline.detector);
  if (!m.options.gallery.empty()) m.recognizer = std::make_unique<video::Recognizer>(m.options);
  if (!m.options.analyze.empty()) {
    AnalyzeOptions a;
    a.actions = m.options.analyze;
    a.pipeline.detector = "none";  // the crop is the face
    a.pipeline.enforce_detection = false;
    // Checks the action names now, and loads the analyzers' models before the stream starts.
    facekit::analyze(FaceInput::image(cv::Mat(96, 96, CV_8UC3, cv::Scalar(128, 128, 128))), a);
    m.analysis = std::move(a);
  }
  m.source = std::make_unique<video::FrameSource>(m.options.source, m.options.open_timeout_ms, m.options.read_timeout_ms);
  m.drop = m.options.drop_frames.value_or(m.source->live());

  const auto& info = m.source->info();
  m.report.source = m.source->name();
  m.report.source_kind = video::to_string(info.kind);
  m.report.width = info.width;
  m.report.height = info.height;
  m.report.source_fps = info.fps;
  m.report.source_frames = info.frame_count;
  for (const char* stage : {"decode", "detect", "track", "embed", "search", "analyze"})
    m.report.stages.push_back({stage, 0, 0});

  m.started = Clock::now();
  m.reader = std::thread([&m] { m.read_loop(); });
  m.detect_thread = std::thread([&m] { m.detect_loop(); });
}

VideoStream::~VideoStream() { impl_->shut_down(); }

std::optional<FrameResult> VideoStream::next() {
  Impl& m = *impl_;
  if (m.closed) return std::nullopt;
  std::optional<DetectedFrame> d = m.detected.pop();
  if (!d) {
    m.finish_timing();
    if (m.failure) {
      m.end_with("failed");
      std::rethrow_exception(std::exchange(m.failure, nullptr));
    }
    return std::nullopt;
  }
  const auto t0 = Clock::now();
  FrameResult result;
  result.index = d->frame.index;
  result.time_s = d->frame.time_s;
  result.detected = d->detected;
  const auto ended = m.tracker.update(result.index, result.time_s, d->detected ? &d->detections : nullptr);
  m.add_time("track", ms_since(t0));
  m.end_tracks(ended, result.events);
  m.recognise(*d, result);
  m.collect_faces(result);
  result.frame = std::move(d->frame.bgr);
  {
    std::lock_guard lock(m.mutex);
    ++m.report.frames;
    m.report.detections += std::int64_t(d->detections.size());
  }
  return result;
}

std::vector<TrackEvent> VideoStream::close() {
  Impl& m = *impl_;
  std::vector<TrackEvent> events;
  if (m.closed) return events;
  m.finish_timing();
  m.closed = true;
  m.shut_down();
  m.end_tracks(m.tracker.end_all(), events);
  m.end_with("cancelled");  // only when nothing ended the stream before: the caller stopped reading
  return events;
}

StreamReport VideoStream::report() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->report;
}

StreamReport run_stream(const StreamOptions& options, const std::function<void(const FrameResult&)>& on_frame,
                        const std::function<void(const TrackEvent&)>& on_event) {
  VideoStream stream(options);
  while (auto frame = stream.next()) {
    if (on_event)
      for (const auto& e : frame->events) on_event(e);
    if (on_frame) on_frame(*frame);
  }
  for (const auto& e : stream.close())
    if (on_event) on_event(e);
  return stream.report();
}

}  // namespace facekit
