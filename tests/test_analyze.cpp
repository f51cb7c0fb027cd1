// analyze(): choosing analyzers for actions (defaults, explicit choices, clear errors for names that
// do not exist), TensorFlow's cropAndResize as human feeds its models, and the CLI's bad input.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analyze/analysis.hpp"
#include "support/test_support.hpp"

using namespace facekit;
using facekit::test::run_command;

namespace {

std::string cli() { return "'" + facekit::test::cli_path() + "'"; }

analysis::AnalysisPlan plan(std::vector<std::string> actions, std::vector<std::string> models = {}) {
  AnalyzeOptions o;
  o.actions = std::move(actions);
  o.models = std::move(models);
  return analysis::plan_analysis(o);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(AnalyzePlan, DefaultActionsAreDeepfacesFourWithOneAnalyzerEach) {
  const auto p = plan({});
  EXPECT_EQ(p.actions, (std::vector<std::string>{"age", "gender", "emotion", "race"}));
  std::map<std::string, std::string> by_action;
  for (const auto& [name, actions] : p.analyzers)
    for (const auto& a : actions) EXPECT_TRUE(by_action.emplace(a, name).second) << a << " served twice";
  EXPECT_EQ(by_action.size(), 4u);
  EXPECT_EQ(by_action["age"], analyzers_for("age").front());
  EXPECT_EQ(by_action["race"], "gear");  // the only race model
}

TEST(AnalyzePlan, ExplicitChoicesAndBareNames) {
  auto p = plan({"age", "gender", "race"}, {"gear"});  // a bare name takes every action it can
  ASSERT_EQ(p.analyzers.size(), 1u);
  EXPECT_EQ(p.analyzers[0].first, "gear");
  EXPECT_EQ(p.analyzers[0].second, (std::set<std::string>{"age", "gender", "race"}));
  p = plan({"age", "spoof"}, {"age=ssrnet-age", "spoof=liveness"});
  ASSERT_EQ(p.analyzers.size(), 2u);
  EXPECT_EQ(p.analyzers[0].first, "ssrnet-age");
  EXPECT_EQ(p.analyzers[1].first, "liveness");
}

TEST(AnalyzePlan, UnknownActionListsTheValidOnes) {
  const std::string msg = error_of([] { plan({"age", "mood"}); });
  EXPECT_NE(msg.find("unknown action 'mood'"), std::string::npos) << msg;
  for (const char* a : {"age", "gender", "emotion", "race", "spoof"}) EXPECT_NE(msg.find(a), std::string::npos) << msg;
}

TEST(AnalyzePlan, BadModelChoicesAreClearErrors) {
  EXPECT_NE(error_of([] { plan({"age"}, {"age=nosuch"}); }).find("unknown analysis model 'nosuch'"), std::string::npos);
  const std::string wrong = error_of([] { plan({"emotion"}, {"emotion=gear"}); });
  EXPECT_NE(wrong.find("'gear' cannot do emotion"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("faceapi-expression"), std::string::npos) << wrong;  // lists the emotion models
  EXPECT_NE(error_of([] { plan({"age"}, {"race=gear"}); }).find("not requested"), std::string::npos);
  EXPECT_NE(error_of([] { plan({"age"}, {"liveness"}); }).find("none of the requested"), std::string::npos);
}

TEST(AnalyzeCrop, CropAndResizeFollowsTensorFlow) {
  // A 2x3 one-channel ramp v = 10y + x.
  nn::Tensor img({1, 2, 3, 1}, std::vector<float>{0, 1, 2, 10, 11, 12});
  // The unit box at the input size samples the pixels themselves.
  auto same = analysis::crop_and_resize(img, {0, 0, 1, 1}, 2, 3);
  EXPECT_EQ(same.data, img.data);
  // Sample points span (size - 1): a 3x5 output of the unit box lands on half-pixels, bilinear.
  auto up = analysis::crop_and_resize(img, {0, 0, 1, 1}, 3, 5);
  EXPECT_FLOAT_EQ(up.data[1 * 5 + 1], 5.5f);  // y 0.5, x 0.5 -> (0 + 1 + 10 + 11) / 4
  // Points outside the image read 0 (extrapolation value).
  auto outside = analysis::crop_and_resize(img, {-1, 0, 1, 1}, 3, 3);
  EXPECT_EQ(outside.data[0], 0.f);
  EXPECT_FLOAT_EQ(outside.data[1 * 3 + 1], 1.f);  // output row 1 is input row 0
  EXPECT_FLOAT_EQ(outside.data[2 * 3 + 2], 12.f);
}

TEST(AnalyzeCli, UnknownActionIsAUsageErrorListingTheValidOnes) {
  const auto r = run_command(cli() + " analyze x.jpg --actions age,mood");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("unknown action 'mood'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("spoof"), std::string::npos) << r.err;
}

TEST(AnalyzeCli, BadInputFilesNameTheFile) {
  const auto dir = test::temp_dir("analyze_bad_input");
  const auto missing = run_command(cli() + " analyze '" + (dir / "nope.jpg").string() + "'");
  EXPECT_EQ(missing.status, 3) << missing.err;
  EXPECT_NE(missing.err.find("nope.jpg"), std::string::npos) << missing.err;
  std::ofstream(dir / "text.jpg") << "not an image";
  const auto garbage = run_command(cli() + " analyze '" + (dir / "text.jpg").string() + "'");
  EXPECT_EQ(garbage.status, 3) << garbage.err;
  EXPECT_NE(garbage.err.find("text.jpg"), std::string::npos) << garbage.err;
  std::filesystem::create_directories(dir / "sub");
  const auto empty_dir = run_command(cli() + " analyze '" + (dir / "sub").string() + "'");
  EXPECT_EQ(empty_dir.status, 3) << empty_dir.err;
  EXPECT_NE(empty_dir.err.find("no image files"), std::string::npos) << empty_dir.err;
}

TEST(AnalyzeCli, ListModelsNamesADefaultPerAction) {
  const auto r = run_command(cli() + " analyze --list-models");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* a : {"age:", "gender:", "emotion:", "race:", "spoof:"}) EXPECT_NE(r.out.find(a), std::string::npos);
  EXPECT_NE(r.out.find("(default)"), std::string::npos);
}

TEST(AnalyzeApi, ExtractFacesAntiSpoofingAddsAScoreOnlyWhenAsked) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto path = (test::shared_dir() / "data/faces/face_recognition/tests/test_images/obama.jpg").string();
  PipelineOptions o;
  const auto plain = extract_faces(FaceInput::file(path), o);
  ASSERT_FALSE(plain.empty());
  EXPECT_FALSE(plain[0].antispoof_score.has_value());
  o.anti_spoofing = true;
  const auto checked = extract_faces(FaceInput::file(path), o);
  ASSERT_EQ(checked.size(), plain.size());
  ASSERT_TRUE(checked[0].antispoof_score.has_value());
  EXPECT_GE(*checked[0].antispoof_score, 0.0);
  EXPECT_LE(*checked[0].antispoof_score, 1.0);
  EXPECT_EQ(*checked[0].is_real, *checked[0].antispoof_score >= 0.5);
}

TEST(AnalyzeCli, FolderInGivesOneJsonLinePerFace) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto dir = test::temp_dir("analyze_batch");
  const auto images = test::shared_dir() / "data/faces/face_recognition/tests/test_images";
  std::filesystem::copy_file(images / "obama.jpg", dir / "a.jpg");
  std::filesystem::copy_file(images / "biden.jpg", dir / "b.jpg");
  const auto r = run_command(cli() + " analyze --json --actions age,gender,spoof '" + dir.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> faces;
  while (std::getline(lines, line)) faces.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(faces.size(), 2u) << r.out;  // one face in each photo, in input (sorted) order
  EXPECT_NE(faces[0]["img"].get<std::string>().find("a.jpg"), std::string::npos);
  for (const auto& f : faces) {
    for (const char* key : {"facial_area", "face_confidence", "age", "gender", "dominant_gender", "is_real",
                            "antispoof_score"})
      EXPECT_TRUE(f.contains(key)) << key << " in " << f.dump();
    EXPECT_FALSE(f.contains("emotion"));  // not asked for
    EXPECT_EQ(f["dominant_gender"], "Man");  // Obama and Biden
  }
}
