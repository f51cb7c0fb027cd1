// "dlib68": dlib's shape_predictor_68_face_landmarks.dat (Kazemi & Sullivan's ensemble of regression
// trees, trained by Davis King on iBUG 300-W), run on the detection box as face_recognition's
// face_landmarks does: the RGB image as dlib rgb_pixels, the box as an inclusive dlib::rectangle.
#include <cmath>
#include <exception>
#include <string>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "facekit/models.hpp"

namespace facekit {
namespace {

constexpr const char* kModelFile = "dlib/shape_predictor_68_face_landmarks.dat";
constexpr unsigned long kPointCount = 68;

// The file has passed the size check, so a failure here means damaged content. A damaged length field
// can make dlib try a huge allocation, hence std::exception and not only dlib::serialization_error.
dlib::shape_predictor load_predictor(const std::string& path) {
  dlib::shape_predictor predictor;
  try {
    dlib::deserialize(path) >> predictor;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::ModelCorrupt,
                path + ": not a readable dlib shape predictor (" + e.what() + "); " + model_fix_hint());
  }
  if (predictor.num_parts() != kPointCount)
    throw Error(ErrorCode::ModelCorrupt, path + ": a shape predictor for " + std::to_string(predictor.num_parts()) +
                                             " points, expected " + std::to_string(kPointCount) + "; " +
                                             model_fix_hint());
  return predictor;
}

// dlib rectangles are inclusive: a box at x with width w covers columns x .. x+w-1. Rounding both edges
// (not the width) gives back a dlib detector's rectangle exactly from the box dlib-hog reports.
dlib::rectangle to_dlib_rect(const Rect& box) {
  return dlib::rectangle(std::lround(box.x), std::lround(box.y), std::lround(box.right()) - 1,
                         std::lround(box.bottom()) - 1);
}

class DlibLandmarker final : public Landmarker {
 public:
  // The predictor is about 100 MB, so every instance shares the one loaded copy; prediction is const.
  DlibLandmarker()
      : predictor_(cached_model<dlib::shape_predictor>(kModelFile, [] {
          return load_predictor(require_model_file(kModelFile));
        })) {}

  std::string name() const override { return "dlib68"; }

  std::vector<Point> landmarks(const cv::Mat& rgb, const Detection& face) override {
    if (rgb.empty() || rgb.type() != CV_8UC3)
      throw Error(ErrorCode::InvalidArgument, "dlib68: expects a non-empty 8-bit RGB image");
    const dlib::rectangle box = to_dlib_rect(face.box);
    if (box.is_empty()) throw Error(ErrorCode::InvalidArgument, "dlib68: the face box is empty");
    // cv_image<rgb_pixel> reads the channels in memory order as R, G, B: right for our RGB Mat.
    const dlib::full_object_detection shape = (*predictor_)(dlib::cv_image<dlib::rgb_pixel>(rgb), box);
    std::vector<Point> points(shape.num_parts());
    for (unsigned long i = 0; i < shape.num_parts(); ++i)
      points[i] = {double(shape.part(i).x()), double(shape.part(i).y())};
    return points;
  }

 private:
  std::shared_ptr<const dlib::shape_predictor> predictor_;
};

}  // namespace

void register_dlib_landmarkers(Registry<Landmarker>& registry) {
  registry.add("dlib68", "dlib shape_predictor_68_face_landmarks (68 points, regression trees; iBUG 300-W)",
               [](const ComponentOptions& o) -> std::unique_ptr<Landmarker> {
                 o.check_known({});
                 return std::make_unique<DlibLandmarker>();
               });
}

}  // namespace facekit
