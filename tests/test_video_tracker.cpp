// The video pipeline's parts on synthetic input: Kalman box filter, SORT-style tracker, per-track
// identity votes and the bounded queue between stages. Expected values come from the motion that
// generated the boxes (constant velocity), not from facekit's own output.
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "video/bounded_queue.hpp"
#include "video/track_identity.hpp"
#include "video/tracker.hpp"

using namespace facekit;
using namespace facekit::video;

namespace {

Detection face_at(double x, double y, double size) {
  Detection d;
  d.box = {x, y, size, size};
  d.score = 0.9f;
  return d;
}

}  // namespace

TEST(VideoKalman, LearnsConstantVelocityAndExtrapolates) {
  // A box moving 3 px/frame right and 1 px/frame down: after a few frames the filter's prediction
  // for the next frame is the true next position.
  BoxFilter filter({100, 50, 80, 80});
  for (int t = 1; t <= 30; ++t) {
    filter.predict();
    filter.correct({100 + 3.0 * t, 50 + 1.0 * t, 80, 80});
  }
  const Rect next = filter.predict();
  EXPECT_NEAR(next.x, 100 + 3.0 * 31, 0.5);
  EXPECT_NEAR(next.y, 50 + 1.0 * 31, 0.5);
  EXPECT_NEAR(next.width, 80, 0.5);
  // Five frames without measurement: the motion continues.
  Rect later = next;
  for (int k = 0; k < 5; ++k) later = filter.predict();
  EXPECT_NEAR(later.x, 100 + 3.0 * 36, 1.5);
  EXPECT_NEAR(later.y, 50 + 1.0 * 36, 1.5);
}

TEST(VideoTracker, OneMovingFaceKeepsOneIdAcrossMissedDetections) {
  TrackerOptions options;
  options.min_hits = 3;
  options.max_missed = 4;
  Tracker tracker(options);
  int id = -1;
  for (int t = 0; t < 40; ++t) {
    const std::vector<Detection> dets{face_at(50 + 4.0 * t, 60, 90)};
    // Frames 20..22 have no detection of the face (occlusion): the track must survive them.
    const bool seen = t < 20 || t > 22;
    const std::vector<Detection> none;
    auto ended = tracker.update(t, t / 25.0, seen ? &dets : &none);
    EXPECT_TRUE(ended.empty()) << "frame " << t;
    ASSERT_EQ(tracker.active().size(), 1u);
    const Track& track = tracker.active().front();
    EXPECT_EQ(track.stable, t >= 2) << "frame " << t;  // three consecutive hits: frames 0, 1, 2
    if (t == 2) id = track.id;
    if (t >= 2) {
      EXPECT_EQ(track.id, id) << "frame " << t;
    }
    EXPECT_EQ(track.detected, seen);
    if (!seen) {
      EXPECT_NEAR(track.box.x, 50 + 4.0 * t, 2.0) << "prediction at frame " << t;
    }
  }
  EXPECT_EQ(id, 1);
  EXPECT_EQ(tracker.active().front().first_frame, 0);
  EXPECT_EQ(tracker.active().front().last_frame, 39);
}

TEST(VideoTracker, StableTrackEndsAfterMaxMissedRoundsAndTentativeAfterOne) {
  TrackerOptions options;
  options.min_hits = 2;
  options.max_missed = 3;
  Tracker tracker(options);
  const std::vector<Detection> face{face_at(10, 10, 50)}, none;
  tracker.update(0, 0, &face);
  tracker.update(1, 0, &face);
  ASSERT_TRUE(tracker.active().front().stable);
  // Predict-only frames (no detection round) never count as misses.
  for (int t = 2; t < 10; ++t) EXPECT_TRUE(tracker.update(t, 0, nullptr).empty());
  for (int t = 10; t < 13; ++t) EXPECT_TRUE(tracker.update(t, 0, &none).empty()) << "miss " << t - 9;
  auto ended = tracker.update(13, 0, &none);  // fourth missed round > max_missed
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended.front().id, 1);
  EXPECT_EQ(ended.front().last_frame, 1);
  // A detection seen once, then gone, never becomes a track.
  tracker.update(14, 0, &face);
  ended = tracker.update(15, 0, &none);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_FALSE(ended.front().stable);
  EXPECT_TRUE(tracker.active().empty());
}

