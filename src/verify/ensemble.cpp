#include "verify/ensemble.hpp"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/text.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

}  // namespace

std::vector<EnsembleMember> parse_ensemble_members(const std::string& spec) {
  std::vector<EnsembleMember> members;
  for (const std::string& item : split_list(spec, ',')) {
    if (item.empty()) throw Error(ErrorCode::InvalidArgument, "ensemble members '" + spec + "': empty member");
    const std::size_t colon = item.rfind(':');
    EnsembleMember m;
    // A metric suffix only when it names a metric: embedder specs may hold ':' options themselves.
    if (colon != std::string::npos) {
      const std::string tail = item.substr(colon + 1);
      if (tail == "cosine" || tail == "euclidean" || tail == "euclidean_l2" || tail == "angular") {
        m.model = item.substr(0, colon);
        m.metric = parse_metric(tail);
      } else {
        m.model = item;
      }
    } else {
      m.model = item;
    }
    members.push_back(m);
  }
  if (members.size() < 2) throw Error(ErrorCode::InvalidArgument, "an ensemble needs at least two members: '" + spec + "'");
  return members;
}

std::string ensemble_members_spec(const std::vector<EnsembleMember>& members) {
  std::string s;
  for (const auto& m : members) s += (s.empty() ? "" : ",") + m.model + ":" + metric_name(m.metric);
  return s;
}

EnsembleCombiner EnsembleCombiner::fit(const std::vector<EnsembleMember>& members,
                                       const std::vector<std::vector<double>>& rows, const std::vector<bool>& same,
                                       double l2) {
  const std::size_t d = members.size(), n = rows.size();
  if (n == 0 || same.size() != n) throw Error(ErrorCode::InvalidArgument, "ensemble fit: no training pairs");
  EnsembleCombiner c;
  c.members_ = members;
  c.mean_.assign(d, 0);
  c.scale_.assign(d, 0);
  for (const auto& r : rows) {
    if (r.size() != d) throw Error(ErrorCode::Internal, "ensemble fit: row of the wrong width");
    for (std::size_t j = 0; j < d; ++j) c.mean_[j] += r[j] / n;
  }
  for (const auto& r : rows)
    for (std::size_t j = 0; j < d; ++j) c.scale_[j] += (r[j] - c.mean_[j]) * (r[j] - c.mean_[j]) / n;
  for (double& s : c.scale_) s = s > 0 ? std::sqrt(s) : 1;

  // Parameters theta = (w_1..w_d, b); Newton steps H^-1 g on -loglik + l2/2 |w|^2 (the bias unpenalised).
  cv::Mat theta = cv::Mat::zeros(static_cast<int>(d + 1), 1, CV_64F);
  std::vector<double> x(d + 1);
  for (int iter = 0; iter < 50; ++iter) {
    cv::Mat grad = cv::Mat::zeros(static_cast<int>(d + 1), 1, CV_64F);
    cv::Mat hess = cv::Mat::zeros(static_cast<int>(d + 1), static_cast<int>(d + 1), CV_64F);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) x[j] = (rows[i][j] - c.mean_[j]) / c.scale_[j];
      x[d] = 1;
      double z = 0;
      for (std::size_t j = 0; j <= d; ++j) z += theta.at<double>(static_cast<int>(j)) * x[j];
      const double p = sigmoid(z), err = p - (same[i] ? 1.0 : 0.0), w = std::max(p * (1 - p), 1e-12);
      for (std::size_t j = 0; j <= d; ++j) {
        grad.at<double>(static_cast<int>(j)) += err * x[j];
        for (std::size_t k = 0; k <= d; ++k) hess.at<double>(static_cast<int>(j), static_cast<int>(k)) += w * x[j] * x[k];
      }
    }
    for (std::size_t j = 0; j < d; ++j) {
      grad.at<double>(static_cast<int>(j)) += l2 * n * theta.at<double>(static_cast<int>(j));
      hess.at<double>(static_cast<int>(j), static_cast<int>(j)) += l2 * n;
    }
    cv::Mat step;
    if (!cv::solve(hess, grad, step, cv::DECOMP_CHOLESKY)) cv::solve(hess, grad, step, cv::DECOMP_SVD);
    theta -= step;
    if (cv::norm(step, cv::NORM_INF) < 1e-10) break;
  }
  c.weights_.resize(d);
  for (std::size_t j = 0; j < d; ++j) c.weights_[j] = theta.at<double>(static_cast<int>(j));
  c.bias_ = theta.at<double>(static_cast<int>(d));
  return c;
}

double EnsembleCombiner::probability_same(const std::vector<double>& distances) const {
  if (distances.size() != members_.size())
    throw Error(ErrorCode::Internal, "ensemble: " + std::to_string(distances.size()) + " distances for " +
                                         std::to_string(members_.size()) + " members");
  double z = bias_;
  for (std::size_t j = 0; j < distances.size(); ++j) z += weights_[j] * (distances[j] - mean_[j]) / scale_[j];
  return sigmoid(z);
}

void EnsembleCombiner::save(const std::string& path, const std::string& trained_on) const {
  nlohmann::json members = nlohmann::json::array();
  for (std::size_t j = 0; j < members_.size(); ++j)
    members.push_back({{"model", members_[j].model}, {"metric", metric_name(members_[j].metric)},
                       {"mean", mean_[j]}, {"scale", scale_[j]}, {"weight", weights_[j]}});
  const nlohmann::json j = {{"format", "facekit-ensemble"}, {"version", kFormatVersion},
                            {"combiner", "logistic regression on standardised distances"},
                            {"trained_on", trained_on}, {"members", members}, {"bias", bias_}};
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) throw Error(ErrorCode::FileNotFound, path + ": cannot write the ensemble file");
}

EnsembleCombiner EnsembleCombiner::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::ModelMissing, path + ": ensemble file not found");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::ModelCorrupt, path + ": not a JSON ensemble file (" + e.what() + ")");
  }
  try {
    if (j.at("format") != "facekit-ensemble" || j.at("version").get<int>() != kFormatVersion)
      throw Error(ErrorCode::ModelCorrupt, path + ": not a facekit-ensemble file of version " +
                                               std::to_string(kFormatVersion));
    EnsembleCombiner c;
    for (const auto& m : j.at("members")) {
      c.members_.push_back({m.at("model").get<std::string>(), parse_metric(m.at("metric").get<std::string>())});
      c.mean_.push_back(m.at("mean").get<double>());
      c.scale_.push_back(m.at("scale").get<double>());
      c.weights_.push_back(m.at("weight").get<double>());
      if (!(c.scale_.back() > 0)) throw Error(ErrorCode::ModelCorrupt, path + ": a member's scale is not positive");
    }
    if (c.members_.size() < 2) throw Error(ErrorCode::ModelCorrupt, path + ": fewer than two members");
    c.bias_ = j.at("bias").get<double>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::ModelCorrupt, path + ": malformed ensemble file (" + e.what() + ")");
  }
}

}  // namespace facekit
