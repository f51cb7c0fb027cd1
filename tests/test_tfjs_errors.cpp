// The tfjs graph-model importer on small model.json + shard files written here: a well-formed one
// loads and computes relu(x + b) (checked by hand), and each damaged variant is a load-time Error
// whose message names the file and what is wrong.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "facekit/error.hpp"
#include "nn/tfjs_graph.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::Error;
using facekit::ErrorCode;

namespace {

const std::vector<float> kBias = {0.5f, -1.f, 2.f};

// y = relu(x + bias), x: [1, 3]; bias is the only weight (3 float32 = 12 bytes in one shard).
nlohmann::json tiny_model(const std::string& op = "Relu") {
  nlohmann::json dim = nlohmann::json::array({{{"size", "1"}}, {{"size", "3"}}});
  return {
      {"format", "graph-model"},
      {"modelTopology",
       {{"node",
         {{{"name", "x"}, {"op", "Placeholder"}, {"attr", {{"dtype", {{"type", "DT_FLOAT"}}}, {"shape", {{"shape", {{"dim", dim}}}}}}}},
          {{"name", "bias"}, {"op", "Const"}},
          {{"name", "sum"}, {"op", "AddV2"}, {"input", {"x", "bias"}}},
          {{"name", "y"}, {"op", op}, {"input", {"sum"}}}}}}},
      {"weightsManifest",
       {{{"paths", {"group1-shard1of1.bin"}},
         {"weights", {{{"name", "bias"}, {"shape", {3}}, {"dtype", "float32"}}}}}}},
  };
}

// Writes model.json (as given, or `text` verbatim) and a shard of `shard_floats` floats.
fs::path write_model(const std::string& test, const nlohmann::json& model, std::vector<float> shard_floats = kBias,
                     const std::string& text = "") {
  const fs::path dir = facekit::test::temp_dir("tfjs_" + test);
  std::ofstream(dir / "model.json") << (text.empty() ? model.dump() : text);
  std::ofstream shard(dir / "group1-shard1of1.bin", std::ios::binary);
  shard.write(reinterpret_cast<const char*>(shard_floats.data()), static_cast<std::streamsize>(shard_floats.size() * 4));
  return dir / "model.json";
}

// Runs the importer, expecting an Error of `code`; returns its message.
std::string load_error(const fs::path& path, ErrorCode code) {
  try {
    facekit::nn::import_tfjs_graph_model(path.string());
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << " loaded without error";
  return {};
}

}  // namespace

TEST(TfjsImporter, SmallModelComputesReluOfSum) {
  const fs::path path = write_model("ok", tiny_model());
  auto model = facekit::nn::import_tfjs_graph_model(path.string());
  ASSERT_EQ(model.input_names, std::vector<std::string>{"x"});
  const std::vector<float> x = {1.f, 0.5f, -3.f};
  auto out = model.graph.run({facekit::nn::Tensor({1, 3}, x)});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].data.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(out[0].data[i], std::max(0.f, x[i] + kBias[i])) << i;
}

TEST(TfjsImporter, UnsupportedOpNamesOpNodeAndModel) {
  const fs::path path = write_model("unsupported", tiny_model("Erfinv"));
  const std::string message = load_error(path, ErrorCode::Unsupported);
  EXPECT_NE(message.find("Erfinv"), std::string::npos) << message;
  EXPECT_NE(message.find("node y"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(TfjsImporter, TruncatedModelJsonIsCorrupt) {
  const std::string full = tiny_model().dump();
  const fs::path path = write_model("truncated_json", {}, kBias, full.substr(0, full.size() / 2));
  const std::string message = load_error(path, ErrorCode::ModelCorrupt);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
}

TEST(TfjsImporter, JsonThatIsNotAGraphModelIsCorrupt) {
  const fs::path path = write_model("not_graph", {{"format", "layers-model"}});
  const std::string message = load_error(path, ErrorCode::ModelCorrupt);
  EXPECT_NE(message.find("not a tfjs graph model"), std::string::npos) << message;
}

TEST(TfjsImporter, ShortWeightShardIsCorrupt) {
  const fs::path path = write_model("short_shard", tiny_model(), {0.5f, -1.f});  // 8 of 12 bytes
  const std::string message = load_error(path, ErrorCode::ModelCorrupt);
  EXPECT_NE(message.find("group1-shard1of1.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("bias"), std::string::npos) << message;
}

TEST(TfjsImporter, LongWeightShardIsCorrupt) {
  const fs::path path = write_model("long_shard", tiny_model(), {0.5f, -1.f, 2.f, 7.f});  // 16 of 12 bytes
  const std::string message = load_error(path, ErrorCode::ModelCorrupt);
  EXPECT_NE(message.find("group1-shard1of1.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("16 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("12"), std::string::npos) << message;
}

TEST(TfjsImporter, MissingShardIsModelMissing) {
  const fs::path path = write_model("missing_shard", tiny_model());
  fs::remove(path.parent_path() / "group1-shard1of1.bin");
  const std::string message = load_error(path, ErrorCode::ModelMissing);
  EXPECT_NE(message.find("group1-shard1of1.bin"), std::string::npos) << message;
}

TEST(TfjsImporter, MissingModelJsonIsModelMissing) {
  const fs::path path = facekit::test::temp_dir("tfjs_missing") / "model.json";
  const std::string message = load_error(path, ErrorCode::ModelMissing);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(TfjsImporter, NodeInputThatDoesNotExistIsCorrupt) {
  nlohmann::json model = tiny_model();
  model["modelTopology"]["node"][3]["input"] = {"no_such_node"};
  const std::string message = load_error(write_model("dangling", model), ErrorCode::ModelCorrupt);
  EXPECT_NE(message.find("no_such_node"), std::string::npos) << message;
}
