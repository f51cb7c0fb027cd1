// Verification accuracy the standard way (LFW View 2): 10 folds, the threshold chosen on 9 and
// accuracy measured on the 10th; plus ROC AUC, EER, TAR at fixed FAR and a logistic calibration of
// P(same | distance). Distances: smaller = more alike.
#pragma once
#include <vector>

namespace facekit::eval {

struct ScoredPair {
  double distance = 0;
  bool same = false;
  int fold = 0;  // 0-based
};

struct Counts {
  int tp = 0, fp = 0, tn = 0, fn = 0;
  double accuracy() const;
  double precision() const;
  double recall() const;
  double f1() const;
};

Counts count_at(const std::vector<ScoredPair>& pairs, double threshold);  // same := distance <= threshold

// The threshold maximising accuracy on `pairs`: a midpoint between consecutive distinct distances
// (or just beyond the extremes). Ties are broken towards the smaller threshold.
double best_threshold(const std::vector<ScoredPair>& pairs);

struct FoldResult {
  int fold = 0;
  double threshold = 0;   // chosen on the other folds
  Counts test;            // on this fold
};

struct KFoldResult {
  std::vector<FoldResult> folds;
  double mean_accuracy = 0;
  double std_accuracy = 0;  // standard deviation over folds (sample, n-1)
  Counts pooled;            // every fold's test counts added up
};

// Folds are taken from ScoredPair::fold; every fold must hold at least one pair.
KFoldResult k_fold(const std::vector<ScoredPair>& pairs);

// Mean, standard deviation and pooled counts of folds already evaluated.
KFoldResult summarise_folds(std::vector<FoldResult> folds);

struct RocSummary {
  double auc = 0;
  double eer = 0;                 // where false accept rate = false reject rate
  double tar_at_far_1e2 = 0;      // true accept rate at false accept rate <= 1e-2
  double tar_at_far_1e3 = 0;
  std::vector<std::pair<double, double>> curve;  // (FAR, TAR) from (0,0) to (1,1)
};
RocSummary roc(const std::vector<ScoredPair>& pairs);

// P(same | d) = 1 / (1 + exp((d - midpoint) / scale)), fitted by maximum likelihood.
struct Logistic {
  double midpoint = 0;
  double scale = 1;
};
Logistic fit_logistic(const std::vector<ScoredPair>& pairs);

}  // namespace facekit::eval
