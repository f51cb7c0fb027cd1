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

// The 10-fold protocol for a learned combiner: for each fold, the combiner and the threshold on its
// 1 - P(same) are both fitted on the other folds only (the threshold on that combiner's own scores of
// them), then applied to the fold. `scored`: each pair's 1 - P(same) from its fold's combiner, on the
// scale of that fold's threshold.
struct NestedEvaluation {
  std::vector<ScoredPair> scored;
  KFoldResult folds;
};
NestedEvaluation nested_k_fold(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs);

EnsembleCombiner fit_on_all(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs);

}  // namespace facekit::eval
