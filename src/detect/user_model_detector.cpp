// User-brought face detectors (`facekit models add NAME --preset opencv-ssd ...`) on OpenCV dnn.
// Decoder "ssd": the output is Caffe SSD DetectionOutput rows [image, label, score, x1, y1, x2, y2]
// with corners in 0..1 of the input, which the whole image was stretched to.
#include <algorithm>

#include "core/user_models.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

class UserModelDetector final : public Detector {
 public:
  UserModelDetector(UserModel model, float min_confidence)
      : model_(std::move(model)), min_confidence_(min_confidence), file_(require_user_model_file(model_)),
        net_(load_user_net(model_, file_, model_.weights.empty() ? "" : require_user_model_file(model_, true))) {}

  std::string name() const override { return model_.name; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    const std::vector<float> rows = run_user_net(net_, model_, rgb, file_);
    std::vector<Detection> faces;
    for (std::size_t r = 0; r + 7 <= rows.size(); r += 7) {
      const float* row = &rows[r];
      if (row[2] < min_confidence_) continue;
      const double x1 = std::clamp<double>(row[3], 0, 1) * rgb.cols, y1 = std::clamp<double>(row[4], 0, 1) * rgb.rows;
      const double x2 = std::clamp<double>(row[5], 0, 1) * rgb.cols, y2 = std::clamp<double>(row[6], 0, 1) * rgb.rows;
      if (x2 <= x1 || y2 <= y1) continue;
      Detection d;
      d.box = {x1, y1, x2 - x1, y2 - y1};
      d.score = row[2];
      faces.push_back(d);
    }
    std::stable_sort(faces.begin(), faces.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
    return faces;
  }

 private:
  UserModel model_;
  float min_confidence_;
  std::string file_;
  cv::dnn::Net net_;
};

}  // namespace

std::unique_ptr<Detector> create_user_detector(const ComponentOptions& options) {
  auto model = find_user_model(options.name());
  if (!model || model->task != "detect") return nullptr;
  options.check_known({"min_confidence"});
  if (model->decoder != "ssd")
    throw Error(ErrorCode::Unsupported, "user detector '" + model->name + "' has unknown decoder '" + model->decoder + "'");
  // 0.5 unless min_confidence= says otherwise (not calibrated here: no such model in any registry).
  return std::make_unique<UserModelDetector>(std::move(*model), float(options.get_double("min_confidence", 0.5)));
}

}  // namespace facekit
