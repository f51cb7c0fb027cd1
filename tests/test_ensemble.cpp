// The ensemble combiner and its cross-validation: maximum-likelihood recovery of a known logistic model
// (mathematics: the MLE is consistent), no pair scored or thresholded by a combiner that saw its fold,
// the nested protocol on one member against the plain one, file round trip
// and the errors for bad files and member lists.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "eval/ensemble_evaluation.hpp"
#include "facekit/error.hpp"
#include "support/test_support.hpp"

namespace facekit {
namespace {

const std::vector<EnsembleMember> kTwo = {{"a", Metric::Cosine}, {"b", Metric::Euclidean}};

// Pairs whose label follows P(same | d) = sigmoid(4 - 6 d1 - 2 d2), with d1, d2 uniform in [0, 1].
std::vector<eval::EnsemblePair> synthetic_pairs(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<eval::EnsemblePair> pairs;
  for (int i = 0; i < n; ++i) {
    const double d1 = u(rng), d2 = u(rng);
    const double p = 1 / (1 + std::exp(-(4 - 6 * d1 - 2 * d2)));
    pairs.push_back({{d1, d2}, u(rng) < p, i % 10});
  }
  return pairs;
}

TEST(Ensemble, LogisticFitRecoversAKnownModel) {
  const auto pairs = synthetic_pairs(40000, 1);
  const EnsembleCombiner c = eval::fit_on_all(kTwo, pairs);
  for (double d1 : {0.1, 0.5, 0.9})
    for (double d2 : {0.2, 0.8}) {
      const double want = 1 / (1 + std::exp(-(4 - 6 * d1 - 2 * d2)));
      EXPECT_NEAR(c.probability_same({d1, d2}), want, 0.03) << d1 << "," << d2;
    }
  // Larger distances must lower P(same) for both members.
  EXPECT_LT(c.weights()[0], 0);
  EXPECT_LT(c.weights()[1], 0);
}

TEST(Ensemble, NestedFoldsNeverSeeTheirFold) {
  auto pairs = synthetic_pairs(2000, 2);
  const auto before = eval::nested_k_fold(kTwo, pairs);
  // Flip every label of fold 3: neither fold 3's combiner nor its threshold saw those labels, so its
  // scores and threshold stay put and its accuracy becomes exactly 1 - what it was; the other folds'
  // scores move (their combiners trained on fold 3).
  for (auto& p : pairs)
    if (p.fold == 3) p.same = !p.same;
  const auto after = eval::nested_k_fold(kTwo, pairs);
  bool others_moved = false;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i].fold == 3) EXPECT_DOUBLE_EQ(before.scored[i].distance, after.scored[i].distance);
    else others_moved |= std::abs(before.scored[i].distance - after.scored[i].distance) > 1e-6;
    EXPECT_EQ(after.scored[i].fold, pairs[i].fold);
  }
  EXPECT_TRUE(others_moved);
  ASSERT_EQ(after.folds.folds.size(), 10u);
  const auto& b3 = before.folds.folds[3];
  const auto& a3 = after.folds.folds[3];
  ASSERT_EQ(a3.fold, 3);
  EXPECT_DOUBLE_EQ(a3.threshold, b3.threshold);
  EXPECT_NEAR(a3.test.accuracy(), 1 - b3.test.accuracy(), 1e-12);
}

// With one feature the combiner is a monotone map of the distance, so the nested protocol splits each
// training set where the plain 10-fold threshold does; only test pairs falling between the same two
// training distances can land differently (the midpoint is taken on another scale).
TEST(Ensemble, NestedOnOneMemberMatchesThePlainProtocol) {
  const std::vector<EnsembleMember> one = {{"a", Metric::Cosine}};
  std::vector<eval::EnsemblePair> pairs;
  std::vector<eval::ScoredPair> plain;
  for (const auto& p : synthetic_pairs(3000, 4)) {
    pairs.push_back({{p.distances[0]}, p.same, p.fold});
    plain.push_back({p.distances[0], p.same, p.fold});
  }
  const auto nested = eval::nested_k_fold(one, pairs);
  const auto reference = eval::k_fold(plain);
  ASSERT_EQ(nested.folds.folds.size(), reference.folds.size());
  for (std::size_t f = 0; f < reference.folds.size(); ++f) {
    const auto& n = nested.folds.folds[f].test;
    const auto& r = reference.folds[f].test;
    EXPECT_LE(std::abs((n.tp + n.tn) - (r.tp + r.tn)), 1) << "fold " << f;
  }
}

TEST(Ensemble, FileRoundTripAndBadFiles) {
  const auto dir = test::temp_dir("ensemble");
  const auto pairs = synthetic_pairs(3000, 3);
  const EnsembleCombiner c = eval::fit_on_all(kTwo, pairs);
  const std::string path = (dir / "combiner.json").string();
  c.save(path, "synthetic");
  const EnsembleCombiner back = EnsembleCombiner::load(path);
  ASSERT_EQ(back.members().size(), 2u);
  EXPECT_EQ(back.members()[1].metric, Metric::Euclidean);
  EXPECT_NEAR(back.probability_same({0.3, 0.4}), c.probability_same({0.3, 0.4}), 1e-12);

  EXPECT_THROW(EnsembleCombiner::load((dir / "absent.json").string()), Error);
  std::ofstream((dir / "garbage.json").string()) << "{not json";
  try {
    EnsembleCombiner::load((dir / "garbage.json").string());
    FAIL() << "garbage accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("garbage.json"), std::string::npos) << e.what();
  }
  std::ofstream((dir / "other.json").string()) << R"({"format":"something-else","version":1})";
  EXPECT_THROW(EnsembleCombiner::load((dir / "other.json").string()), Error);
}

TEST(Ensemble, MemberLists) {
  const auto m = parse_ensemble_members("faceapi-resnet:euclidean,faceres");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].model, "faceapi-resnet");
  EXPECT_EQ(m[0].metric, Metric::Euclidean);
  EXPECT_EQ(m[1].metric, Metric::Cosine);
  EXPECT_EQ(parse_ensemble_members("x:size=3,y")[0].model, "x:size=3");  // embedder options survive
  EXPECT_THROW(parse_ensemble_members("faceapi-resnet"), Error);            // one member is not an ensemble
  EXPECT_THROW(parse_ensemble_members("a,,b"), Error);
}

}  // namespace
}  // namespace facekit
