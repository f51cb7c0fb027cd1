// "blazeface": human 3.x's face detector, src/face/blazeface.ts getBoxes as human runs it by default
// (no `square` padding): the whole image stretched to 256x256 without keeping its aspect, v / 127.5 - 1,
// the graph through the tfjs importer, outputs merged and decoded against the anchors, sigmoid scores,
// tf.image.nonMaxSuppression, then boxes and keypoints scaled back (x by width/256, y by height/256).
// The box is the model's own box (human's scaledBox). human then enlarges it 1.4x and squares it: the
// crop facemesh gets, and face.box when the mesh is off. That is not the face's extent, so not done here.
#include "detect/blazeface.hpp"

#include <algorithm>
#include <cmath>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "facekit/error.hpp"
#include "nn/image_prep.hpp"
#include "nn/tfjs_graph.hpp"

namespace facekit::blazeface {

std::vector<AnchorLevel> human_anchor_levels(int input_size) { return {{input_size / 16, 2}, {input_size / 8, 6}}; }

std::vector<Anchor> generate_anchors(int input_size, const std::vector<AnchorLevel>& levels) {
  std::vector<Anchor> anchors;
  for (const AnchorLevel& level : levels) {
    const int grid = (input_size + level.stride - 1) / level.stride;
    for (int gy = 0; gy < grid; ++gy)
      for (int gx = 0; gx < grid; ++gx)
        for (int n = 0; n < level.per_cell; ++n)
          anchors.push_back(
              {static_cast<float>(level.stride * (gx + 0.5)), static_cast<float>(level.stride * (gy + 0.5))});
  }
  return anchors;
}

std::vector<Anchor> generate_anchors(int input_size) {
  return generate_anchors(input_size, human_anchor_levels(input_size));
}

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = {
      {"blazeface", "human/blazeface", 256, human_anchor_levels(256),
       "BlazeFace back model (human 3.x's default), 256x256"},
      {"blazeface-back", "human/blazeface-back", 256, human_anchor_levels(256),
       "human-models blazeface-back.json: the same weights as blazeface, 256x256"},
      {"blazeface-front", "human/blazeface-front", 128, human_anchor_levels(128),
       "human-models blazeface-front.json: BlazeFace front (selfie-range) model, 128x128"},
      {"facemesh-detection-short", "human/facemesh-detection-short", 128, human_anchor_levels(128),
       "MediaPipe face_detection_short_range (human-models facemesh-detection-short), 128x128"},
      // MediaPipe face_detection_full_range.pbtxt, SsdAnchorsCalculatorOptions: num_layers 1, strides 4,
      // aspect_ratios 1.0, interpolated_scale_aspect_ratio 0 (one anchor per cell), fixed_anchor_size,
      // anchor offsets 0.5: a 48x48 grid, 2304 anchors.
      {"facemesh-detection-full", "human/facemesh-detection-full", 192, {{4, 1}},
       "MediaPipe face_detection_full_range (human-models facemesh-detection-full), 192x192, small faces",
       "Identity:0"},
  };
  return all;
}

nn::Tensor merge_outputs(std::vector<nn::Tensor> outputs) {
  if (outputs.size() == 1) {
    nn::Tensor rows = std::move(outputs[0]);
    if (rows.size() % kRowSize != 0 || rows.shape.back() != kRowSize)
      throw Error(ErrorCode::Internal, "blazeface: output " + nn::shape_string(rows.shape) + " is not [1, N, 17]");
    rows.shape = {rows.size() / kRowSize, kRowSize};
    return rows;
  }
  if (outputs.size() != 4) {
    std::string shapes;
    for (const auto& o : outputs) shapes += " " + nn::shape_string(o.shape);
    throw Error(ErrorCode::Internal, "blazeface: expected 1 or 4 model outputs, got" + shapes);
  }
  std::stable_sort(outputs.begin(), outputs.end(), [](const nn::Tensor& a, const nn::Tensor& b) { return a.size() < b.size(); });
  // sorted: coarse scores, fine scores, coarse regressors, fine regressors
  const nn::Tensor* levels[2][2] = {{&outputs[1], &outputs[3]}, {&outputs[0], &outputs[2]}};
  std::int64_t total = 0;
  for (auto& level : levels) {
    const std::int64_t n = level[0]->size();
    if (level[1]->size() != n * (kRowSize - 1))
      throw Error(ErrorCode::Internal, "blazeface: outputs " + nn::shape_string(level[0]->shape) + " and " +
                                           nn::shape_string(level[1]->shape) + " do not pair up");
    total += n;
  }
  nn::Tensor rows({total, kRowSize});
  float* out = rows.ptr();
  for (auto& level : levels) {
    for (std::int64_t i = 0; i < level[0]->size(); ++i, out += kRowSize) {
      out[0] = level[0]->data[i];
      std::copy_n(level[1]->ptr() + i * (kRowSize - 1), kRowSize - 1, out + 1);
    }
  }
  return rows;
}

DecodedBoxes decode_boxes(const nn::Tensor& rows, const std::vector<Anchor>& anchors) {
  if (rows.rank() != 2 || rows.shape[1] != kRowSize || rows.shape[0] != static_cast<std::int64_t>(anchors.size()))
    throw Error(ErrorCode::Internal, "blazeface: " + nn::shape_string(rows.shape) + " rows for " +
                                         std::to_string(anchors.size()) + " anchors");
  DecodedBoxes out;
  out.boxes.reserve(anchors.size());
  out.scores.reserve(anchors.size());
  for (size_t i = 0; i < anchors.size(); ++i) {
    const float* r = rows.ptr() + i * kRowSize;
    // tfjs divides centre and size by the input size and multiplies back: powers of two, so the
    // float32 result is that of centre -/+ size / 2.
    const float cx = r[1] + anchors[i].x, cy = r[2] + anchors[i].y;
    const float half_w = r[3] / 2.f, half_h = r[4] / 2.f;
    out.boxes.push_back({cx - half_w, cy - half_h, cx + half_w, cy + half_h});
    out.scores.push_back(1.f / (1.f + std::exp(-r[0])));
  }
  return out;
}

