// "haar": OpenCV's Viola-Jones cascade (haarcascade_frontalface_default), set up as deepface's
// OpenCvClient does it: detectMultiScale3(scaleFactor 1.1, minNeighbors 10, outputRejectLevels) for the
// faces, then haarcascade_eye inside each face box for the two eye centres that the "eyes" aligner uses.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "facekit/models.hpp"

namespace facekit {
namespace {

struct HaarSettings {
  double scale_factor = 1.1;  // deepface: detectMultiScale3(img, 1.1, 10, ...)
  int min_neighbors = 10;
  int min_size = 0;           // smallest face side in pixels; 0 = the cascade's own 24x24 window
};

// The level weight detectMultiScale3 reports for a face is the sum of the weak-classifier votes of
// the cascade's last stage (only windows that pass every stage are reported). deepface hands this
// raw, unbounded number on as the confidence. We squash it with the logistic function: a boosted
// sum F is an additive log-odds estimate (Friedman, Hastie & Tibshirani 2000, "Additive logistic
// regression"), so 1/(1+exp(-F)) is the natural monotone map onto (0, 1). It keeps deepface's ranking
// exactly, but it is not a calibrated probability: the last stage's own threshold (about -3 for
// frontalface_default) means every reported face already has F >= -3.
float squash_level_weight(double level_weight) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-level_weight)));
}

cv::Point2d centre_of(const cv::Rect& r) { return {r.x + r.width / 2.0, r.y + r.height / 2.0}; }

class HaarDetector final : public Detector {
 public:
  explicit HaarDetector(const HaarSettings& settings) : settings_(settings) {
    load(face_cascade_, "opencv/haarcascade_frontalface_default.xml");
    load(eye_cascade_, "opencv/haarcascade_eye.xml");
  }

  std::string name() const override { return "haar"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) return {};
    // deepface passes its BGR image and OpenCV converts it with BGR2GRAY; RGB2GRAY on our RGB
    // image gives the very same grey values.
    cv::Mat grey;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);

    std::vector<cv::Rect> boxes;
    std::vector<int> reject_levels;
    std::vector<double> level_weights;
    const cv::Size min_size(settings_.min_size, settings_.min_size);
    face_cascade_.detectMultiScale(grey, boxes, reject_levels, level_weights, settings_.scale_factor,
                                   settings_.min_neighbors, 0, min_size, cv::Size(),
                                   /*outputRejectLevels=*/true);
    if (level_weights.size() != boxes.size())
      throw Error(ErrorCode::Internal, "haar: OpenCV returned " + std::to_string(level_weights.size()) +
                                           " level weights for " + std::to_string(boxes.size()) + " faces");

    // Best first by the raw weight: the squashed float score saturates at 1 for strong faces.
    std::vector<size_t> order(boxes.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return level_weights[a] > level_weights[b]; });

    std::vector<Detection> faces;
    faces.reserve(boxes.size());
    for (size_t i : order) {
      Detection d;
      const cv::Rect& b = boxes[i];
      d.box = {static_cast<double>(b.x), static_cast<double>(b.y), static_cast<double>(b.width),
               static_cast<double>(b.height)};
      d.score = squash_level_weight(level_weights[i]);
      find_eyes(grey, b, d);
      faces.push_back(std::move(d));
    }
    return faces;
  }

 private:
  static void load(cv::CascadeClassifier& cascade, const std::string& model_id) {
    const std::string path = require_model_file(model_id);
    if (!cascade.load(path))
      throw Error(ErrorCode::ModelCorrupt, "OpenCV could not load the cascade " + path);
  }

  // deepface's OpenCvClient.find_eyes: haarcascade_eye (1.1, 10) over the whole face box, keep the
  // two largest detections (the eye cascade often also fires on nostrils or eyebrows, and smaller
  // hits are the likelier false ones), and name them by image position: the one further right in the
  // image is the subject's left eye (deepface >= 0.0.86). Eyes stay unset unless two were found.
  void find_eyes(const cv::Mat& grey, const cv::Rect& face_box, Detection& face) {
    const cv::Rect inside = face_box & cv::Rect(0, 0, grey.cols, grey.rows);
    if (inside.empty()) return;
    std::vector<cv::Rect> eyes;
    eye_cascade_.detectMultiScale(grey(inside), eyes, 1.1, 10);
    if (eyes.size() < 2) return;
    std::partial_sort(eyes.begin(), eyes.begin() + 2, eyes.end(),
                      [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
    // deepface truncates the centres to ints; we keep the exact centre of each eye box.
    cv::Point2d first = centre_of(eyes[0]) + cv::Point2d(inside.tl());
    cv::Point2d second = centre_of(eyes[1]) + cv::Point2d(inside.tl());
    if (first.x < second.x) std::swap(first, second);
    face.left_eye = Point{first.x, first.y};
    face.right_eye = Point{second.x, second.y};
  }

  HaarSettings settings_;
  cv::CascadeClassifier face_cascade_;
  cv::CascadeClassifier eye_cascade_;
};

HaarSettings settings_from(const ComponentOptions& options) {
  options.check_known({"scale_factor", "min_neighbors", "min_size"});
  HaarSettings s;
  s.scale_factor = options.get_double("scale_factor", s.scale_factor);
  s.min_neighbors = options.get_int("min_neighbors", s.min_neighbors);
  s.min_size = options.get_int("min_size", s.min_size);
  // Each pyramid level shrinks the image by scale_factor, so it must exceed 1 or the scan never ends.
  if (!(s.scale_factor > 1.0))
    throw Error(ErrorCode::InvalidArgument, "haar: scale_factor must be greater than 1");
  if (s.min_neighbors < 0) throw Error(ErrorCode::InvalidArgument, "haar: min_neighbors must be >= 0");
  if (s.min_size < 0) throw Error(ErrorCode::InvalidArgument, "haar: min_size must be >= 0");
  return s;
}

}  // namespace

void register_haar_detector(Registry<Detector>& registry) {
  registry.add("haar",
               "OpenCV Haar cascade as in deepface (options: scale_factor=1.1, min_neighbors=10, "
               "min_size=0); eye centres from haarcascade_eye",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 return std::make_unique<HaarDetector>(settings_from(o));
               });
}

}  // namespace facekit
