// The ensemble combiner and its cross-validation: maximum-likelihood recovery of a known logistic model
// (mathematics: the MLE is consistent), no pair scored by a combiner that saw its fold, file round trip
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

TEST(Ensemble, OutOfFoldScoresNeverSeeTheirFold) {
  auto pairs = synthetic_pairs(2000, 2);
  const auto before = eval::out_of_fold_scores(kTwo, pairs);
  // Flip every label of fold 3: the scores of fold 3 must not move (its combiner never saw them),
  // while the other folds' scores must (their combiners trained on fold 3).
  for (auto& p : pairs)
    if (p.fold == 3) p.same = !p.same;
  const auto after = eval::out_of_fold_scores(kTwo, pairs);
  bool others_moved = false;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i].fold == 3) EXPECT_DOUBLE_EQ(before[i].distance, after[i].distance);
    else others_moved |= std::abs(before[i].distance - after[i].distance) > 1e-6;
    EXPECT_EQ(after[i].fold, pairs[i].fold);
  }
  EXPECT_TRUE(others_moved);
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
