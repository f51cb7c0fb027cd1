// `facekit models add / remove` and `--model NAME` with a user model, through the CLI binary.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "facekit/models.hpp"
#include "support/test_support.hpp"
#include "support/user_model_nets.hpp"

namespace fs = std::filesystem;
using facekit::test::run_command;

namespace {

struct CliFixture {
  fs::path dir;
  std::string env;  // FACEKIT_USER_MODELS=... prefix
  std::string cli;

  explicit CliFixture(const std::string& name)
      : dir(facekit::test::temp_dir("user_models_cli_" + name)),
        env("FACEKIT_USER_MODELS='" + (dir / "registry").string() + "' "),
        cli("'" + facekit::test::cli_path() + "'") {}
  facekit::test::CommandResult run(const std::string& args) const { return run_command(env + cli + " " + args); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return "'" + (dir / name).string() + "'";
  }
};

const nlohmann::json* find_row(const nlohmann::json& rows, const std::string& name) {
  for (const auto& r : rows)
    if (r["name"] == name) return &r;
  return nullptr;
}

}  // namespace

TEST(UserModelsCli, AddListRepresentRemove) {
  const CliFixture f("roundtrip");
  const facekit::test::TinyNet net(6, 5, 4, facekit::test::TinyNet::Head::Flatten);
  const std::string onnx = f.write("tiny.onnx", net.onnx(false));
  auto added = f.run("models add my-net --file " + onnx + " --input 6x5 --mean 127.5 --std 128");
  ASSERT_EQ(added.status, 0) << added.err;

  auto listed = f.run("models --json");
  ASSERT_EQ(listed.status, 0) << listed.err;
  const auto rows = nlohmann::json::parse(listed.out);
  const auto* row = find_row(rows, "my-net");
  ASSERT_TRUE(row) << listed.out;
  EXPECT_EQ((*row)["source"], "user");
  EXPECT_EQ((*row)["task"], "embed");
  EXPECT_EQ((*row)["output_dim"], 4);
  EXPECT_EQ((*row)["sha256"], facekit::sha256_file((f.dir / "tiny.onnx").string()));
  EXPECT_TRUE((*row)["available"].get<bool>());
  EXPECT_TRUE(find_row(rows, "faceapi-resnet"));  // built-ins still listed

  // --model NAME works like a built-in one: the whole 6x5 image as the face.
  cv::imwrite((f.dir / "face.png").string(), facekit::test::test_image(6, 5));
  auto rep = f.run("represent '" + (f.dir / "face.png").string() + "' --model my-net --detector none --align none --json");
  ASSERT_EQ(rep.status, 0) << rep.err;
  const auto result = nlohmann::json::parse(rep.out);
  ASSERT_EQ(result["results"].size(), 1u) << rep.out;
  EXPECT_EQ(result["results"][0]["embedding"].size(), 4u);

  auto removed = f.run("models remove my-net");
  EXPECT_EQ(removed.status, 0) << removed.err;
  EXPECT_FALSE(find_row(nlohmann::json::parse(f.run("models --json").out), "my-net"));
  EXPECT_FALSE(fs::exists(f.dir / "registry" / "my-net.onnx"));
  auto again = f.run("models remove my-net");
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("my-net"), std::string::npos) << again.err;
}

TEST(UserModelsCli, BadAddsExitNonZeroNamingTheProblem) {
  const CliFixture f("bad");
  const facekit::test::TinyNet net(6, 5, 4, facekit::test::TinyNet::Head::Flatten);
  const std::string onnx = f.write("tiny.onnx", net.onnx(false));
  const std::string text = f.write("notes.onnx", "not a model\n");
  struct Case {
    std::string args;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"models add a --file " + text + " --input 6x5", 5, "notes.onnx"},
      {"models add a --file '" + (f.dir / "absent.onnx").string() + "' --input 6x5", 3, "absent.onnx"},
      {"models add a --file " + onnx + " --input 9x9", 2, "9x9"},
      {"models add a --file " + onnx + " --input 6x", 2, "6x"},
      {"models add a --file " + onnx + " --preset nope", 2, "unknown preset 'nope'"},
      {"models add ssd --file " + onnx + " --input 6x5", 2, "built-in"},
      {"models add a --file " + onnx + " --input 6x5 --layout chwn", 2, "chwn"},
  };
  for (const auto& c : cases) {
    auto r = f.run(c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
  }
  ASSERT_EQ(f.run("models add a --file " + onnx + " --input 6x5").status, 0);
  auto twice = f.run("models add a --file " + onnx + " --input 6x5");
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("already exists"), std::string::npos) << twice.err;
}
