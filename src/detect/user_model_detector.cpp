// User-brought face detectors (`facekit models add NAME --preset P ...`) on OpenCV dnn.
// Decoder "ssd": the output is Caffe SSD DetectionOutput rows [image, label, score, x1, y1, x2, y2]
// with corners in 0..1 of the input, which the whole image was stretched to.
// Decoders "yunet", "retinaface", "scrfd": dense heads over strides 8, 16, 32 with 5 keypoints, decoded
// by src/detect/anchor_decoding.cpp. The image is scaled to fit the declared input and padded with
// black on the right and bottom (insightface SCRFD.detect's det_img; OpenCV FaceDetectorYN pads the
// same way to a multiple of 32), and boxes and keypoints are scaled back.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/user_models.hpp"
#include "detect/anchor_decoding.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

using detect::AnchorFace;
using detect::NmsBoxMeasure;

constexpr int kStrides[3] = {8, 16, 32};

class SsdRowDetector final : public Detector {
 public:
  SsdRowDetector(UserModel model, float min_confidence)
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

// What each anchor decoder expects and its upstream post-processing defaults.
struct AnchorDecoder {
  const char* name;
  double min_confidence;
  double iou_threshold;
  int pre_nms_top_k;
  int max_results;
  NmsBoxMeasure measure;
  const char* outputs;  // for errors: the outputs the preset expects
};

constexpr int kUnlimited = 1 << 30;

const AnchorDecoder* find_anchor_decoder(const std::string& name) {
  static const AnchorDecoder decoders[] = {
      // opencv_zoo models/face_detection_yunet/demo.py: --conf_threshold 0.9, --nms_threshold 0.3,
      // --top_k 5000 (before NMS); NMS is dnn::NMSBoxes on integer rectangles (face_detect.cpp).
      {"yunet", 0.9, 0.3, 5000, kUnlimited, NmsBoxMeasure::IntegerRect,
       "the 12 outputs of opencv_zoo face_detection_yunet_2023mar.onnx: cls_8, cls_16, cls_32, obj_8, obj_16, "
       "obj_32 ([1, cells, 1]), bbox_8, bbox_16, bbox_32 ([1, cells, 4]), kps_8, kps_16, kps_32 ([1, cells, 10])"},
      // biubug6 detect.py: --nms_threshold 0.4, --top_k 5000 before NMS, --keep_top_k 750 after it;
      // min_confidence is its --vis_thres 0.6 (what it draws as a face; --confidence_threshold 0.02
      // is for the WIDER FACE evaluation). py_cpu_nms measures boxes with +1 pixel.
      {"retinaface", 0.6, 0.4, 5000, 750, NmsBoxMeasure::PixelInclusive,
       "the 3 outputs of a biubug6/Pytorch_Retinaface convert_to_onnx.py export: loc [1, priors, 4], "
       "conf [1, priors, 2] (softmaxed), landms [1, priors, 10]"},
      // insightface scrfd.py: detect(threshold=0.5), nms_threshold 0.4 (+1 pixel boxes), max_num 0.
      {"scrfd", 0.5, 0.4, kUnlimited, kUnlimited, NmsBoxMeasure::PixelInclusive,
       "the 9 outputs of insightface SCRFD with keypoints (det_500m / det_2.5g / det_10g): score [cells*2, 1], "
       "bbox [cells*2, 4], kps [cells*2, 10] for strides 8, 16, 32 (2 anchors per cell)"},
  };
  for (const auto& d : decoders)
    if (name == d.name) return &d;
  return nullptr;
}

struct AnchorSettings {
  double min_confidence;
  double iou_threshold;
  int max_results;
};

std::string shape_text(const cv::Mat& m) {
  std::string s = "[";
  for (int i = 0; i < m.dims; ++i) {
    if (i) s += 'x';
    s += std::to_string(m.size[i]);
  }
  return s + "]";
}

class AnchorDetector final : public Detector {
 public:
  AnchorDetector(UserModel model, const std::string& file, const std::string& weights, AnchorSettings settings)
      : model_(std::move(model)), decoder_(*find_anchor_decoder(model_.decoder)), settings_(settings), file_(file),
        net_(load_user_net(model_, file_, weights)) {
    const int w = model_.input.width, h = model_.input.height;
    if (w % 32 != 0 || h % 32 != 0)
      throw Error(ErrorCode::InvalidArgument,
                  "user detector '" + model_.name + "': preset " + model_.decoder + " needs an input size divisible by 32 "
                  "(strides 8, 16, 32), not " + std::to_string(w) + "x" + std::to_string(h) + "; pass --input WxH");
    if (model_.decoder == "yunet") {
      for (const char* kind : {"cls", "obj", "bbox", "kps"})
        for (int s : kStrides) output_names_.push_back(std::string(kind) + "_" + std::to_string(s));
      std::string missing;
      for (const auto& n : output_names_)
        if (net_.getLayerId(n) < 0) missing += (missing.empty() ? "" : ", ") + n;
      if (!missing.empty()) layout_error("it has no output " + missing);
    } else {
      for (const auto& n : net_.getUnconnectedOutLayersNames()) output_names_.push_back(n);
    }
    if (model_.decoder == "retinaface") priors_ = detect::retinaface_priors(w, h);
  }

