// "facemesh": human 3.x's face mesh (MediaPipe FaceMesh, human-models facemesh.json) on the detector's
// box, as src/face/facemesh.ts runs it, with iris=1 the eyes refined by MediaPipe Iris (iris.json) as
// src/face/iris.ts does. 468 points (478 with the irises) in image coordinates; z in image pixels.
//
// Where we differ from human, and why:
// - human truncates every coordinate to an integer (Math.trunc in transformRawCoords); we keep
//   sub-pixel values, and scale z by the crop's pixels per model unit so it is in image pixels like x
//   and y (human leaves z in 192-input units).
// - rotate=1 turns the crop by the detector's eye line, which every detector with eyes gives (no turn
//   without eyes, e.g. dlib-hog), at any angle; human turns by BlazeFace's mouth-nose line, only above
//   0.2 rad, and rotates the whole image with nearest-neighbour sampling before a bilinear crop, where
//   we sample once, bilinearly, through the composed transform.
// - human 3.3.6 mirrors both eye crops for the iris model but un-mirrors only the left eye's output,
//   so the model sees the right eye as a left one and its answer is used unmirrored; we mirror only
//   the left eye, as tfjs-models' facemesh (which human's iris.ts comes from) does. The right eye's
//   refined points then differ from human's (mean 2.6-4.9 px on the golden photos, whose eyes are
//   30-57 px wide; neither is closer to the unrefined mesh on all three).
#include <cmath>

#include "align/facemesh.hpp"
#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "facekit/models.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit {
namespace {

using facemesh::Point3;

constexpr int kMeshValues = 468 * 3;
constexpr int kIrisValues = 76 * 3;

std::shared_ptr<const nn::ImportedModel> load_graph(const char* stem, std::vector<std::string> outputs) {
  return cached_model<nn::ImportedModel>(std::string("landmarks/") + stem, [stem, &outputs] {
    return nn::import_tfjs_graph_model(require_model_file(std::string(stem) + ".json"), outputs);
  });
}

// The first output with `count` values, checked (the graph is the user's file).
const nn::Tensor& output_with(const std::vector<nn::Tensor>& outputs, std::int64_t count, const char* model) {
  for (const nn::Tensor& t : outputs)
    if (t.size() == count) return t;
  throw Error(ErrorCode::ModelCorrupt, std::string(model) + ": no output with " + std::to_string(count) +
                                           " values; " + model_fix_hint());
}

std::shared_ptr<const nn::ImportedModel> load_mesh() { return load_graph("human/facemesh", {"output_mesh"}); }
std::shared_ptr<const nn::ImportedModel> load_iris() { return load_graph("human/iris", {}); }

std::vector<Point3> to_points(const nn::Tensor& t) {
  std::vector<Point3> points(static_cast<std::size_t>(t.size() / 3));
  for (std::size_t i = 0; i < points.size(); ++i)
    points[i] = {t.data[3 * i], t.data[3 * i + 1], t.data[3 * i + 2]};
  return points;
}

// iris.ts getEyeBox + the iris model + getEyeCoords for one eye, in mesh (192-input) units.
std::vector<Point3> run_iris(const nn::ImportedModel& iris, const std::vector<Point3>& mesh, const cv::Mat& face,
                             std::array<int, 2> corners, bool mirror) {
  const int size = facemesh::kIrisInputSize;
  const facemesh::Box box = facemesh::eye_box(mesh[corners[0]], mesh[corners[1]], facemesh::kDefaultIrisScale);
  const nn::Tensor crop =
      facemesh::crop_and_resize(face, facemesh::crop_to_source(box, face.size(), size), size, 1.f, mirror);
  std::vector<Point3> eye = to_points(output_with(iris.graph.run({crop}), kIrisValues, "iris"));
  for (Point3& p : eye) {
    const double rel_x = p.x / size;
    p = {(mirror ? 1 - rel_x : rel_x) * box.width() + box.x0, p.y / size * box.height() + box.y0, p.z};
  }
  return eye;
}

// iris.ts augmentIris: both eyes through the iris model, merged into the mesh (mesh units).
std::vector<Point3> refine_eyes(std::vector<Point3> mesh, const nn::Tensor& crop) {
  const auto iris = load_iris();
  const cv::Mat face(facemesh::kMeshInputSize, facemesh::kMeshInputSize, CV_32FC3, const_cast<float*>(crop.data.data()));
  const std::vector<Point3> left = run_iris(*iris, mesh, face, facemesh::kLeftEyeCorners, true);
  const std::vector<Point3> right = run_iris(*iris, mesh, face, facemesh::kRightEyeCorners, false);
  return facemesh::merge_iris(std::move(mesh), left, right);
}

class FaceMeshLandmarker final : public Landmarker {
 public:
  explicit FaceMeshLandmarker(const facemesh::MeshOptions& options) : options_(options) {
    load_mesh();  // a missing or broken model file fails here, not at the first face
    if (options.iris) load_iris();
  }

