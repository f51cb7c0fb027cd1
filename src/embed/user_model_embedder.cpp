// User-brought embedders (src/core/user_models.hpp) on OpenCV dnn's own importers: readNetFromONNX,
// readNetFromCaffe, readNetFromTensorflow, readNetFromTorch. The face chip is prepared as the
// registration says (size, resize mode, channel order, mean/std, layout) and the named output (or
// the net's last) is the embedding.
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "core/user_models.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

const char* format_title(const std::string& format) {
  if (format == "onnx") return "an ONNX model";
  if (format == "caffe") return "a Caffe model (prototxt + caffemodel)";
  if (format == "tf") return "a TensorFlow frozen graph";
  return "a Torch7 model";
}

// OpenCV's messages span lines and carry source locations; the first line that says what is wrong.
std::string opencv_reason(const cv::Exception& e) {
  std::string msg = e.err.empty() ? e.what() : e.err;
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace

cv::dnn::Net load_user_net(const UserModel& m, const std::string& file, const std::string& weights) {
  cv::dnn::Net net;
  try {
    if (m.format == "onnx") net = cv::dnn::readNetFromONNX(file);
    else if (m.format == "caffe") net = cv::dnn::readNetFromCaffe(file, weights);
    else if (m.format == "tf") net = cv::dnn::readNetFromTensorflow(file, weights);
    else if (m.format == "torch") net = cv::dnn::readNetFromTorch(file);
    else throw Error(ErrorCode::Unsupported, "user model '" + m.name + "' has unknown format " + m.format);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::ModelCorrupt,
                "model file " + file + " is not " + format_title(m.format) + " OpenCV can read: " + opencv_reason(e));
  }
  if (net.empty() || net.getLayerNames().empty())
    throw Error(ErrorCode::ModelCorrupt, "model file " + file + " is not " + format_title(m.format) + ": it holds no layers");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

namespace {

// RGB chip -> the model's input blob.
cv::Mat make_blob(const cv::Mat& face_rgb, const InputSpec& in) {
  cv::Mat sized;
  if (in.resize == "letterbox") {
    // deepface preprocessing.resize_image: scale to fit, then pad with black, centred.
    const double factor = std::min(double(in.height) / face_rgb.rows, double(in.width) / face_rgb.cols);
    const int w = std::max(1, int(face_rgb.cols * factor)), h = std::max(1, int(face_rgb.rows * factor));
    cv::Mat resized;
    cv::resize(face_rgb, resized, {w, h});
    const int top = (in.height - h) / 2, left = (in.width - w) / 2;
    cv::copyMakeBorder(resized, sized, top, in.height - h - top, left, in.width - w - left, cv::BORDER_CONSTANT, 0);
  } else if (face_rgb.cols != in.width || face_rgb.rows != in.height) {
    cv::resize(face_rgb, sized, {in.width, in.height});
  } else {
    sized = face_rgb;
  }
  cv::Mat ordered;
  if (in.channels == "bgr") cv::cvtColor(sized, ordered, cv::COLOR_RGB2BGR);
  else ordered = sized;
  cv::Mat values;
  ordered.convertTo(values, CV_32FC3);
  const int h = in.height, w = in.width;
  if (in.layout == "nhwc") {
    const int dims[] = {1, h, w, 3};
    cv::Mat blob(4, dims, CV_32F);
    float* out = blob.ptr<float>();
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c)
          *out++ = (values.at<cv::Vec3f>(y, x)[c] - in.mean[c]) / in.std[c];
    return blob;
  }
  const int dims[] = {1, 3, h, w};
  cv::Mat blob(4, dims, CV_32F);
  for (int c = 0; c < 3; ++c) {
    float* out = blob.ptr<float>(0, c);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) *out++ = (values.at<cv::Vec3f>(y, x)[c] - in.mean[c]) / in.std[c];
  }
  return blob;
}

}  // namespace

