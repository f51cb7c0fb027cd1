#include "eval/ensemble_evaluation.hpp"

#include <set>

#include "facekit/error.hpp"

namespace facekit::eval {
namespace {

EnsembleCombiner fit_excluding(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs,
                               int excluded_fold) {
  std::vector<std::vector<double>> rows;
  std::vector<bool> same;
  for (const auto& p : pairs) {
    if (p.fold == excluded_fold) continue;
    rows.push_back(p.distances);
    same.push_back(p.same);
  }
  return EnsembleCombiner::fit(members, rows, same);
}

}  // namespace

std::vector<ScoredPair> out_of_fold_scores(const std::vector<EnsembleMember>& members,
                                           const std::vector<EnsemblePair>& pairs) {
  std::set<int> folds;
  for (const auto& p : pairs) folds.insert(p.fold);
  if (folds.size() < 2) throw Error(ErrorCode::InvalidArgument, "ensemble evaluation needs at least two folds");
  std::vector<ScoredPair> scored(pairs.size());
  for (int fold : folds) {
    const EnsembleCombiner combiner = fit_excluding(members, pairs, fold);
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (pairs[i].fold == fold)
        scored[i] = {1.0 - combiner.probability_same(pairs[i].distances), pairs[i].same, fold};
  }
  return scored;
}

EnsembleCombiner fit_on_all(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs) {
  return fit_excluding(members, pairs, -1);
}

}  // namespace facekit::eval