  std::string name() const override { return "facemesh"; }

  std::vector<Point> landmarks(const cv::Mat& rgb, const Detection& face) override {
    std::vector<Point> points;
    for (const Point3& p : facemesh::face_mesh(rgb, face, options_)) points.push_back({p.x, p.y});
    return points;
  }

 private:
  facemesh::MeshOptions options_;
};

}  // namespace

namespace facemesh {

std::vector<Point3> face_mesh(const cv::Mat& rgb, const Detection& face, const MeshOptions& options) {
  if (rgb.empty() || rgb.type() != CV_8UC3)
    throw Error(ErrorCode::InvalidArgument, "facemesh: expects a non-empty 8-bit RGB image");
  const Rect& b = face.box;
  if (!(b.width > 0 && b.height > 0)) throw Error(ErrorCode::InvalidArgument, "facemesh: the face box is empty");
  const Box box = enlarged_square({b.x, b.y, b.right(), b.bottom()}, options.box_scale);
  double angle = 0;
  if (options.rotate && face.left_eye && face.right_eye)
    angle = std::atan2(face.left_eye->y - face.right_eye->y, face.left_eye->x - face.right_eye->x);

  const nn::Tensor crop =
      crop_and_resize(rgb, crop_to_source(box, rgb.size(), kMeshInputSize, angle), kMeshInputSize, 1.f / 255.f);
  std::vector<Point3> points = to_points(output_with(load_mesh()->graph.run({crop}), kMeshValues, "facemesh"));
  if (options.iris) points = refine_eyes(std::move(points), crop);

  const cv::Matx23d m = model_to_image(box, kMeshInputSize, angle);
  const double z_scale = box.width() / kMeshInputSize;
  for (Point3& p : points)
    p = {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2), p.z * z_scale};
  return points;
}

}  // namespace facemesh

void register_facemesh_landmarkers(Registry<Landmarker>& registry) {
  registry.add("facemesh",
               "MediaPipe FaceMesh via human (468 points, 192x192 crop of the box enlarged 1.4x; options: "
               "scale=1.4, rotate=0 (turn the crop by the eye line), iris=0 (1: refine the eyes with MediaPipe "
               "Iris, 478 points))",
               [](const ComponentOptions& o) -> std::unique_ptr<Landmarker> {
                 o.check_known({"scale", "rotate", "iris"});
                 const double scale = o.get_double("scale", facemesh::kDefaultBoxScale);
                 if (!(scale >= 1 && scale <= 4))
                   throw Error(ErrorCode::InvalidArgument, "facemesh: scale must be between 1 and 4");
                 return std::make_unique<FaceMeshLandmarker>(
                     facemesh::MeshOptions{scale, o.get_bool("rotate", false), o.get_bool("iris", false)});
               });
}

}  // namespace facekit
