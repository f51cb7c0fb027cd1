#include "verify/distance.hpp"

#include <algorithm>
#include <cmath>

#include "core/user_models.hpp"
#include "facekit/error.hpp"

namespace facekit {

Metric parse_metric(const std::string& name) {
  if (name == "cosine") return Metric::Cosine;
  if (name == "euclidean") return Metric::Euclidean;
  if (name == "euclidean_l2") return Metric::EuclideanL2;
  if (name == "angular") return Metric::Angular;
  throw Error(ErrorCode::InvalidArgument,
              "unknown metric '" + name + "' (valid: cosine, euclidean, euclidean_l2, angular)");
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::Cosine: return "cosine";
    case Metric::Euclidean: return "euclidean";
    case Metric::EuclideanL2: return "euclidean_l2";
    case Metric::Angular: return "angular";
  }
  return "?";
}

double distance(const std::vector<float>& a, const std::vector<float>& b, Metric metric) {
  if (a.size() != b.size() || a.empty())
    throw Error(ErrorCode::InvalidArgument, "cannot compare embeddings of sizes " + std::to_string(a.size()) +
                                                " and " + std::to_string(b.size()) + " (different models?)");
  double dot = 0, na = 0, nb = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  if (metric == Metric::Euclidean) return std::sqrt(diff);
  if (na == 0 || nb == 0) throw Error(ErrorCode::InvalidArgument, "zero embedding has no direction");
  const double cos = std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0);
  switch (metric) {
    case Metric::Cosine: return 1.0 - cos;
    case Metric::EuclideanL2: return std::sqrt(std::max(0.0, 2.0 - 2.0 * cos));
    case Metric::Angular: return std::acos(cos) / M_PI;
    default: return std::sqrt(diff);
  }
}

namespace {

// Calibrated defaults, fitted on LFW View 2 (shared 250x250 grey copy) with the default detector and
// landmarks (dlib-hog:upsample=0, dlib68) and each model's own alignment, on the 5,945 of the 6,000
// pairs where that detector found both faces (never on fallback crops): `value` is the threshold
// maximising accuracy over those pairs, (midpoint, scale) a maximum-likelihood logistic fit of
// same/different on distance. Reproduced by eval/run_accuracy.sh (the JSON's "detected_both" of the
// model's row); docs/accuracy.md has the 10-fold accuracies.
struct CalibratedThreshold {
  const char* model;
  Metric metric;
  double value, midpoint, scale;
};

constexpr CalibratedThreshold kCalibrated[] = {
    // 5point chip; 10-fold 98.5%. (dlib documents 0.6 euclidean.)
    {"faceapi-resnet", Metric::Euclidean, 0.6043, 0.6084, 0.02008},
    {"faceapi-resnet", Metric::EuclideanL2, 0.4293, 0.4294, 0.01344},
    {"faceapi-resnet", Metric::Cosine, 0.0922, 0.0927, 0.005737},
    {"faceapi-resnet", Metric::Angular, 0.1377, 0.1378, 0.004383},
    // arcface:size=224 chip; 10-fold 95.9% cosine, 93.5% euclidean.
    {"faceres", Metric::Euclidean, 12.4512, 12.5492, 0.4493},
    {"faceres", Metric::EuclideanL2, 0.9652, 0.9754, 0.02776},
    {"faceres", Metric::Cosine, 0.4658, 0.4775, 0.0273},
    {"faceres", Metric::Angular, 0.3206, 0.3245, 0.01017},
    // arcface chip (112 px); 10-fold 92.6% cosine, 81.9% euclidean.
    {"mobileface", Metric::Euclidean, 76.6884, 78.1949, 7.102},
    {"mobileface", Metric::EuclideanL2, 1.2129, 1.2218, 0.04025},
    {"mobileface", Metric::Cosine, 0.7356, 0.7493, 0.04956},
    {"mobileface", Metric::Angular, 0.4148, 0.4189, 0.01634},
    // mobilefacenet has none: as ported it maps different people to cosine similarities above 0.998
    // (about 59% on LFW under every alignment, docs/accuracy.md), so no threshold would mean anything.
};

}  // namespace

Threshold default_threshold(const std::string& model, Metric metric) {
  for (const auto& c : kCalibrated)
    if (model == c.model && metric == c.metric)
      return {c.value, c.midpoint, c.scale, "LFW View 2, default detector and alignment (docs/accuracy.md)"};
  if (auto user = user_model_threshold(model, metric)) return *user;  // deepface's, for a preset
  throw Error(ErrorCode::InvalidArgument, "no calibrated threshold for model '" + model + "' and metric " +
                                              metric_name(metric) + " yet; pass --threshold");
}

double verdict_confidence(double d, const Threshold& t, bool verified) {
  const bool calibrated = t.scale > 0;
  const double midpoint = calibrated ? t.midpoint : t.value;
  const double scale = calibrated ? t.scale : std::max(1e-9, t.value * 0.1);
  const double p_same = 1.0 / (1.0 + std::exp((d - midpoint) / scale));
  return 100.0 * (verified ? p_same : 1.0 - p_same);
}

}  // namespace facekit
