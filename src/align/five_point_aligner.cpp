// "5point": dlib's face chip, as dlib::get_face_chip_details(shape, size, padding) followed by
// dlib::extract_image_chip (dlib/image_transforms/interpolation.h), which is how dlib and
// face_recognition feed dlib's ResNet (150x150, padding 0.25).
//
// From 68 landmarks we take the five points of dlib's 5-point model (eye corners 36/39 and 42/45 and
// the nose base 33, which is where that model's template points sit in dlib's 68-point mean face) and
// use the 5-point template, rather than dlib's 68-point path (a fit to 51 points of the mean face).
// Why: dlib's face recognition example and face_recognition's default (model="small") make their
// chips this way, and dlib's 5-point template was built to reproduce the 68-point alignment; our 68
// points come from face-api.js's landmark net, not dlib's predictor, and its jaw, mouth and nose-
// bridge points follow that net's own habits, while eye corners and the nose base are the points any
// 68-point annotation pins down most tightly.
#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "align/aligners.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

// dlib's 5-point template (get_face_chip_details), in shape_predictor_5_face_landmarks order, in
// units of the unpadded chip side.
const std::array<cv::Point2d, 5> kDlibFivePointTemplate = {{
    {0.8595674595992, 0.2134981538014},  // subject's left eye, outer corner
    {0.6460604764104, 0.2289674387677},  // subject's left eye, inner corner
    {0.1205750620789, 0.2137274526848},  // subject's right eye, outer corner
    {0.3340850613712, 0.2290642403242},  // subject's right eye, inner corner
    {0.4901123135679, 0.6277975316475},  // nose base
}};
// The same five points as iBUG 68-point indices (0-based).
constexpr std::array<int, 5> kFivePointsIn68 = {45, 42, 36, 39, 33};

// How many times dlib's extract_image_chips halves the image (pyramid_down<2>) before sampling: while
// the chip's rectangle, halved once more, would still hold more pixels than the chip. Halving a dlib
// drectangle of width w (right - left + 1) gives (w - 1) / 2 + 1.
int pyramid_levels(double rect_side, int chip_side) {
  auto halved = [](double side) { return (side - 1) / 2 + 1; };
  const double chip_pixels = static_cast<double>(chip_side) * chip_side;
  int levels = 0;
  for (double side = rect_side; halved(side) * halved(side) > chip_pixels; side = halved(side)) ++levels;
  return levels;
}

// dlib samples a chip much smaller than its source from an image pyramid, so that bilinear
// interpolation does not alias. OpenCV's pyrDown uses the same 5-tap binomial filter; its samples sit
// exactly at even source pixels (level point = source point / 2), which we account for in the
// transform. Only the region the chip reads (plus dlib's filter margin) is filtered.
cv::Mat extract_face_chip(const cv::Mat& rgb, const FaceChipGeometry& geometry, int size) {
  const cv::Size chip_size(size, size);
  const Rect footprint = chip_footprint(geometry.chip_to_image, chip_size, rgb.size());
  if (footprint.area() <= 0) return cv::Mat::zeros(chip_size, rgb.type());

  const int levels = pyramid_levels(geometry.scale * size, size);
  const int margin = (4 << levels) - 2;  // dlib's border: 2, then 2 * border + 2 per level
  const cv::Rect region =
      cv::Rect(static_cast<int>(footprint.x) - margin, static_cast<int>(footprint.y) - margin,
               static_cast<int>(footprint.width) + 2 * margin, static_cast<int>(footprint.height) + 2 * margin) &
      cv::Rect(0, 0, rgb.cols, rgb.rows);
  cv::Mat source = rgb(region);
  for (int i = 0; i < levels; ++i) cv::pyrDown(source, source);

  const double shrink = std::ldexp(1.0, -levels);
  const cv::Matx23d& m = geometry.chip_to_image;
  const cv::Matx23d chip_to_source(m(0, 0) * shrink, m(0, 1) * shrink, (m(0, 2) - region.x) * shrink,
                                   m(1, 0) * shrink, m(1, 1) * shrink, (m(1, 2) - region.y) * shrink);
  return warp_chip(source, chip_to_source, chip_size, cv::INTER_LINEAR);
}

