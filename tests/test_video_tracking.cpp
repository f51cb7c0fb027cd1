// Tracking quality on the hamilton clip (issue acceptance): the faces of one frame are enrolled in a
// gallery; the reference detects, embeds and labels every face of every frame against it; the tracked
// stream, which embeds each track only now and then, must give the same label on >= 95% of the
// reference's face-frames (a face-frame the stream has no stable track for counts as a disagreement).
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/pipeline.hpp"
#include "facekit/gallery.hpp"
#include "facekit/video.hpp"
#include "gallery/gallery_store.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit;

namespace {

struct LabelledBox {
  Rect box;
  std::string label;
};

fs::path hamilton() { return test::shared_dir() / "data/faces/face_recognition/examples/short_hamilton_clip.mp4"; }

// Calls `each(index, rgb)` for every frame of the clip, read as the stream reads it (FFmpeg).
template <typename Each>
void for_each_frame(const fs::path& clip, Each each) {
  cv::VideoCapture capture(clip.string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(capture.isOpened());
  cv::Mat bgr, rgb;
  for (int i = 0; capture.read(bgr); ++i) {
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    if (!each(i, rgb)) break;
  }
}

std::vector<PipelineFace> faces_in(Pipeline& pipeline, const cv::Mat& rgb) {
  try {
    return pipeline.run(rgb, "frame", true);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::NoFace) throw;
    return {};
  }
}

}  // namespace

