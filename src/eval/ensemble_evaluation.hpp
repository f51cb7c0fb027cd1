// Cross-validated scores for the ensemble: each pair's P(same) comes from a combiner fitted on the
// other folds only, so no pair is scored by a model that saw it (the accuracy issue's rule).
#pragma once
#include <vector>

#include "eval/pair_evaluation.hpp"
#include "verify/ensemble.hpp"

namespace facekit::eval {

struct EnsemblePair {
  std::vector<double> distances;  // one per member
  bool same = false;
  int fold = 0;
};

// ScoredPair::distance = 1 - P(same) from the combiner trained without the pair's fold.
std::vector<ScoredPair> out_of_fold_scores(const std::vector<EnsembleMember>& members,
                                           const std::vector<EnsemblePair>& pairs);

EnsembleCombiner fit_on_all(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs);

}  // namespace facekit::eval
