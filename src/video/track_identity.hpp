// A track's identity from several per-embedding verdicts: the most frequent label among the latest
// `max_votes` (ties: the lower mean distance), so one bad frame (blur, profile, occlusion) does not
// rename a person, while a real change (two people swapped boxes) wins after a few re-checks.
#pragma once
#include <deque>
#include <string>

namespace facekit::video {

struct Vote {
  std::string identity;  // "unknown" when no gallery face is within the threshold
  double distance = 0;
  double confidence = 0;
};

struct IdentityDecision {
  std::string identity;  // empty before the first vote
  double distance = 0, confidence = 0;  // means over the votes for `identity`
  int votes = 0, total_votes = 0;
};

class TrackIdentity {
 public:
  explicit TrackIdentity(int max_votes) : max_votes_(max_votes < 1 ? 1 : max_votes) {}
  void add(Vote vote);
  IdentityDecision decision() const;

 private:
  int max_votes_;
  std::deque<Vote> votes_;
};

}  // namespace facekit::video
