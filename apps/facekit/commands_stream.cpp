// `facekit stream`: recognise and track faces in a video file, a camera or a URL.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/videoio.hpp>

#include "commands.hpp"
#include "facekit/runtime.hpp"
#include "facekit/video.hpp"
#include "video/bounded_queue.hpp"

namespace fs = std::filesystem;

namespace facekit::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
}

struct StreamCliOptions {
  StreamOptions stream;
  std::string out, events, analyze;
  bool show = false, json = false, no_drop = false, drop = false;
  // One engine thread: decode, detect and recognition already run side by side, and two BLAS pools
  // spinning on two cores slow both (hamilton: 44.6 fps with 1, 33.2 with 2).
  int threads = 1;
};

// Encodes the annotated frames on its own thread so that writing does not hold up tracking.
class AnnotatedWriter {
 public:
  AnnotatedWriter(const std::string& path, double fps) : path_(path), fps_(fps > 0 ? fps : 25) {
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".avi")
      fourcc_ = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
    else if (ext == ".mp4" || ext == ".m4v" || ext == ".mov")
      fourcc_ = cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    else
      throw Error(ErrorCode::InvalidArgument, path + ": --out must end in .mp4, .m4v, .mov or .avi");
  }
  ~AnnotatedWriter() { finish(); }

  void write(cv::Mat frame) {
    if (!thread_.joinable()) {
      if (!writer_.open(path_, cv::CAP_FFMPEG, fourcc_, fps_, frame.size()) &&
          !writer_.open(path_, fourcc_, fps_, frame.size()))
        throw Error(ErrorCode::FileNotFound, path_ + ": cannot write a video here (folder missing or codec unavailable)");
      thread_ = std::thread([this] {
        while (auto f = queue_.pop()) writer_.write(*f);
      });
    }
    queue_.push(std::move(frame));
  }
  void finish() {
    queue_.close();
    if (thread_.joinable()) thread_.join();
    writer_.release();
  }

 private:
  std::string path_;
  double fps_;
  int fourcc_ = 0;
  cv::VideoWriter writer_;
  video::BoundedQueue<cv::Mat> queue_{8};
  std::thread thread_;
};

bool display_available() { return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY"); }

void print_summary(std::ostream& out, const StreamReport& r) {
  out << r.source << " (" << r.source_kind << ", " << r.width << "x" << r.height << "): " << r.frames << " frames";
  if (r.dropped) out << ", " << r.dropped << " dropped";
  out << std::fixed << std::setprecision(2) << " in " << r.wall_s << " s = " << r.fps << " fps end to end\n";
  out << "  " << r.tracks << " track(s), " << r.embeddings << " embedding(s), " << r.identity_switches
      << " identity switch(es); " << r.end_reason << "\n";
  out << "  stage     ms/frame   ms/call    calls   (stages overlap on their own threads)\n";
  for (const auto& s : r.stages) {
    out << "  " << std::left << std::setw(8) << s.stage << std::right << std::setw(10)
        << (r.frames ? s.total_ms / double(r.frames) : 0.0) << std::setw(10) << (s.calls ? s.total_ms / double(s.calls) : 0.0)
        << std::setw(9) << s.calls << "\n";
  }
}

int run_stream_command(StreamCliOptions& o) {
  for (std::size_t start = 0; start < o.analyze.size();) {  // "age,gender,emotion"
    const std::size_t comma = std::min(o.analyze.find(',', start), o.analyze.size());
    if (comma > start) o.stream.analyze.push_back(o.analyze.substr(start, comma - start));
    start = comma + 1;
  }
  if (o.drop && o.no_drop) throw Error(ErrorCode::InvalidArgument, "--drop and --no-drop exclude each other");
  if (o.drop) o.stream.drop_frames = true;
  if (o.no_drop) o.stream.drop_frames = false;
  set_num_threads(o.threads);
  // OpenCV's own warnings ("can't open camera by index") repeat what the error below says.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  if (o.show && !display_available()) {
    std::cerr << "facekit: no display (DISPLAY/WAYLAND_DISPLAY unset): --show ignored\n";
    o.show = false;
  }

  g_stop = false;
  o.stream.cancel = &g_stop;
  struct sigaction sa {}, saved {};
  sa.sa_handler = on_interrupt;
  ::sigaction(SIGINT, &sa, &saved);
  struct RestoreSignal {
    struct sigaction saved;
    ~RestoreSignal() { ::sigaction(SIGINT, &saved, nullptr); }
  } restore{saved};

  VideoStream stream(o.stream);
  const StreamReport opened = stream.report();
  std::unique_ptr<AnnotatedWriter> writer;
  if (!o.out.empty()) writer = std::make_unique<AnnotatedWriter>(o.out, opened.source_fps);
  std::ofstream events_file;
  const bool events_to_stdout = o.events == "-";
  if (!o.events.empty() && !events_to_stdout) {
    events_file.open(o.events);
    if (!events_file) throw Error(ErrorCode::FileNotFound, o.events + ": cannot write the events file");
  }
  std::ostream* events = events_to_stdout ? &std::cout : (events_file.is_open() ? &events_file : nullptr);
  auto emit = [&](const std::vector<TrackEvent>& list) {
    if (!events) return;
    for (const auto& e : list) *events << nlohmann::json(e).dump() << "\n";
    events->flush();  // a live stream is read while it runs
  };

  const auto started = std::chrono::steady_clock::now();
  std::int64_t frames = 0;
  while (auto frame = stream.next()) {
    emit(frame->events);
    ++frames;
    if (!writer && !o.show) continue;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    draw_tracks(frame->frame, *frame, elapsed > 0 ? double(frames) / elapsed : 0);
    if (o.show) {
      cv::imshow("facekit stream", frame->frame);
      const int key = cv::waitKey(1);
      if (key == 'q' || key == 27) g_stop = true;
    }
    if (writer) writer->write(std::move(frame->frame));
  }
  emit(stream.close());
  if (writer) writer->finish();
  const StreamReport report = stream.report();
  std::ostream& summary = events_to_stdout ? std::cerr : std::cout;
  if (o.json)
    summary << nlohmann::json(report).dump(2) << "\n";
  else
    print_summary(summary, report);
  if (report.end_reason == "cancelled" && g_stop) return 130;
  return 0;
}

}  // namespace