std::vector<Point> decode_keypoints(const nn::Tensor& rows, int index, const Anchor& anchor, double scale_x,
                                    double scale_y) {
  const float* k = rows.ptr() + std::int64_t(index) * kRowSize + 5;
  std::vector<Point> points;
  for (int i = 0; i < kKeypointCount; ++i)
    points.push_back({(double(k[2 * i]) + anchor.x) * scale_x, (double(k[2 * i + 1]) + anchor.y) * scale_y});
  return points;
}

}  // namespace facekit::blazeface

namespace facekit {
namespace {

// Keypoint order of the model (human's facemeshcoords.ts blazeFaceLandmarks calls 0 and 1 leftEye and
// rightEye): on frontal photos keypoint 0 lies on the image's left, i.e. it is the subject's right eye.
constexpr int kSubjectRightEye = 0;
constexpr int kSubjectLeftEye = 1;

struct BlazeFaceModel {
  nn::ImportedModel model;
  std::vector<blazeface::Anchor> anchors;
};

class BlazeFaceDetector final : public Detector {
 public:
  BlazeFaceDetector(const blazeface::Variant& variant, double min_confidence, double iou_threshold, int max_results)
      : variant_(variant),
        min_confidence_(min_confidence),
        iou_threshold_(iou_threshold),
        max_results_(max_results),
        model_(load(variant)) {}

  std::string name() const override { return variant_.name; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    const int input_size = variant_.input_size;
    if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, std::string(variant_.name) + ": empty image");
    nn::Tensor x = nn::image_to_tensor(rgb);
    if (x.shape[1] != input_size || x.shape[2] != input_size) x = nn::resize_bilinear(x, input_size, input_size);
    for (float& v : x.data) v = v / 127.5f - 1.f;
    const nn::Tensor rows = blazeface::merge_outputs(model_->model.graph.run({std::move(x)}));
    const auto decoded = blazeface::decode_boxes(rows, model_->anchors);
    const auto kept = detect::tfjs_nms(decoded.boxes, decoded.scores, max_results_, iou_threshold_, min_confidence_);

    const double scale_x = double(rgb.cols) / input_size, scale_y = double(rgb.rows) / input_size;
    std::vector<Detection> faces;
    for (int idx : kept) {
      const auto& b = decoded.boxes[idx];
      Detection d;
      d.box = {b[0] * scale_x, b[1] * scale_y, (b[2] - b[0]) * scale_x, (b[3] - b[1]) * scale_y};
      d.score = static_cast<float>(decoded.scores[idx]);
      d.keypoints = blazeface::decode_keypoints(rows, idx, model_->anchors[idx], scale_x, scale_y);
      d.left_eye = d.keypoints[kSubjectLeftEye];
      d.right_eye = d.keypoints[kSubjectRightEye];
      faces.push_back(std::move(d));
    }
    return faces;
  }

 private:
  static std::shared_ptr<const BlazeFaceModel> load(const blazeface::Variant& variant) {
    const std::string model = variant.model;
    return cached_model<BlazeFaceModel>(model, [&] {
      require_model_file(model + ".bin");
      std::vector<std::string> outputs;
      if (variant.output) outputs.push_back(variant.output);
      return BlazeFaceModel{nn::import_tfjs_graph_model(require_model_file(model + ".json"), outputs),
                            blazeface::generate_anchors(variant.input_size, variant.levels)};
    });
  }

  const blazeface::Variant& variant_;
  double min_confidence_;
  double iou_threshold_;
  int max_results_;
  std::shared_ptr<const BlazeFaceModel> model_;
};

}  // namespace

void register_blazeface_detector(Registry<Detector>& registry) {
  // human's defaults are maxDetected 1 and minConfidence 0.2: one face per image, and at 0.2 the model
  // also scores hands and shirts (0.25 beside obama.jpg's face). facekit wants every face of a group
  // photo, so it keeps MediaPipe's own min_detection_confidence 0.5 and up to 100 faces;
  // "blazeface:min_confidence=0.2,max_results=1" is human exactly.
  for (const blazeface::Variant& variant : blazeface::variants()) {
    const std::string name = variant.name;
    registry.add(name,
                 std::string(variant.description) +
                     "; 6 keypoints and eyes; options: min_confidence=0.5, iou_threshold=0.1, max_results=100",
                 [&variant, name](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                   o.check_known({"min_confidence", "iou_threshold", "max_results"});
                   const double conf = o.get_double("min_confidence", 0.5);
                   const double iou = o.get_double("iou_threshold", 0.1);
                   const int max_results = o.get_int("max_results", 100);
                   if (conf < 0 || conf >= 1)
                     throw Error(ErrorCode::InvalidArgument, name + ": min_confidence must be in [0, 1)");
                   if (iou < 0 || iou > 1)
                     throw Error(ErrorCode::InvalidArgument, name + ": iou_threshold must be in [0, 1]");
                   if (max_results < 1) throw Error(ErrorCode::InvalidArgument, name + ": max_results must be >= 1");
                   return std::make_unique<BlazeFaceDetector>(variant, conf, iou, max_results);
                 });
  }
}

}  // namespace facekit
