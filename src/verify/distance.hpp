// Distances between embeddings, per-model default thresholds and the verdict's confidence.
#pragma once
#include <string>
#include <vector>

namespace facekit {

enum class Metric { Cosine, Euclidean, EuclideanL2, Angular };

Metric parse_metric(const std::string& name);  // throws InvalidArgument listing the valid names
const char* metric_name(Metric m);

// cosine: 1 - cos(a, b); euclidean: |a - b|; euclidean_l2: |a/|a| - b/|b||;
// angular: arccos(cos(a, b)) / pi, in [0, 1].
double distance(const std::vector<float>& a, const std::vector<float>& b, Metric metric);

struct Threshold {
  double value = 0;
  // Calibration P(same | distance) = 1 / (1 + exp((distance - midpoint) / scale)), a logistic fit of
  // same/different on distance; scale 0 = uncalibrated (a user threshold): midpoint = value, 10% slope.
  double midpoint = 0;
  double scale = 0;
  std::string source;  // where the numbers come from
};

// Default threshold for a model and metric. Throws InvalidArgument for an unknown pair.
Threshold default_threshold(const std::string& model, Metric metric);

// Certainty of the verdict in [0, 100]: the calibrated probability that the verdict is right
// (P(same) when verified, 1 - P(same) otherwise).
double verdict_confidence(double distance, const Threshold& threshold, bool verified);

}  // namespace facekit
