// "dlib-hog": dlib's frontal face detector (HOG features + five linear SVMs, the model built into
// dlib, so no model file), run as face_recognition's face_locations(img) runs it through dlib's Python
// binding: pyramid_up the RGB image `upsample` times, detect, map the boxes back down, trim them to
// the image.
#include <algorithm>
#include <cmath>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include "core/registration.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

struct DlibHogSettings {
  // face_recognition's number_of_times_to_upsample=1: the smallest face the 80x80 HOG window finds
  // then is about 40x40 pixels.
  int upsample = 1;
  // Added to the SVM threshold: negative finds more (and weaker) faces.
  double adjust_threshold = 0.0;
};

// Each upsampling step quadruples the pixels; beyond this a camera photo no longer fits in memory.
constexpr int kMaxUpsample = 3;

// dlib reports the SVM margin w.x - b, which is >= adjust_threshold for every reported face. A margin is
// not a log-odds, but the logistic function is the usual monotone map of an SVM output onto (0, 1)
// (Platt scaling with slope 1 and no offset): it keeps dlib's ranking, gives 0.5 at the SVM's own
// decision boundary, and is not a calibrated probability.
float squash_svm_margin(double margin) { return static_cast<float>(1.0 / (1.0 + std::exp(-margin))); }

// dlib rectangles are inclusive (right = left + width - 1); ours are x, y, width, height. Trimmed to the
// image as face_recognition's _trim_css_to_bounds does (the HOG window can overhang the border).
Rect to_image_rect(const dlib::rectangle& r, int image_width, int image_height) {
  const long left = std::max(r.left(), 0L), top = std::max(r.top(), 0L);
  const long right = std::min(r.right(), long(image_width) - 1), bottom = std::min(r.bottom(), long(image_height) - 1);
  return {double(left), double(top), double(right - left + 1), double(bottom - top + 1)};
}

// get_frontal_face_detector() decodes and deserialises the model embedded in dlib's source (about half a
// second); copying the result takes microseconds, so each detector copies one decoded prototype.
const dlib::frontal_face_detector& frontal_face_detector_prototype() {
  static const dlib::frontal_face_detector prototype = dlib::get_frontal_face_detector();
  return prototype;
}

class DlibHogDetector final : public Detector {
 public:
  explicit DlibHogDetector(const DlibHogSettings& settings)
      : settings_(settings), detector_(frontal_face_detector_prototype()) {}

  std::string name() const override { return "dlib-hog"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) return {};
    if (rgb.type() != CV_8UC3) throw Error(ErrorCode::InvalidArgument, "dlib-hog: expects an 8-bit RGB image");
    // cv_image<rgb_pixel> reads the three channels in memory order as R, G, B: right for our RGB Mat.
    const dlib::cv_image<dlib::rgb_pixel> image(rgb);

    std::vector<dlib::rect_detection> found;
    dlib::pyramid_down<2> pyramid;
    if (settings_.upsample == 0) {
      detector_(image, found, settings_.adjust_threshold);
    } else {
      dlib::array2d<dlib::rgb_pixel> upsampled;
      dlib::pyramid_up(image, upsampled, pyramid);
      for (int step = 1; step < settings_.upsample; ++step) dlib::pyramid_up(upsampled, pyramid);
      detector_(upsampled, found, settings_.adjust_threshold);
      for (auto& d : found) d.rect = pyramid.rect_down(d.rect, settings_.upsample);
    }

    // dlib already returns them best first (it sorts before its non-max suppression); keep that
    // explicit, on the raw margin, since the squashed float score can tie.
    std::stable_sort(found.begin(), found.end(), [](const dlib::rect_detection& a, const dlib::rect_detection& b) {
      return a.detection_confidence > b.detection_confidence;
    });
    std::vector<Detection> faces;
    faces.reserve(found.size());
    for (const auto& d : found) {
      Detection face;
      face.box = to_image_rect(d.rect, rgb.cols, rgb.rows);
      face.score = squash_svm_margin(d.detection_confidence);
      faces.push_back(std::move(face));
    }
    return faces;
  }

 private:
  DlibHogSettings settings_;
  // Not shared: detection keeps its feature pyramid inside the detector object.
  dlib::frontal_face_detector detector_;
};

DlibHogSettings settings_from(const ComponentOptions& options) {
  options.check_known({"upsample", "adjust_threshold"});
  DlibHogSettings s;
  s.upsample = options.get_int("upsample", s.upsample);
  s.adjust_threshold = options.get_double("adjust_threshold", s.adjust_threshold);
  if (s.upsample < 0 || s.upsample > kMaxUpsample)
    throw Error(ErrorCode::InvalidArgument,
                "dlib-hog: upsample must be between 0 and " + std::to_string(kMaxUpsample));
  if (!std::isfinite(s.adjust_threshold))
    throw Error(ErrorCode::InvalidArgument, "dlib-hog: adjust_threshold must be a finite number");
  return s;
}

}  // namespace

void register_dlib_hog_detector(Registry<Detector>& registry) {
  registry.add("dlib-hog",
               "dlib's HOG + linear SVM frontal face detector as face_recognition runs it "
               "(options: upsample=1, adjust_threshold=0); no model file",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 return std::make_unique<DlibHogDetector>(settings_from(o));
               });
}

}  // namespace facekit