namespace {

// Sets the prepared input; OpenCV's TensorFlow importer takes NCHW blobs whatever the graph's
// data_format (it converts).
void set_user_input(cv::dnn::Net& net, const UserModel& m, const cv::Mat& rgb) {
  InputSpec in = m.input;
  if (m.format == "tf") in.layout = "nchw";
  net.setInput(make_blob(rgb, in));
}

[[noreturn]] void does_not_run(const UserModel& m, const std::string& file, const cv::Exception& e) {
  throw Error(ErrorCode::InvalidArgument, "model file " + file + " does not run on a " + std::to_string(m.input.width) +
                                              "x" + std::to_string(m.input.height) + " " + m.input.layout +
                                              " input (wrong --input or --layout?): " + opencv_reason(e));
}

}  // namespace

std::vector<float> run_user_net(cv::dnn::Net& net, const UserModel& m, const cv::Mat& face_rgb, const std::string& file) {
  cv::Mat out;
  try {
    set_user_input(net, m, face_rgb);
    out = m.output.empty() ? net.forward() : net.forward(m.output);
  } catch (const cv::Exception& e) {
    does_not_run(m, file, e);
  }
  if (out.depth() != CV_32F || out.total() == 0)
    throw Error(ErrorCode::ModelCorrupt, "model file " + file + ": output " + (m.output.empty() ? "(last)" : m.output) +
                                             " is empty or not float");
  const float* p = out.ptr<float>();
  return {p, p + out.total()};
}

std::vector<cv::Mat> run_user_net_outputs(cv::dnn::Net& net, const UserModel& m, const cv::Mat& rgb,
                                          const std::string& file, const std::vector<std::string>& names) {
  std::vector<cv::Mat> outs;
  try {
    set_user_input(net, m, rgb);
    net.forward(outs, std::vector<cv::String>(names.begin(), names.end()));
  } catch (const cv::Exception& e) {
    does_not_run(m, file, e);
  }
  for (std::size_t i = 0; i < outs.size(); ++i)
    if (outs[i].depth() != CV_32F)
      throw Error(ErrorCode::ModelCorrupt, "model file " + file + ": output " + names[i] + " is not float");
  return outs;
}

namespace {

class UserModelEmbedder final : public Embedder {
 public:
  explicit UserModelEmbedder(UserModel model)
      : model_(std::move(model)), file_(require_user_model_file(model_)),
        net_(load_user_net(model_, file_, model_.weights.empty() ? "" : require_user_model_file(model_, true))) {}

  std::string name() const override { return model_.name; }
  int dim() const override { return model_.dim; }
  int input_size() const override { return model_.input.width; }
  std::string preferred_alignment() const override { return model_.alignment; }

  std::vector<float> embed(const cv::Mat& face_rgb) override {
    if (face_rgb.empty()) throw Error(ErrorCode::InvalidArgument, "empty face image");
    auto v = run_user_net(net_, model_, face_rgb, file_);
    if (int(v.size()) != model_.dim)
      throw Error(ErrorCode::ModelCorrupt, "user model '" + model_.name + "' gave " + std::to_string(v.size()) +
                                               " values, registered with " + std::to_string(model_.dim));
    return v;
  }

 private:
  UserModel model_;
  std::string file_;
  cv::dnn::Net net_;  // not shareable across threads: one per embedder instance
};

}  // namespace

int probe_user_model(const UserModel& model, const std::string& file, const std::string& weights) {
  cv::dnn::Net net = load_user_net(model, file, weights);
  const cv::Mat grey(model.input.height, model.input.width, CV_8UC3, cv::Scalar(128, 128, 128));
  return static_cast<int>(run_user_net(net, model, grey, file).size());
}

std::unique_ptr<Embedder> create_user_embedder(const ComponentOptions& options) {
  auto model = find_user_model(options.name());
  if (!model || model->task != "embed") return nullptr;
  options.check_known({});
  return std::make_unique<UserModelEmbedder>(std::move(*model));
}

}  // namespace facekit
