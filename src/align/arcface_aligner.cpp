// "arcface": insightface's norm_crop: a similarity transform of five points (eye centres, nose tip,
// mouth corners) onto the ArcFace template of a 112x112 chip. The 112-px embedders (MobileFaceNet,
// MobileFace, ArcFace ONNX models) were trained on chips made this way.
#include <array>

#include <opencv2/imgproc.hpp>

#include "align/aligners.hpp"
#include "align/faceapi_geometry.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

// insightface/utils/face_align.py `arcface_dst` for 112x112, image left to right: the eye on the
// image's left, the eye on its right, nose tip, mouth corner on the left, on the right.
constexpr std::array<std::array<double, 2>, 5> kArcFaceTemplate112 = {{
    {38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}}};

// The same five points from 68 iBUG landmarks: eye centres (36-41 image-left eye, 42-47 image-right),
// nose tip 30, mouth corners 48 and 54.
std::vector<cv::Vec2d> arcface_points(const std::vector<Point>& landmarks) {
  const std::vector<Point> lm = ibug68_points(landmarks, "arcface alignment");
  const Point left = faceapi::centre(lm, 36, 42), right = faceapi::centre(lm, 42, 48);
  return {{left.x, left.y}, {right.x, right.y}, {lm[30].x, lm[30].y}, {lm[48].x, lm[48].y}, {lm[54].x, lm[54].y}};
}

class ArcFaceAligner final : public Aligner {
 public:
  explicit ArcFaceAligner(int size) : size_(size) {}
  std::string name() const override { return "arcface"; }
  bool needs_landmarks() const override { return true; }

  cv::Mat align(const cv::Mat& rgb, FaceRegion& face) const override {
    std::vector<cv::Vec2d> chip_points;
    for (const auto& p : kArcFaceTemplate112) chip_points.push_back(cv::Vec2d(p[0], p[1]) * (size_ / 112.0));
    const Similarity chip_to_image = fit_similarity(chip_points, arcface_points(face.landmarks));
    const cv::Matx23d m(chip_to_image.a, -chip_to_image.b, chip_to_image.translation[0], chip_to_image.b,
                        chip_to_image.a, chip_to_image.translation[1]);
    face.alignment = name();
    face.crop = chip_footprint(m, cv::Size(size_, size_), rgb.size());
    record_chip_transform(face, m);
    return warp_chip(rgb, m, cv::Size(size_, size_), cv::INTER_LINEAR);
  }

 private:
  int size_;
};

}  // namespace

void register_arcface_aligner(Registry<Aligner>& registry) {
  registry.add("arcface", "insightface's 5-point similarity to the ArcFace 112x112 template (option: size=112)",
               [](const ComponentOptions& o) -> std::unique_ptr<Aligner> {
                 o.check_known({"size"});
                 const int size = o.get_int("size", 112);
                 if (size < 16 || size > 1024) throw Error(ErrorCode::InvalidArgument, "arcface: size must be 16..1024");
                 return std::make_unique<ArcFaceAligner>(size);
               });
}

}  // namespace facekit
