// Every human graph model, imported by the tfjs importer, against upstream tfjs outputs on the
// reference's synthetic input (shared/reference/golden/human_<model>.json).
#include <filesystem>

#include "facekit/models.hpp"
#include "nn/tfjs_graph.hpp"
#include "support/golden.hpp"

using namespace facekit;

namespace {

std::string strip_output_index(std::string name) {
  auto colon = name.rfind(':');
  return colon == std::string::npos ? name : name.substr(0, colon);
}

// x = f(v), v = (7y + 3x + 11c) % 256, in double precision then rounded to float32 (human_ref.js).
nn::Tensor synthetic_input(const nlohmann::json& input) {
  nn::Shape shape = input.at("shape").get<nn::Shape>();
  const auto range = input.at("range").get<std::vector<double>>();
  nn::Tensor t(shape);
  const std::int64_t h = shape[1], w = shape[2], c = shape[3];
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x)
      for (std::int64_t k = 0; k < c; ++k) {
        const double v = (7 * y + 3 * x + 11 * k) % 256;
        const double scaled = range[0] == 0 && range[1] == 1 ? v / 255 : range[0] == -1 ? v / 127.5 - 1 : v;
        t.data[(y * w + x) * c + k] = static_cast<float>(scaled);
      }
  return t;
}

class HumanModel : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(HumanModel, MatchesReferenceOnSyntheticInput) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const std::string name = GetParam();
  const auto golden = test::load_golden("human_" + name + ".json");
  const auto model_path = (std::filesystem::path(model_dir()) / "human" / (name + ".json")).string();
  std::vector<std::string> outputs;
  for (const auto& o : golden.at("outputs")) outputs.push_back(strip_output_index(o.at("name")));
  auto model = nn::import_tfjs_graph_model(model_path, outputs);
  nn::Tensor x = synthetic_input(golden.at("input"));
  auto results = model.graph.run({x});
  ASSERT_EQ(results.size(), golden.at("outputs").size());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& ref = golden["outputs"][i];
    EXPECT_EQ(results[i].shape, ref.at("shape").get<nn::Shape>()) << ref["name"];
    test::expect_close_to_reference(results[i].data, ref.at("values").get<std::vector<double>>(),
                                    name + "/" + ref["name"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(AllFaceModels, HumanModel,
                         ::testing::Values("mobilefacenet", "faceres", "mobileface", "blazeface", "facemesh", "iris",
                                           "emotion", "gear", "antispoof", "liveness", "age", "gender"));
