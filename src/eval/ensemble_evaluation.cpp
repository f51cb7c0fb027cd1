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

NestedEvaluation nested_k_fold(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs) {
  std::set<int> folds;
  for (const auto& p : pairs) folds.insert(p.fold);
  if (folds.size() < 2) throw Error(ErrorCode::InvalidArgument, "ensemble evaluation needs at least two folds");
  NestedEvaluation r;
  r.scored.resize(pairs.size());
  std::vector<FoldResult> results;
  for (int fold : folds) {
    const EnsembleCombiner combiner = fit_excluding(members, pairs, fold);
    std::vector<ScoredPair> train, test;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const ScoredPair s{1.0 - combiner.probability_same(pairs[i].distances), pairs[i].same, pairs[i].fold};
      if (pairs[i].fold == fold) {
        test.push_back(s);
        r.scored[i] = s;
      } else {
        train.push_back(s);
      }
    }
    FoldResult f;
    f.fold = fold;
    f.threshold = best_threshold(train);
    f.test = count_at(test, f.threshold);
    results.push_back(f);
  }
  r.folds = summarise_folds(std::move(results));
  return r;
}

EnsembleCombiner fit_on_all(const std::vector<EnsembleMember>& members, const std::vector<EnsemblePair>& pairs) {
  return fit_excluding(members, pairs, -1);
}

}  // namespace facekit::eval
