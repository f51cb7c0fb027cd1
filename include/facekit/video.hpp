// Real-time recognition in video: faces are detected, followed by a tracker, and each track is
// identified against a gallery from a few embeddings (when it first becomes stable, then every
// `recheck_every` frames), not on every frame.
//
// Three stages overlap on their own threads, joined by bounded queues:
//   decode (OpenCV videoio) -> detect (optionally on a downscaled copy) -> track + embed + search
// The last stage runs on the caller's thread inside VideoStream::next(). Live sources (cameras,
// URLs) drop the oldest waiting frame when the pipeline falls behind; files never drop frames.
//
//   facekit::StreamOptions o;
//   o.source = "clip.mp4";  o.gallery = "people.gallery";
//   facekit::VideoStream stream(o);                      // opens source and gallery, or throws Error
//   while (auto frame = stream.next())                   // one result per processed frame
//     for (const auto& face : frame->faces) ...;         // track id, box, identity
//   facekit::StreamReport report = stream.finish();       // stage timings, fps, end reason
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "facekit/analyze.hpp"
#include "facekit/facekit.hpp"

namespace facekit {

struct TrackerOptions {
  double iou_threshold = 0.3;  // least IoU between a track's predicted box and a detection to join them
  int min_hits = 2;            // consecutive detections before a track is stable (and gets identified)
  int max_missed = 8;          // detection rounds a stable track survives unseen before it ends
};

struct StreamOptions {
  // A video file, a camera index ("0" = /dev/video0) or a URL (rtsp://, http://, https://).
  std::string source;
  PipelineOptions pipeline;  // detector, landmarker, aligner and embedding model
  std::string gallery;       // gallery file to identify against; empty = track only, no embedding
  std::string metric = "euclidean";
  std::optional<double> threshold;  // default: the model's calibrated threshold for the metric
  std::string index = "exact";      // gallery index, as for find

  int detect_every = 1;     // detect on every Nth frame; the tracker predicts in between
  int detect_max_side = 0;  // detect on a copy whose long side is at most this (0 = full resolution)
  // Frames between re-embeddings of a stable track (while it is detected); a verdict that disagrees
  // with the track's identity is re-checked on the next detected frame instead.
  int recheck_every = 10;
  int initial_votes = 3;    // verdicts a new stable track gathers on consecutive detected frames
  int max_votes = 5;        // latest per-embedding verdicts a track's identity is decided from (majority)
  TrackerOptions tracker;
  // Actions of facekit::analyze ("age", "gender", "emotion", "race", "spoof") run once per track, on a
  // crop around its face when it becomes stable; empty = none.
  std::vector<std::string> analyze;

  std::optional<bool> drop_frames;  // default: true for cameras and URLs, false for files
  std::size_t queue_capacity = 4;   // frames waiting between two stages
  int open_timeout_ms = 10000;      // URLs and cameras: give up opening after this
  int read_timeout_ms = 10000;      // URLs and cameras: a frame that takes longer ends the stream
  std::int64_t max_frames = 0;      // stop after this many frames (0 = until the end)
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. from a SIGINT handler) to stop cleanly
};

// One tracked face on one frame.
struct TrackedFace {
  int track_id = 0;
  Rect box;                  // the detection when `detected`, else the tracker's prediction
  float score = 0.f;         // detector score of the latest detection
  bool detected = false;     // a detection was matched to the track on this frame
  bool stable = false;       // seen on min_hits consecutive detection rounds
  std::string identity;      // empty until identified; "unknown" when no gallery face is close enough
  double distance = 0;       // mean distance of the votes for `identity`
  double confidence = 0;     // mean confidence of those votes, in [0, 100]
  int votes = 0;             // verdicts behind `identity` / all verdicts
  int total_votes = 0;
  std::optional<FaceAnalysis> analysis;  // when StreamOptions::analyze asks for it
};

// A change in a track's life: it becomes stable ("start"), its identity changes ("change"), it ends ("end").
struct TrackEvent {
  std::string kind;
  int track_id = 0;
  std::string identity;  // "unknown" when unidentified
  std::string previous_identity;  // "change" only
  double distance = 0, confidence = 0;
  std::int64_t first_frame = 0, last_frame = 0;  // last frame the track was detected on
  double t_start = 0, t_end = 0;                 // seconds from the start of the stream
  Rect box;                                      // latest detected box
  std::optional<FaceAnalysis> analysis;          // when StreamOptions::analyze asks for it
};

struct FrameResult {
  std::int64_t index = 0;  // frame number in the source, from 0 (dropped frames leave gaps)
  double time_s = 0;       // file position, or seconds since opening for live sources
  cv::Mat frame;           // the decoded frame, BGR as OpenCV reads it
  bool detected = false;   // detection ran on this frame
  std::vector<TrackedFace> faces;  // active tracks (stable, and tentative ones detected on this frame)
  std::vector<TrackEvent> events;  // what changed on this frame
};

struct StageTime {
  std::string stage;     // decode, detect, track, embed, search, analyze
  double total_ms = 0;   // busy time of the stage (stages overlap, so totals exceed the wall time)
  std::int64_t calls = 0;  // frames, or faces for embed and search
};

struct StreamReport {
  std::string source, source_kind;  // file | camera | url
  int width = 0, height = 0;
  double source_fps = 0;
  std::int64_t source_frames = 0;  // as the container announces; 0 when unknown (live sources)
  std::int64_t frames = 0;         // processed
  std::int64_t dropped = 0;        // live sources only
  std::int64_t detections = 0, tracks = 0, identity_switches = 0, embeddings = 0;
  double wall_s = 0, fps = 0;      // processed frames per second of wall time, end to end
  std::vector<StageTime> stages;
  std::string end_reason;          // "end of stream", "cancelled", "max frames", or what went wrong
  bool complete = true;            // false when a file ended before its announced frame count
};

class VideoStream {
 public:
  // Opens the source (first frame decoded) and the gallery, loads the models, starts the decode
  // and detect threads. Throws Error: FileNotFound for a missing file, DecodeFailed for a file or URL
  // that is not a readable video or a camera that cannot be opened, InvalidArgument for bad options.
  explicit VideoStream(StreamOptions options);
  ~VideoStream();
  VideoStream(const VideoStream&) = delete;
  VideoStream& operator=(const VideoStream&) = delete;

  // The next processed frame; nullopt at the end (end of stream, read error, cancel, max_frames).
  // A decoding error mid-stream ends the stream cleanly; see StreamReport::end_reason.
  std::optional<FrameResult> next();
  // Ends every live track (their "end" events are returned) and stops the threads.
  std::vector<TrackEvent> close();
  StreamReport report() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The whole stream through callbacks; returns the report. Either callback may be empty.
StreamReport run_stream(const StreamOptions& options, const std::function<void(const FrameResult&)>& on_frame,
                        const std::function<void(const TrackEvent&)>& on_event);

// Draws boxes, track ids, identities and a status line (fps, frame) onto a BGR frame.
void draw_tracks(cv::Mat& bgr, const FrameResult& result, double fps);

void to_json(nlohmann::json& j, const TrackedFace& f);
void to_json(nlohmann::json& j, const TrackEvent& e);
void to_json(nlohmann::json& j, const StreamReport& r);

}  // namespace facekit
