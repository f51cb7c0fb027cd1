// The evaluation protocol on cases small enough to work out by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "eval/pair_evaluation.hpp"

using namespace facekit::eval;

namespace {
ScoredPair P(double d, bool same, int fold = 0) { return {d, same, fold}; }
}  // namespace

TEST(PairEvaluation, CountsAndRates) {
  // Threshold 0.5 accepts 0.1 (same: TP), 0.4 (different: FP); rejects 0.6 (same: FN), 0.9 (different: TN).
  const std::vector<ScoredPair> pairs = {P(0.1, true), P(0.4, false), P(0.6, true), P(0.9, false)};
  const Counts c = count_at(pairs, 0.5);
  EXPECT_EQ(c.tp, 1);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.tn, 1);
  EXPECT_DOUBLE_EQ(c.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(c.precision(), 0.5);
  EXPECT_DOUBLE_EQ(c.recall(), 0.5);
  EXPECT_DOUBLE_EQ(c.f1(), 0.5);
}

TEST(PairEvaluation, BestThresholdIsTheMidpointOfTheSeparatingGap) {
  // Same pairs at 0.1, 0.2, 0.3; different at 0.7, 0.8: any threshold in (0.3, 0.7) is perfect.
  const std::vector<ScoredPair> pairs = {P(0.2, true), P(0.8, false), P(0.1, true), P(0.7, false), P(0.3, true)};
  EXPECT_DOUBLE_EQ(best_threshold(pairs), 0.5);
  // One different pair at 0.25 inside the same cluster: accepting up to 0.2 or up to 0.3 both get 5 of 6
  // right; ties go to the smaller threshold, the midpoint of 0.2 and 0.25.
  std::vector<ScoredPair> mixed = pairs;
  mixed.push_back(P(0.25, false));
  EXPECT_DOUBLE_EQ(best_threshold(mixed), 0.225);
}

TEST(PairEvaluation, TenFoldChoosesEachThresholdWithoutTheTestFold) {
  // Fold 0's test pairs would want a threshold near 0.9, but the threshold is chosen on fold 1 alone,
  // whose gap is (0.2, 0.4) -> 0.3; so fold 0 scores 1 of 2, fold 1 (threshold from fold 0: 0.85) 1 of 2.
  const std::vector<ScoredPair> pairs = {P(0.8, true, 0), P(0.9, false, 0), P(0.2, true, 1), P(0.4, false, 1)};
  const KFoldResult r = k_fold(pairs);
  ASSERT_EQ(r.folds.size(), 2u);
  EXPECT_DOUBLE_EQ(r.folds[0].threshold, 0.3);
  EXPECT_DOUBLE_EQ(r.folds[1].threshold, 0.85);
  EXPECT_DOUBLE_EQ(r.folds[0].test.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(r.folds[1].test.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(r.mean_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(r.std_accuracy, 0.0);
}

TEST(PairEvaluation, RocOfAPerfectAndOfAnInvertedScorer) {
  const RocSummary perfect = roc({P(0.1, true), P(0.2, true), P(0.8, false), P(0.9, false)});
  EXPECT_DOUBLE_EQ(perfect.auc, 1.0);
  EXPECT_DOUBLE_EQ(perfect.eer, 0.0);
  EXPECT_DOUBLE_EQ(perfect.tar_at_far_1e3, 1.0);
  const RocSummary inverted = roc({P(0.9, true), P(0.8, true), P(0.2, false), P(0.1, false)});
  EXPECT_DOUBLE_EQ(inverted.auc, 0.0);
  EXPECT_DOUBLE_EQ(inverted.eer, 1.0);
}

TEST(PairEvaluation, RocOfOneSwappedPair) {
  // Order by distance: S, D, S, D. Curve (FAR, TAR): (0,0) (0,.5) (.5,.5) (.5,1) (1,1): AUC = 0.75.
  // FRR - FAR along it: 1, .5, 0 at (.5,.5): EER = 0.5. TAR at FAR <= 1e-2: 0.5.
  const RocSummary r = roc({P(0.1, true), P(0.2, false), P(0.3, true), P(0.4, false)});
  EXPECT_DOUBLE_EQ(r.auc, 0.75);
  EXPECT_DOUBLE_EQ(r.eer, 0.5);
  EXPECT_DOUBLE_EQ(r.tar_at_far_1e2, 0.5);
}

TEST(PairEvaluation, LogisticFitRecoversAKnownCurve) {
  // Pairs drawn exactly in proportion to P(same | d) = 1 / (1 + exp((d - 0.5) / 0.1)) on a grid:
  // the maximum-likelihood fit of that model is the generating curve itself.
  std::vector<ScoredPair> pairs;
  for (int i = 0; i <= 100; ++i) {
    const double d = i / 100.0;
    const double p = 1 / (1 + std::exp((d - 0.5) / 0.1));
    const int same = static_cast<int>(std::lround(p * 1000));
    for (int k = 0; k < same; ++k) pairs.push_back(P(d, true));
    for (int k = 0; k < 1000 - same; ++k) pairs.push_back(P(d, false));
  }
  const Logistic l = fit_logistic(pairs);
  EXPECT_NEAR(l.midpoint, 0.5, 1e-3);
  EXPECT_NEAR(l.scale, 0.1, 1e-3);
}
