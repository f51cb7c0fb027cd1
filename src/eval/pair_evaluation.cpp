#include "eval/pair_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "facekit/error.hpp"

namespace facekit::eval {

double Counts::accuracy() const {
  const int n = tp + fp + tn + fn;
  return n ? double(tp + tn) / n : 0.0;
}
double Counts::precision() const { return tp + fp ? double(tp) / (tp + fp) : 0.0; }
double Counts::recall() const { return tp + fn ? double(tp) / (tp + fn) : 0.0; }
double Counts::f1() const {
  const double p = precision(), r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

Counts count_at(const std::vector<ScoredPair>& pairs, double threshold) {
  Counts c;
  for (const auto& p : pairs) {
    const bool accept = p.distance <= threshold;
    if (p.same) (accept ? c.tp : c.fn)++;
    else (accept ? c.fp : c.tn)++;
  }
  return c;
}

double best_threshold(const std::vector<ScoredPair>& pairs) {
  if (pairs.empty()) throw Error(ErrorCode::InvalidArgument, "no pairs to choose a threshold from");
  std::vector<ScoredPair> sorted = pairs;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
  // Sweep: accepting everything up to sorted[i] gains its same pairs, loses its different ones.
  int correct = 0;
  for (const auto& p : sorted) correct += !p.same;  // threshold below everything: all rejected
  int best = correct;
  double best_t = sorted.front().distance - 1e-6;
  for (size_t i = 0; i < sorted.size(); ++i) {
    correct += sorted[i].same ? 1 : -1;
    if (i + 1 < sorted.size() && sorted[i + 1].distance == sorted[i].distance) continue;
    if (correct > best) {
      best = correct;
      best_t = i + 1 < sorted.size() ? (sorted[i].distance + sorted[i + 1].distance) / 2 : sorted[i].distance + 1e-6;
    }
  }
  return best_t;
}

KFoldResult k_fold(const std::vector<ScoredPair>& pairs) {
  std::map<int, std::vector<ScoredPair>> by_fold;
  for (const auto& p : pairs) by_fold[p.fold].push_back(p);
  if (by_fold.size() < 2) throw Error(ErrorCode::InvalidArgument, "k-fold evaluation needs at least 2 folds");
  std::vector<FoldResult> folds;
  for (const auto& [fold, test] : by_fold) {
    std::vector<ScoredPair> train;
    for (const auto& p : pairs)
      if (p.fold != fold) train.push_back(p);
    FoldResult f;
    f.fold = fold;
    f.threshold = best_threshold(train);
    f.test = count_at(test, f.threshold);
    folds.push_back(f);
  }
  return summarise_folds(std::move(folds));
}

KFoldResult summarise_folds(std::vector<FoldResult> folds) {
  if (folds.size() < 2) throw Error(ErrorCode::InvalidArgument, "k-fold evaluation needs at least 2 folds");
  KFoldResult r;
  r.folds = std::move(folds);
  double sum = 0;
  for (const auto& f : r.folds) {
    r.pooled.tp += f.test.tp;
    r.pooled.fp += f.test.fp;
    r.pooled.tn += f.test.tn;
    r.pooled.fn += f.test.fn;
    sum += f.test.accuracy();
  }
  r.mean_accuracy = sum / r.folds.size();
  double var = 0;
  for (const auto& f : r.folds) var += std::pow(f.test.accuracy() - r.mean_accuracy, 2);
  r.std_accuracy = std::sqrt(var / (r.folds.size() - 1));
  return r;
}

RocSummary roc(const std::vector<ScoredPair>& pairs) {
  std::vector<ScoredPair> sorted = pairs;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.distance < b.distance; });
  int positives = 0, negatives = 0;
  for (const auto& p : sorted) (p.same ? positives : negatives)++;
  if (!positives || !negatives) throw Error(ErrorCode::InvalidArgument, "ROC needs both same and different pairs");
  RocSummary r;
  r.curve.push_back({0, 0});
  int tp = 0, fp = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    (sorted[i].same ? tp : fp)++;
    if (i + 1 < sorted.size() && sorted[i + 1].distance == sorted[i].distance) continue;
    r.curve.push_back({double(fp) / negatives, double(tp) / positives});
  }
  for (size_t i = 1; i < r.curve.size(); ++i) {  // trapezoids: ties count half, as the AUC statistic does
    r.auc += (r.curve[i].first - r.curve[i - 1].first) * (r.curve[i].second + r.curve[i - 1].second) / 2;
  }
  auto tar_at = [&](double far) {
    double best = 0;
    for (const auto& [f, t] : r.curve)
      if (f <= far) best = std::max(best, t);
    return best;
  };
  r.tar_at_far_1e2 = tar_at(1e-2);
  r.tar_at_far_1e3 = tar_at(1e-3);
  // EER: the first curve segment where FRR = 1 - TAR drops to FAR or below, interpolated linearly.
  r.eer = 1.0;
  for (size_t i = 1; i < r.curve.size(); ++i) {
    const auto [f0, t0] = r.curve[i - 1];
    const auto [f1, t1] = r.curve[i];
    const double g0 = (1 - t0) - f0, g1 = (1 - t1) - f1;  // FRR - FAR, decreasing along the curve
    if (g0 >= 0 && g1 <= 0) {
      const double a = g0 == g1 ? 0 : g0 / (g0 - g1);
      r.eer = f0 + a * (f1 - f0);
      break;
    }
  }
  return r;
}

Logistic fit_logistic(const std::vector<ScoredPair>& pairs) {
  // Newton's method on P(same) = sigmoid(w0 + w1 d); midpoint = -w0/w1, scale = -1/w1.
  double mean = 0, var = 0;
  for (const auto& p : pairs) mean += p.distance;
  mean /= pairs.size();
  for (const auto& p : pairs) var += (p.distance - mean) * (p.distance - mean);
  const double sd = std::sqrt(var / pairs.size()) + 1e-12;
  double w0 = 0, w1 = 0;  // on standardised distance z = (d - mean) / sd
  for (int iter = 0; iter < 50; ++iter) {
    double g0 = 0, g1 = 0, h00 = 1e-9, h01 = 0, h11 = 1e-9;
    for (const auto& p : pairs) {
      const double z = (p.distance - mean) / sd;
      const double q = 1 / (1 + std::exp(-(w0 + w1 * z)));
      const double e = (p.same ? 1.0 : 0.0) - q, w = q * (1 - q);
      g0 += e;
      g1 += e * z;
      h00 += w;
      h01 += w * z;
      h11 += w * z * z;
    }
    const double det = h00 * h11 - h01 * h01;
    const double d0 = (h11 * g0 - h01 * g1) / det, d1 = (h00 * g1 - h01 * g0) / det;
    w0 += d0;
    w1 += d1;
    if (std::fabs(d0) + std::fabs(d1) < 1e-10) break;
  }
  if (w1 >= 0) throw Error(ErrorCode::InvalidArgument, "distances do not separate same from different pairs");
  Logistic l;
  l.scale = -sd / w1;
  l.midpoint = mean - w0 * sd / w1;
  return l;
}

}  // namespace facekit::eval
