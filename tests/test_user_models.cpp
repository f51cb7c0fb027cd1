// User-brought models: tiny nets written here in each format (ONNX ModelProto, Caffe prototxt +
// NetParameter, TensorFlow GraphDef) are registered with the real add path and run through OpenCV
// dnn's importers; the embedding is checked against the same net computed by hand in C++.
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "core/user_models.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "support/proto_writer.hpp"
#include "support/test_support.hpp"
#include "support/user_model_nets.hpp"

namespace fs = std::filesystem;
using facekit::Error;
using facekit::ErrorCode;
using namespace facekit::test;

namespace {

// Each test gets its own user model directory (FACEKIT_USER_MODELS).
class UserModels : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(std::string("user_models_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    setenv("FACEKIT_USER_MODELS", (dir_ / "registry").c_str(), 1);
  }
  void TearDown() override { unsetenv("FACEKIT_USER_MODELS"); }

  fs::path write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }
  // Registers `request` and checks create_embedder(name) against the hand computation.
  void expect_matches_reference(facekit::UserModelRequest request, const TinyNet& net) {
    const facekit::UserModel m = facekit::add_user_model(request);
    EXPECT_EQ(m.dim, net.dim());
    auto embedder = facekit::create_embedder(request.name);
    ASSERT_EQ(embedder->dim(), net.dim());
    const cv::Mat image = test_image(net.width, net.height);
    const std::vector<float> got = embedder->embed(image);
    const std::vector<float> want = net.reference(image, m.input);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << i;
  }

  fs::path dir_;
};

facekit::UserModelRequest request(const std::string& name, const fs::path& file, const std::string& input) {
  facekit::UserModelRequest r;
  r.name = name;
  r.file = file.string();
  r.input = input;
  return r;
}

// Runs add_user_model expecting an Error of `code`; returns the message.
std::string add_error(const facekit::UserModelRequest& r, ErrorCode code) {
  try {
    facekit::add_user_model(r);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "add_user_model(" << r.name << ") succeeded";
  return {};
}

}  // namespace

TEST_F(UserModels, OnnxConvGemmMatchesHandComputation) {
  const TinyNet net(6, 5, 4, TinyNet::Head::Flatten);  // non-square: width 6, height 5
  auto r = request("tiny-onnx", write("tiny.onnx", net.onnx(false)), "6x5");
  r.mean = "127.5";
  r.std = "64,128,32";
  expect_matches_reference(r, net);
}

TEST_F(UserModels, OnnxNhwcBgrInputMatchesHandComputation) {
  const TinyNet net(6, 5, 3, TinyNet::Head::Flatten);
  auto r = request("tiny-nhwc", write("tiny_nhwc.onnx", net.onnx(true)), "6x5");
  r.layout = "nhwc";
  r.channels = "bgr";
  r.mean = "10,20,30";
  r.std = "255";
  expect_matches_reference(r, net);
}

TEST_F(UserModels, CaffeConvInnerProductMatchesHandComputation) {
  const TinyNet net(6, 5, 4, TinyNet::Head::Flatten);
  auto r = request("tiny-caffe", write("tiny.prototxt", net.caffe_prototxt()), "6x5");
  r.weights = write("tiny.caffemodel", net.caffemodel()).string();
  r.channels = "bgr";
  r.mean = "93.594,104.7624,129.1863";
  expect_matches_reference(r, net);
}

TEST_F(UserModels, TensorflowConvMeanMatMulMatchesHandComputation) {
  const TinyNet net(6, 5, 4, TinyNet::Head::GlobalMean);
  auto r = request("tiny-tf", write("tiny.pb", net.tf_graphdef()), "6x5");
  r.mean = "127.5";
  r.std = "127.5";
  expect_matches_reference(r, net);
}

TEST_F(UserModels, TorchSequentialMatchesHandComputation) {
  const TinyNet net(6, 5, 4, TinyNet::Head::Flatten);
  auto r = request("tiny-torch", write("tiny.t7", net.torch_t7()), "6x5");
  r.std = "255";  // OpenFace's convention: RGB 0..1
  expect_matches_reference(r, net);
}

TEST_F(UserModels, PresetSuppliesInputAndDeepfaceThresholds) {
  const TinyNet net(112, 112, 128, TinyNet::Head::GlobalMean);  // SFace's shape: 112x112 in, 128 out
  facekit::UserModelRequest r = request("my-sface", write("sface.onnx", net.onnx(false)), "");
  r.preset = "sface";
  expect_matches_reference(r, net);
  const auto m = facekit::find_user_model("my-sface");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->input.width, 112);
  EXPECT_EQ(m->alignment, "arcface");
  EXPECT_EQ(facekit::create_embedder("my-sface")->preferred_alignment(), "arcface");
  // deepface/config/threshold.py: SFace cosine 0.593, euclidean_l2 1.055.
  const auto t = facekit::default_threshold("my-sface", facekit::Metric::Cosine);
  EXPECT_DOUBLE_EQ(t.value, 0.593);
  EXPECT_EQ(t.scale, 0);  // uncalibrated
  EXPECT_NE(t.source.find("deepface"), std::string::npos);
  EXPECT_DOUBLE_EQ(facekit::default_threshold("my-sface", facekit::Metric::EuclideanL2).value, 1.055);
}

TEST_F(UserModels, PresetWhoseSizeTheModelDoesNotGiveIsRefused) {
  const TinyNet net(112, 112, 64, TinyNet::Head::GlobalMean);  // 64 values, ArcFace gives 512
  auto r = request("not-arcface", write("small.onnx", net.onnx(false)), "");
  r.preset = "arcface";
  r.layout = "nchw";
  const std::string msg = add_error(r, ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("512"), std::string::npos) << msg;
  EXPECT_FALSE(facekit::find_user_model("not-arcface"));
}