TEST(VideoTracking, HamiltonTrackedStreamAgreesWithPerFrameRecognition) {
  FACEKIT_REQUIRE_SHARED_DIR();
  ASSERT_TRUE(fs::exists(hamilton()));
  PipelineOptions options;  // the defaults: dlib-hog:upsample=0, dlib68, 5-point chip, faceapi-resnet
  Pipeline pipeline(options);

  // 1. Every face of every frame: detected and embedded once, labelled after enrolment.
  struct FrameFaces {
    std::vector<PipelineFace> faces;
    cv::Size size;
  };
  std::vector<FrameFaces> frames;
  for_each_frame(hamilton(), [&](int, const cv::Mat& rgb) {
    frames.push_back({faces_in(pipeline, rgb), rgb.size()});
    return true;
  });
  ASSERT_EQ(frames.size(), 275u);

  // 2. Enrol the faces of one frame, one identity each: the frame showing the largest face (the
  //    closest, most detailed view, as one would pick an enrolment photo).
  int enrolled_frame = -1;
  double largest = 0;
  for (std::size_t i = 0; i < frames.size(); ++i)
    for (const auto& f : frames[i].faces)
      if (f.region.detection.box.area() > largest) largest = f.region.detection.box.area(), enrolled_frame = int(i);
  ASSERT_GE(enrolled_frame, 0) << "no face in the clip";
  const auto dir = test::temp_dir("video_tracking");
  const std::string gallery_path = (dir / "hamilton.gallery").string();
  std::vector<Enrollment> batch;
  const auto& enrol = frames[std::size_t(enrolled_frame)];
  for (std::size_t i = 0; i < enrol.faces.size(); ++i) {
    Enrollment e;
    e.identity = "person" + std::to_string(i);
    e.source = {"frame" + std::to_string(enrolled_frame) + "_face" + std::to_string(i), "hash" + std::to_string(i), 0, 0};
    e.detector = options.detector;
    e.alignment = "5point";
    NewFace f;
    f.embedding = enrol.faces[i].embedding;
    f.box = facial_area_of(enrol.faces[i], enrol.size);
    e.faces.push_back(std::move(f));
    batch.push_back(std::move(e));
  }
  {
    Gallery gallery = Gallery::create(gallery_path);
    gallery.store().add(embedding_space(options.model, int(batch.front().faces.front().embedding.size())), batch);
  }

  // 3. Reference labels: each face on its own, against that gallery.
  Gallery gallery = Gallery::open(gallery_path);
  FindOptions find;
  find.pipeline = options;
  find.k = 1;
  std::vector<std::vector<LabelledBox>> reference;
  for (const auto& frame : frames) {
    std::vector<LabelledBox> labelled;
    for (const auto& face : frame.faces) {
      FaceInput probe;
      probe.embeddings = {face.embedding};
      const auto found = gallery.find(probe, find);
      std::string label = "unknown";
      if (!found.empty() && !found[0].matches.empty() && found[0].matches[0].verified)
        label = found[0].matches[0].identity;
      labelled.push_back({face.region.detection.box, label});
    }
    reference.push_back(std::move(labelled));
  }
  ASSERT_EQ(reference.size(), 275u);

  // 4. The tracked stream with the same detector, model and gallery.
  StreamOptions stream;
  stream.source = hamilton().string();
  stream.pipeline = options;
  stream.gallery = gallery_path;
  std::map<std::int64_t, std::vector<TrackedFace>> tracked;
  std::vector<TrackEvent> events;
  const StreamReport report = run_stream(
      stream, [&](const FrameResult& f) { tracked[f.index] = f.faces; },
      [&](const TrackEvent& e) { events.push_back(e); });
  ASSERT_EQ(report.frames, 275);
  EXPECT_TRUE(report.complete);

  // 5. Agreement on the reference's face-frames.
  std::size_t face_frames = 0, agree = 0, unmatched = 0;
  std::map<std::string, std::size_t> reference_labels;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    for (const auto& ref : reference[i]) {
      ++face_frames;
      ++reference_labels[ref.label];
      const TrackedFace* best = nullptr;
      double best_iou = 0.5;
      for (const auto& f : tracked[std::int64_t(i)])
        if (f.stable && iou(f.box, ref.box) >= best_iou) best_iou = iou(f.box, ref.box), best = &f;
      if (!best) {
        ++unmatched;
        continue;
      }
      if ((best->identity.empty() ? "unknown" : best->identity) == ref.label) ++agree;
    }
  }
  ASSERT_GT(face_frames, 100u);
  const double agreement = double(agree) / double(face_frames);
  std::size_t starts = 0;
  for (const auto& e : events) starts += e.kind == "start";
  std::cout << "enrolled frame " << enrolled_frame << " (" << batch.size() << " faces); " << face_frames
            << " reference face-frames";
  for (const auto& [label, n] : reference_labels) std::cout << ", " << label << " " << n;
  std::cout << "\nagreement " << agreement * 100 << "% (" << agree << "), no stable track " << unmatched << "; "
            << starts << " tracks, " << report.identity_switches << " identity switches, " << report.embeddings
            << " embeddings for " << face_frames << " face-frames\n";
  EXPECT_GE(agreement, 0.95);
  // The stream embeds a track only now and then: far fewer embeddings than face-frames.
  EXPECT_LT(report.embeddings * 3, std::int64_t(face_frames));
  // Every track that started also ended, with an identity and the frames it covered.
  std::size_t ends = 0;
  for (const auto& e : events) {
    if (e.kind != "end") continue;
    ++ends;
    EXPECT_LE(e.first_frame, e.last_frame);
    EXPECT_LE(e.t_start, e.t_end);
    EXPECT_FALSE(e.identity.empty());
  }
  EXPECT_EQ(starts, ends);
}

TEST(VideoTracking, AnalyzeDescribesEachTrackOnce) {
  FACEKIT_REQUIRE_SHARED_DIR();
  StreamOptions stream;
  stream.source = hamilton().string();
  stream.max_frames = 130;  // the first two tracks of the clip
  stream.analyze = {"age", "gender"};
  std::vector<TrackEvent> starts;
  const StreamReport report =
      run_stream(stream, nullptr, [&](const TrackEvent& e) { if (e.kind == "start") starts.push_back(e); });
  ASSERT_FALSE(starts.empty());
  for (const auto& e : starts) {
    ASSERT_TRUE(e.analysis.has_value()) << "track " << e.track_id;
    ASSERT_TRUE(e.analysis->age.has_value());
    EXPECT_GT(*e.analysis->age, 0);
    EXPECT_LT(*e.analysis->age, 120);
    ASSERT_EQ(e.analysis->gender.size(), 2u);
    EXPECT_NEAR(e.analysis->gender[0].second + e.analysis->gender[1].second, 100, 0.01);  // percentages
  }
  std::int64_t analysed = 0;
  for (const auto& s : report.stages)
    if (s.stage == "analyze") analysed = s.calls;
  EXPECT_EQ(analysed, report.tracks);  // once per track, not per frame
}
