// Sanity of the default analyzers on labelled real photos (../shared): the face-api.js example
// crops of eight people, whose gender is known (>= 90% right per person), and its seven expression
// photos, named by their expression (>= 5 of 7 right). Defaults as analyze() has them; an image in
// which the detector finds no face is used whole (enforce_detection off), as the crops are small.
#include <filesystem>

#include "analyze/analysis.hpp"
#include "facekit/image.hpp"
#include "support/test_support.hpp"

using namespace facekit;
namespace fs = std::filesystem;

namespace {

fs::path examples() { return test::shared_dir() / "data/faces/faceapi-js/examples/images"; }

AnalyzeOptions defaults_for(std::vector<std::string> actions) {
  AnalyzeOptions o;
  o.actions = std::move(actions);
  o.pipeline.enforce_detection = false;
  return o;
}

// The dominant value of the most confident face.
std::string first_face(analysis::FaceAnalyzerSet& analyzers, const fs::path& image, bool gender) {
  const auto faces = analyzers.run(load_image(image.string()), image.string());
  if (faces.empty()) return "";
  return gender ? faces[0].dominant_gender : faces[0].dominant_emotion;
}

}  // namespace

TEST(AnalyzeSanity, DefaultGenderModelOnTheFaceApiExampleCrops) {
  FACEKIT_REQUIRE_SHARED_DIR();
  analysis::FaceAnalyzerSet analyzers(defaults_for({"gender"}));
  const std::vector<std::pair<std::string, std::string>> people = {
      {"amy", "Woman"},    {"bernadette", "Woman"}, {"penny", "Woman"},   {"howard", "Man"},
      {"leonard", "Man"},  {"raj", "Man"},          {"sheldon", "Man"},   {"stuart", "Man"}};
  for (const auto& [person, gender] : people) {
    int right = 0, total = 0;
    for (const auto& entry : fs::directory_iterator(examples() / person)) {
      right += first_face(analyzers, entry.path(), true) == gender;
      ++total;
    }
    ASSERT_GT(total, 0) << person;
    EXPECT_GE(double(right) / total, 0.9) << person << ": " << right << " of " << total << " " << gender;
    std::cout << "[ info ] " << person << ": " << right << "/" << total << " " << gender << "\n";
  }
}

TEST(AnalyzeSanity, DefaultEmotionModelOnTheFaceApiExpressionPhotos) {
  FACEKIT_REQUIRE_SHARED_DIR();
  analysis::FaceAnalyzerSet analyzers(defaults_for({"emotion"}));
  const std::vector<std::pair<std::string, std::string>> photos = {
      {"angry", "angry"}, {"disgusted", "disgust"}, {"fearful", "fear"},       {"happy", "happy"},
      {"neutral", "neutral"}, {"sad", "sad"},       {"surprised", "surprise"}};
  int right = 0;
  for (const auto& [name, emotion] : photos) {
    const std::string got = first_face(analyzers, examples() / (name + ".jpg"), false);
    right += got == emotion;
    std::cout << "[ info ] " << name << ".jpg: " << got << "\n";
  }
  EXPECT_GE(right, 5);
}