  std::string name() const override { return model_.name; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, "user detector '" + model_.name + "': empty image");
    const int in_w = model_.input.width, in_h = model_.input.height;
    // insightface SCRFD.detect: the side that limits sets the scale; the other is truncated.
    const double image_ratio = double(rgb.rows) / rgb.cols, model_ratio = double(in_h) / in_w;
    const int fit_w = image_ratio > model_ratio ? std::max(1, int(in_h / image_ratio)) : in_w;
    const int fit_h = image_ratio > model_ratio ? in_h : std::max(1, int(in_w * image_ratio));
    cv::Mat canvas = cv::Mat::zeros(in_h, in_w, rgb.type());
    cv::resize(rgb, canvas(cv::Rect(0, 0, fit_w, fit_h)), {fit_w, fit_h});
    outputs_ = run_user_net_outputs(net_, model_, canvas, file_, output_names_);

    std::vector<AnchorFace> candidates;
    if (model_.decoder == "yunet") decode_yunet(candidates);
    else if (model_.decoder == "retinaface") decode_retinaface(candidates);
    else decode_scrfd(candidates);
    const auto kept = detect::suppress_overlaps(std::move(candidates), settings_.iou_threshold, decoder_.measure,
                                                decoder_.pre_nms_top_k, settings_.max_results);

    const double sx = double(fit_w) / rgb.cols, sy = double(fit_h) / rgb.rows;
    std::vector<Detection> faces;
    for (const auto& f : kept) {
      Detection d;
      d.box = {f.box[0] / sx, f.box[1] / sy, (f.box[2] - f.box[0]) / sx, (f.box[3] - f.box[1]) / sy};
      d.score = static_cast<float>(f.score);
      for (const auto& p : f.keypoints) d.keypoints.push_back({p.x / sx, p.y / sy});
      d.right_eye = d.keypoints[0];  // the eye on the image's left is the subject's right eye
      d.left_eye = d.keypoints[1];
      faces.push_back(std::move(d));
    }
    return faces;
  }

 private:
  [[noreturn]] void layout_error(const std::string& what) const {
    std::string found;
    for (const auto& n : net_.getUnconnectedOutLayersNames()) found += (found.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::InvalidArgument, "user detector '" + model_.name + "' (model file " + file_ + "): preset " +
                                                model_.decoder + " expects " + decoder_.outputs + " at input " +
                                                std::to_string(model_.input.width) + "x" +
                                                std::to_string(model_.input.height) + ", but " + what +
                                                " (the file's outputs: " + found + ")");
  }

  // The output `index` as `per_cell * cells` floats, or a layout error.
  const float* values(std::size_t index, std::size_t cells, int per_cell) const {
    const cv::Mat& m = outputs_[index];
    if (m.total() != cells * per_cell)
      layout_error("output " + output_names_[index] + " has shape " + shape_text(m) + ", not " + std::to_string(cells) +
                   " x " + std::to_string(per_cell) + " values");
    return m.ptr<float>();
  }

  void decode_yunet(std::vector<AnchorFace>& out) const {
    for (int i = 0; i < 3; ++i) {
      const int rows = model_.input.height / kStrides[i], cols = model_.input.width / kStrides[i];
      const std::size_t cells = std::size_t(rows) * cols;
      detect::decode_yunet(values(i, cells, 1), values(3 + i, cells, 1), values(6 + i, cells, 4),
                           values(9 + i, cells, 10), rows, cols, kStrides[i], settings_.min_confidence, out);
    }
  }

  // The output with `per_prior` values in its last dimension (retinaface: 4 loc, 2 conf, 10 landms).
  std::size_t output_with_last_dim(int per_prior) const {
    std::size_t found = outputs_.size();
    for (std::size_t i = 0; i < outputs_.size(); ++i)
      if (outputs_[i].dims >= 2 && outputs_[i].size[outputs_[i].dims - 1] == per_prior) {
        if (found != outputs_.size()) layout_error("two outputs end in " + std::to_string(per_prior) + " values");
        found = i;
      }
    if (found == outputs_.size()) layout_error("no output ends in " + std::to_string(per_prior) + " values");
    return found;
  }

  void decode_retinaface(std::vector<AnchorFace>& out) const {
    if (outputs_.size() != 3) layout_error("it has " + std::to_string(outputs_.size()) + " outputs");
    const std::size_t loc = output_with_last_dim(4), conf = output_with_last_dim(2), landms = output_with_last_dim(10);
    detect::decode_retinaface(values(loc, priors_.size(), 4), values(conf, priors_.size(), 2),
                              values(landms, priors_.size(), 10), priors_, settings_.min_confidence, out);
  }

