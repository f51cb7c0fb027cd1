// The ensemble verifier (the seed's "grandmaster model"): several embedders each give a distance for a
// pair, and a logistic regression over those distances gives P(same). Trained by `facekit eval pairs
// --model ensemble` with the 10-fold protocol (each pair is scored by a combiner that never saw its
// fold); the combiner fitted on all pairs ships as a small versioned JSON file (models/ensemble/).
#pragma once
#include <string>
#include <vector>

#include "verify/distance.hpp"

namespace facekit {

struct EnsembleMember {
  std::string model;   // embedder spec, run with the default detector and its own alignment
  Metric metric = Metric::Cosine;
};

class EnsembleCombiner {
 public:
  // Newton's method on the L2-regularised log-likelihood; features are standardised first, so the
  // penalty treats every member alike. rows[i] holds one distance per member.
  static EnsembleCombiner fit(const std::vector<EnsembleMember>& members, const std::vector<std::vector<double>>& rows,
                              const std::vector<bool>& same, double l2 = 1e-3);
  static EnsembleCombiner load(const std::string& path);  // throws with the file and what is wrong
  void save(const std::string& path, const std::string& trained_on) const;

  double probability_same(const std::vector<double>& distances) const;
  const std::vector<EnsembleMember>& members() const { return members_; }
  const std::vector<double>& weights() const { return weights_; }

  static constexpr int kFormatVersion = 1;

 private:
  std::vector<EnsembleMember> members_;
  std::vector<double> mean_, scale_;  // standardisation of each distance
  std::vector<double> weights_;       // per standardised distance
  double bias_ = 0;
};

// "faceapi-resnet:cosine,faceres:cosine" (metric optional, default cosine).
std::vector<EnsembleMember> parse_ensemble_members(const std::string& spec);
std::string ensemble_members_spec(const std::vector<EnsembleMember>& members);

}  // namespace facekit
