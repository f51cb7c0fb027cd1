// "none": no detection; the whole image is one face. For tight, pre-aligned crops (LFW-style chips,
// the face-api.js 150x150 examples) where a detector finds nothing or would cut the face further.
#include "core/registration.hpp"

namespace facekit {
namespace {

class WholeImageDetector final : public Detector {
 public:
  std::string name() const override { return "none"; }
  std::vector<Detection> detect(const cv::Mat& rgb) override {
    Detection d;
    d.box = {0, 0, static_cast<double>(rgb.cols), static_cast<double>(rgb.rows)};
    d.score = 1.f;
    return {d};
  }
};

}  // namespace

void register_basic_detectors(Registry<Detector>& registry) {
  registry.add("none", "no detection: the whole image is the face (pre-aligned crops)",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 o.check_known({});
                 return std::make_unique<WholeImageDetector>();
               });
}

}  // namespace facekit