class FivePointAligner final : public Aligner {
 public:
  FivePointAligner(int size, double padding) : size_(size), padding_(padding) {}
  std::string name() const override { return "5point"; }
  bool needs_landmarks() const override { return true; }

  cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const override {
    if (face.landmarks.empty())
      throw Error(ErrorCode::InvalidArgument, "5point alignment needs landmarks; choose a landmarker");
    const FaceChipGeometry geometry = face_chip_geometry(five_points_from(face.landmarks), size_, padding_);
    face.alignment = name();
    face.crop = chip_footprint(geometry.chip_to_image, cv::Size(size_, size_), rgb.size());
    record_chip_transform(face, geometry.chip_to_image);
    return extract_face_chip(rgb, geometry, size_);
  }

 private:
  int size_;
  double padding_;
};

}  // namespace

std::vector<Point> five_points_from(const std::vector<Point>& landmarks) {
  if (landmarks.size() == kFivePointsIn68.size()) return landmarks;
  const std::vector<Point> ibug = ibug68_points(landmarks, "5point alignment");
  std::vector<Point> five;
  for (int index : kFivePointsIn68) five.push_back(ibug[index]);
  return five;
}

FaceChipGeometry face_chip_geometry(const std::vector<Point>& five_points, int size, double padding) {
  if (five_points.size() != kDlibFivePointTemplate.size())
    throw Error(ErrorCode::InvalidArgument, "face_chip_geometry needs 5 points");
  // Template points in chip pixels: padding widens the template's unit square on every side.
  std::vector<cv::Vec2d> chip_points(5), image_points(5);
  for (std::size_t i = 0; i < chip_points.size(); ++i) {
    const cv::Point2d p = kDlibFivePointTemplate[i];
    chip_points[i] = cv::Vec2d((padding + p.x) / (2 * padding + 1), (padding + p.y) / (2 * padding + 1)) * size;
    image_points[i] = cv::Vec2d(five_points[i].x, five_points[i].y);
  }
  const Similarity template_to_image = fit_similarity(chip_points, image_points);

  FaceChipGeometry g;
  g.scale = std::hypot(template_to_image.a, template_to_image.b);
  g.angle = std::atan2(template_to_image.b, template_to_image.a);
  if (!(g.scale > 0) || !std::isfinite(g.scale))
    throw Error(ErrorCode::InvalidArgument, "5point alignment: landmarks are degenerate (all at one point)");

  // dlib keeps only angle, scale and the image point under the template's centre (size/2, size/2),
  // as a rectangle of side size*scale (centered_drect: right - left = size*scale - 1), and maps chip
  // pixel 0 to its left edge and pixel size-1 to its right edge. So one chip pixel spans
  // (size*scale - 1) / (size - 1) image pixels, not exactly `scale`; we reproduce that.
  const cv::Vec2d centre = template_to_image(cv::Vec2d(size / 2.0, size / 2.0));
  const double step = (size * g.scale - 1) / (size - 1);
  const double c = std::cos(g.angle) * step, s = std::sin(g.angle) * step;
  const double half = (size - 1) / 2.0;
  g.chip_to_image = cv::Matx23d(c, -s, centre[0] - (c - s) * half, s, c, centre[1] - (s + c) * half);
  return g;
}

void register_five_point_aligner(Registry<Aligner>& registry) {
  registry.add("5point",
               "dlib's face chip from 5 points (eye corners, nose base) of the 68 landmarks "
               "(options: size=150, padding=0.25)",
               [](const ComponentOptions& o) -> std::unique_ptr<Aligner> {
                 o.check_known({"size", "padding"});
                 const int size = o.get_int("size", 150);
                 const double padding = o.get_double("padding", 0.25);
                 // dlib maps chip pixels 0 and size-1 to opposite edges, so it needs two pixels; the
                 // upper bound only stops a typo from allocating gigabytes.
                 if (size < 2 || size > 4096)
                   throw Error(ErrorCode::InvalidArgument, "5point: size must be between 2 and 4096");
                 if (!(padding >= 0) || !std::isfinite(padding))
                   throw Error(ErrorCode::InvalidArgument, "5point: padding must be >= 0");
                 return std::make_unique<FivePointAligner>(size, padding);
               });
}

}  // namespace facekit