TEST_F(UserModels, NotAnOnnxModelIsAClearError) {
  std::string random(4096, '\0');
  cv::RNG rng(7);
  for (char& c : random) c = static_cast<char>(rng.uniform(0, 256));
  for (const auto& [file, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"random.onnx", random}, {"empty.onnx", ""}, {"text.onnx", "this is a text file, not a model\n"}}) {
    const fs::path path = write(file, bytes);
    const std::string msg = add_error(request("bad", path, "8x8"), ErrorCode::ModelCorrupt);
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find("not an ONNX model"), std::string::npos) << msg;
  }
  EXPECT_TRUE(facekit::load_user_models().empty());
  EXPECT_FALSE(fs::exists(dir_ / "registry" / "bad.onnx"));  // the failed copy is cleaned up
}

TEST_F(UserModels, BadRequestsAreClearErrors) {
  const TinyNet net(6, 5, 4, TinyNet::Head::Flatten);
  const fs::path onnx = write("tiny.onnx", net.onnx(false));
  std::string msg = add_error(request("missing", dir_ / "nope.onnx", "6x5"), ErrorCode::FileNotFound);
  EXPECT_NE(msg.find("nope.onnx"), std::string::npos) << msg;
  // A flatten + fully connected head only runs on the size it was built for.
  msg = add_error(request("wrong-size", onnx, "8x8"), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("tiny.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("8x8"), std::string::npos) << msg;
  msg = add_error(request("bad-input", onnx, "6by5"), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("6by5"), std::string::npos) << msg;
  auto r = request("preset", onnx, "6x5");
  r.preset = "no-such-preset";
  msg = add_error(r, ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("no-such-preset"), std::string::npos) << msg;
  EXPECT_NE(msg.find("arcface"), std::string::npos) << msg;  // lists the valid ones
  msg = add_error(request("faceapi-resnet", onnx, "6x5"), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("built-in"), std::string::npos) << msg;
  facekit::add_user_model(request("mine", onnx, "6x5"));
  msg = add_error(request("mine", onnx, "6x5"), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("already exists"), std::string::npos) << msg;
}

TEST_F(UserModels, ChangedFileIsDetectedBySha256) {
  const TinyNet net(6, 5, 4, TinyNet::Head::Flatten);
  facekit::add_user_model(request("tiny-copy", write("tiny.onnx", net.onnx(false)), "6x5"));
  const fs::path copy = dir_ / "registry" / "tiny-copy.onnx";
  ASSERT_TRUE(fs::exists(copy));
  { std::ofstream(copy, std::ios::app) << "x"; }
  try {
    facekit::create_embedder("tiny-copy");
    FAIL() << "a changed model file loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::ModelCorrupt);
    EXPECT_NE(std::string(e.what()).find("sha256"), std::string::npos) << e.what();
  }
}

TEST_F(UserModels, SsdDetectorPresetDecodesDetectionOutputRows) {
  // Rows: image, label, score, x1, y1, x2, y2 (corners in 0..1). The second is under 0.5, the
  // third has its corners outside the image (clipped), the fourth is empty.
  const std::vector<float> rows = {0, 1, 0.9f, 0.1f, 0.2f, 0.5f, 0.6f,   0, 1, 0.3f, 0.f, 0.f, 1.f, 1.f,
                                   0, 1, 0.95f, 0.75f, -0.1f, 1.2f, 0.5f, 0, 1, 0.8f, 0.4f, 0.4f, 0.4f, 0.9f};
  auto r = request("my-ssd", write("ssd.onnx", TinyNet::fixed_ssd_onnx(300, 300, rows)), "");
  r.preset = "opencv-ssd";
  r.task = "detect";
  const facekit::UserModel m = facekit::add_user_model(r);
  EXPECT_EQ(m.input.width, 300);
  EXPECT_EQ(m.input.mean[1], 177.f);
  const cv::Mat image = test_image(40, 30);
  const auto faces = facekit::create_detector("my-ssd")->detect(image);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_FLOAT_EQ(faces[0].score, 0.95f);  // best first
  EXPECT_NEAR(faces[0].box.x, 0.75 * 40, 1e-4);
  EXPECT_NEAR(faces[0].box.y, 0, 1e-4);
  EXPECT_NEAR(faces[0].box.width, 0.25 * 40, 1e-4);
  EXPECT_NEAR(faces[0].box.height, 0.5 * 30, 1e-4);
  EXPECT_FLOAT_EQ(faces[1].score, 0.9f);
  EXPECT_NEAR(faces[1].box.x, 0.1 * 40, 1e-4);
  EXPECT_NEAR(faces[1].box.y, 0.2 * 30, 1e-4);
  EXPECT_NEAR(faces[1].box.width, 0.4 * 40, 1e-4);
  EXPECT_NEAR(faces[1].box.height, 0.4 * 30, 1e-4);
  EXPECT_EQ(facekit::create_detector("my-ssd:min_confidence=0.2")->detect(image).size(), 3u);
  // A detector is not an embedder, and a detector without a detector preset is refused.
  EXPECT_THROW(facekit::create_embedder("my-ssd"), Error);
  auto plain = request("plain-det", dir_ / "ssd.onnx", "300x300");
  plain.task = "detect";
  EXPECT_NE(add_error(plain, ErrorCode::InvalidArgument).find("opencv-ssd"), std::string::npos);
}
