#include "verify/distance.hpp"

#include <algorithm>
#include <cmath>

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

Threshold default_threshold(const std::string& model, Metric metric) {
  if (model == "faceapi-resnet") {
    // dlib documents 0.6 (euclidean) for dlib_face_recognition_resnet_model_v1, and face-api.js's
    // FaceMatcher uses the same default. The unit-sphere metrics are converted from it at the mean
    // descriptor norm of the reference faces (1.45, shared/reference/golden/faceapi_images.json):
    // l2 = 0.6 / 1.45, cosine = l2^2 / 2, angular = 2 asin(l2 / 2) / pi. The slope is 10% of the
    // threshold until the LFW calibration (docs/accuracy.md) replaces these numbers.
    const char* derived = "dlib's 0.6 euclidean, converted at mean descriptor norm 1.45";
    constexpr double kL2 = 0.6 / 1.45;
    switch (metric) {
      case Metric::Euclidean: return {0.6, 0.06, "dlib dlib_face_recognition_resnet_model_v1 docs (0.6)"};
      case Metric::EuclideanL2: return {kL2, kL2 * 0.1, derived};
      case Metric::Cosine: return {kL2 * kL2 / 2, kL2 * kL2 / 20, derived};
      case Metric::Angular: {
        const double t = 2 * std::asin(kL2 / 2) / M_PI;
        return {t, t * 0.1, derived};
      }
    }
  }
  throw Error(ErrorCode::InvalidArgument, "no default threshold for model '" + model + "' and metric " +
                                              metric_name(metric) + "; pass --threshold");
}

double verdict_confidence(double d, const Threshold& t, bool verified) {
  const double scale = t.scale > 0 ? t.scale : std::max(1e-9, t.value * 0.1);
  const double p_same = 1.0 / (1.0 + std::exp((d - t.value) / scale));
  return 100.0 * (verified ? p_same : 1.0 - p_same);
}

}  // namespace facekit