void add_stream_commands(CLI::App& app, CommandList& commands) {
  auto* cmd = app.add_subcommand("stream", "recognise and track faces in a video file, camera or URL");
  auto o = std::make_shared<StreamCliOptions>();
  StreamOptions& s = o->stream;
  cmd->add_option("--source", s.source, "video file, camera index (0 = /dev/video0) or URL (rtsp://, http://)")
      ->required();
  cmd->add_option("--gallery", s.gallery, "gallery to identify faces against (without: track only)");
  cmd->add_option("--detector", s.pipeline.detector, "face detector (NAME[:key=value,...])")->capture_default_str();
  cmd->add_option("--model", s.pipeline.model, "embedding model (as the gallery was enrolled with)")
      ->capture_default_str();
  cmd->add_option("--align", s.pipeline.align, "alignment")->capture_default_str();
  cmd->add_option("--landmarker", s.pipeline.landmarker, "68-point landmark model")->capture_default_str();
  cmd->add_option("--every", s.detect_every, "detect on every Nth frame (the tracker predicts between)")
      ->capture_default_str();
  cmd->add_option("--detect-size", s.detect_max_side,
                  "detect on a copy of the frame with this long side (0 = full resolution)")
      ->capture_default_str();
  cmd->add_option("--recheck", s.recheck_every, "frames between re-embeddings of a track")->capture_default_str();
  cmd->add_option("--initial-votes", s.initial_votes, "verdicts a new track gathers on consecutive frames")
      ->capture_default_str();
  cmd->add_option("--votes", s.max_votes, "latest verdicts a track's identity is the majority of")->capture_default_str();
  cmd->add_option("--min-hits", s.tracker.min_hits, "detections before a track is stable")->capture_default_str();
  cmd->add_option("--max-missed", s.tracker.max_missed, "detection rounds a track survives unseen")
      ->capture_default_str();
  cmd->add_option("--iou", s.tracker.iou_threshold, "least IoU to continue a track")->capture_default_str();
  cmd->add_option("--metric", s.metric, "cosine, euclidean, euclidean_l2, angular")->capture_default_str();
  cmd->add_option_function<double>("--threshold", [o](double v) { o->stream.threshold = v; },
                                   "distance threshold (default: the model's)");
  cmd->add_option("--index", s.index, "gallery index: exact | hnsw[:...]")->capture_default_str();
  cmd->add_option("--out", o->out, "write an annotated video (.mp4, .avi)");
  cmd->add_option("--events", o->events, "write one JSON line per track event to this file (- = stdout)");
  cmd->add_option("--analyze", o->analyze, "per track, once: age,gender,emotion,race,spoof (any of them)");
  cmd->add_flag("--show", o->show, "show the annotated video in a window (when a display exists)");
  cmd->add_option("--max-frames", s.max_frames, "stop after this many frames (0 = all)");
  cmd->add_flag("--drop", o->drop, "drop frames when behind (default for cameras and URLs)");
  cmd->add_flag("--no-drop", o->no_drop, "never drop frames (default for files)");
  cmd->add_option("--queue", s.queue_capacity, "frames waiting between stages")->capture_default_str();
  cmd->add_option("--timeout", s.open_timeout_ms, "ms to wait for a URL or camera to open")->capture_default_str();
  cmd->add_option("--read-timeout", s.read_timeout_ms, "ms to wait for a frame from a URL")->capture_default_str();
  cmd->add_option("--threads", o->threads, "engine threads per stage (0 = all cores)")->capture_default_str();
  cmd->add_flag("--json", o->json, "summary as JSON");
  commands.push_back({cmd, [o] { return run_stream_command(*o); }});
}

}  // namespace facekit::cli