TEST(VideoTracker, TwoFacesPassingCloseKeepTheirIds) {
  // Two faces on parallel paths 100 px apart vertically, one moving right, one left: their boxes
  // never overlap by IoU, so ids must not swap, whatever order the detector lists them in.
  Tracker tracker(TrackerOptions{});
  for (int t = 0; t < 60; ++t) {
    std::vector<Detection> dets{face_at(20 + 5.0 * t, 40, 70), face_at(320 - 5.0 * t, 140, 70)};
    if (t % 2) std::swap(dets[0], dets[1]);
    tracker.update(t, 0, &dets);
    if (t < 1) continue;
    ASSERT_EQ(tracker.active().size(), 2u);
    for (const Track& track : tracker.active()) {
      ASSERT_TRUE(track.stable);
      const bool top = track.box.y < 90;
      EXPECT_EQ(track.id, top ? 1 : 2) << "frame " << t;
    }
  }
}

TEST(VideoTracker, RejectsBadOptions) {
  EXPECT_THROW(Tracker(TrackerOptions{0.0, 2, 8}), Error);
  EXPECT_THROW(Tracker(TrackerOptions{0.3, 0, 8}), Error);
  EXPECT_THROW(Tracker(TrackerOptions{0.3, 2, -1}), Error);
}

TEST(VideoTrackIdentity, MajorityOfTheLatestVotesTiesToTheCloser) {
  TrackIdentity identity(4);
  EXPECT_TRUE(identity.decision().identity.empty());
  identity.add({"ann", 0.40, 90});
  identity.add({"bob", 0.30, 95});
  auto d = identity.decision();  // 1:1, bob is closer
  EXPECT_EQ(d.identity, "bob");
  identity.add({"ann", 0.50, 80});
  d = identity.decision();
  EXPECT_EQ(d.identity, "ann");
  EXPECT_EQ(d.votes, 2);
  EXPECT_EQ(d.total_votes, 3);
  EXPECT_DOUBLE_EQ(d.distance, 0.45);
  EXPECT_DOUBLE_EQ(d.confidence, 85);
  // Only the latest 4 count: three "unknown" votes push out the first "ann".
  for (int i = 0; i < 3; ++i) identity.add({"unknown", 0.7, 60});
  d = identity.decision();
  EXPECT_EQ(d.identity, "unknown");
  EXPECT_EQ(d.votes, 3);
  EXPECT_EQ(d.total_votes, 4);
}

TEST(VideoBoundedQueue, BlocksWhenFullDropsOldestWhenAskedDrainsAfterClose) {
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.push(1));
  EXPECT_TRUE(q.push(2));
  EXPECT_EQ(q.push_dropping_oldest(3), 1);  // 1 is dropped
  EXPECT_EQ(*q.pop(), 2);
  EXPECT_EQ(*q.pop(), 3);
  // A full queue blocks the producer until the consumer pops.
  EXPECT_TRUE(q.push(4));
  EXPECT_TRUE(q.push(5));
  std::thread producer([&] { EXPECT_TRUE(q.push(6)); });
  EXPECT_EQ(*q.pop(), 4);
  producer.join();
  q.close();
  EXPECT_FALSE(q.push(7));
  EXPECT_EQ(q.push_dropping_oldest(8), -1);
  EXPECT_EQ(*q.pop(), 5);
  EXPECT_EQ(*q.pop(), 6);
  EXPECT_FALSE(q.pop().has_value());
}
