#include "video/track_identity.hpp"

#include <map>

namespace facekit::video {

void TrackIdentity::add(Vote vote) {
  votes_.push_back(std::move(vote));
  while (votes_.size() > static_cast<std::size_t>(max_votes_)) votes_.pop_front();
}

IdentityDecision TrackIdentity::decision() const {
  struct Tally {
    int count = 0;
    double distance = 0, confidence = 0;
  };
  std::map<std::string, Tally> tallies;
  for (const Vote& v : votes_) {
    Tally& t = tallies[v.identity];
    ++t.count;
    t.distance += v.distance;
    t.confidence += v.confidence;
  }
  IdentityDecision best;
  best.total_votes = static_cast<int>(votes_.size());
  for (const auto& [identity, t] : tallies) {
    const double mean_distance = t.distance / t.count;
    if (t.count > best.votes || (t.count == best.votes && mean_distance < best.distance)) {
      best.identity = identity;
      best.votes = t.count;
      best.distance = mean_distance;
      best.confidence = t.confidence / t.count;
    }
  }
  return best;
}

}  // namespace facekit::video