  void decode_scrfd(std::vector<AnchorFace>& out) const {
    constexpr int kAnchorsPerCell = 2;
    if (outputs_.size() != 9) layout_error("it has " + std::to_string(outputs_.size()) + " outputs");
    // insightface reads them by position (score_8..32, bbox_8..32, kps_8..32); OpenCV does not keep the
    // graph's output order, so each is recognised by its last dimension and its number of anchors.
    std::size_t slot[3][3];  // [kind: score, bbox, kps][stride]
    for (auto& kind : slot) std::fill(std::begin(kind), std::end(kind), outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const cv::Mat& m = outputs_[i];
      const int last = m.dims >= 2 ? m.size[m.dims - 1] : 1;
      const int kind = last == 4 ? 1 : last == 10 ? 2 : 0;
      const std::size_t anchors = m.total() / (kind == 0 ? 1 : last);
      bool placed = false;
      for (int s = 0; s < 3 && !placed; ++s) {
        const std::size_t expected = std::size_t(model_.input.height / kStrides[s]) * (model_.input.width / kStrides[s]) *
                                     kAnchorsPerCell;
        if (anchors != expected || slot[kind][s] != outputs_.size()) continue;
        slot[kind][s] = i;
        placed = true;
      }
      if (!placed) layout_error("output " + output_names_[i] + " " + shape_text(m) + " fits no stride");
    }
    for (int s = 0; s < 3; ++s) {
      const int rows = model_.input.height / kStrides[s], cols = model_.input.width / kStrides[s];
      const std::size_t n = std::size_t(rows) * cols * kAnchorsPerCell;
      detect::decode_scrfd(values(slot[0][s], n, 1), values(slot[1][s], n, 4), values(slot[2][s], n, 10), rows, cols,
                           kStrides[s], kAnchorsPerCell, settings_.min_confidence, out);
    }
  }

  UserModel model_;
  const AnchorDecoder& decoder_;
  AnchorSettings settings_;
  std::string file_;
  cv::dnn::Net net_;
  std::vector<std::string> output_names_;
  std::vector<detect::Prior> priors_;
  std::vector<cv::Mat> outputs_;  // of the last detect()
};

AnchorSettings anchor_settings(const AnchorDecoder& d, const ComponentOptions& options, const std::string& name) {
  AnchorSettings s{options.get_double("min_confidence", d.min_confidence), options.get_double("iou_threshold", d.iou_threshold),
                   options.get_int("max_results", d.max_results)};
  if (s.min_confidence < 0 || s.min_confidence >= 1)
    throw Error(ErrorCode::InvalidArgument, name + ": min_confidence must be in [0, 1)");
  if (s.iou_threshold < 0 || s.iou_threshold > 1)
    throw Error(ErrorCode::InvalidArgument, name + ": iou_threshold must be in [0, 1]");
  if (s.max_results < 1) throw Error(ErrorCode::InvalidArgument, name + ": max_results must be >= 1");
  return s;
}

}  // namespace

void probe_user_detector(const UserModel& model, const std::string& file, const std::string& weights) {
  const AnchorDecoder* decoder = find_anchor_decoder(model.decoder);
  if (!decoder) throw Error(ErrorCode::Internal, "probe_user_detector: decoder '" + model.decoder + "' has no anchors");
  AnchorDetector detector(model, file, weights, {decoder->min_confidence, decoder->iou_threshold, decoder->max_results});
  detector.detect(cv::Mat(model.input.height, model.input.width, CV_8UC3, cv::Scalar(128, 128, 128)));
}

std::unique_ptr<Detector> create_user_detector(const ComponentOptions& options) {
  auto model = find_user_model(options.name());
  if (!model || model->task != "detect") return nullptr;
  if (model->decoder == "ssd") {
    options.check_known({"min_confidence"});
    // 0.5 unless min_confidence= says otherwise (not calibrated here: no such model in any registry).
    return std::make_unique<SsdRowDetector>(std::move(*model), float(options.get_double("min_confidence", 0.5)));
  }
  const AnchorDecoder* decoder = find_anchor_decoder(model->decoder);
  if (!decoder)
    throw Error(ErrorCode::Unsupported, "user detector '" + model->name + "' has unknown decoder '" + model->decoder + "'");
  options.check_known({"min_confidence", "iou_threshold", "max_results"});
  const AnchorSettings settings = anchor_settings(*decoder, options, model->name);
  const std::string file = require_user_model_file(*model);
  const std::string weights = model->weights.empty() ? "" : require_user_model_file(*model, true);
  return std::make_unique<AnchorDetector>(std::move(*model), file, weights, settings);
}

}  // namespace facekit
