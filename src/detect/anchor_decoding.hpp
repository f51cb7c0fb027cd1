// Decoding of the dense face-detector heads users bring as ONNX files (presets yunet, retinaface,
// scrfd; src/detect/user_model_detector.cpp runs the nets). Each function is the upstream decoder's
// arithmetic, named below, on raw float tensors; coordinates are in the network input's pixels.
// Every model here gives 5 keypoints in the same order: the eye on the image's left, the eye on its
// right, nose tip, mouth corner on the left, on the right (the WIDER FACE / ArcFace order).
#pragma once
#include <array>
#include <vector>

#include "detect/nms.hpp"
#include "facekit/types.hpp"

namespace facekit::detect {

struct AnchorFace {
  Corners box{};  // x1, y1, x2, y2
  double score = 0;
  std::array<Point, 5> keypoints{};
};

// YuNet as OpenCV 4.8+ runs face_detection_yunet_2023mar.onnx (modules/objdetect/src/face_detect.cpp,
// FaceDetectorYNImpl::postProcess), one stride: for the cell at (row, col) of a rows x cols grid,
// score = sqrt(clamp01(cls) * clamp01(obj)); cx = (col + bbox[0]) * stride, cy = (row + bbox[1]) * stride,
// w = exp(bbox[2]) * stride, h = exp(bbox[3]) * stride; keypoint k = ((col, row) + kps[2k..2k+1]) * stride.
// Tensors are row-major over the grid: cls, obj [N], bbox [N, 4], kps [N, 10]. Keeps score >= threshold.
void decode_yunet(const float* cls, const float* obj, const float* bbox, const float* kps, int rows, int cols,
                  int stride, double score_threshold, std::vector<AnchorFace>& out);

// SCRFD as insightface runs it (python-package/insightface/model_zoo/scrfd.py, SCRFD.forward with
// distance2bbox / distance2kps), one stride: `anchors_per_cell` anchors share the centre
// (col * stride, row * stride) of each cell (no half-cell offset), anchor index (row * cols + col) *
// anchors_per_cell + a; box = centre -/+ bbox * stride (left, top, right, bottom distances); keypoint
// k = centre + kps[2k..2k+1] * stride. Scores are already probabilities. Keeps score >= threshold.
void decode_scrfd(const float* scores, const float* bbox, const float* kps, int rows, int cols, int stride,
                  int anchors_per_cell, double score_threshold, std::vector<AnchorFace>& out);

// RetinaFace priors of biubug6/Pytorch_Retinaface (layers/functions/prior_box.py PriorBox with
// data/config.py cfg_mnet / cfg_re50: min_sizes [[16, 32], [64, 128], [256, 512]], steps [8, 16, 32]),
// in input pixels: for each step, ceil(height / step) x ceil(width / step) cells row-major, two square
// priors per cell (the step's two min sizes) centred at ((col + 0.5) * step, (row + 0.5) * step).
struct Prior {
  double cx = 0, cy = 0, w = 0, h = 0;
};
std::vector<Prior> retinaface_priors(int width, int height);
// biubug6 utils/box_utils.py decode / decode_landm with variances [0.1, 0.2]: centre = prior centre +
// loc[0..1] * 0.1 * prior size, size = prior size * exp(loc[2..3] * 0.2); keypoint k = prior centre +
// landms[2k..2k+1] * 0.1 * prior size. The score is conf[1] (the face column of the softmaxed
// [background, face] pair). loc [N, 4], conf [N, 2], landms [N, 10]. Keeps score > threshold (detect.py).
void decode_retinaface(const float* loc, const float* conf, const float* landms, const std::vector<Prior>& priors,
                       double score_threshold, std::vector<AnchorFace>& out);

// How an upstream NMS measures a box when it computes overlaps.
enum class NmsBoxMeasure {
  IntegerRect,     // OpenCV dnn::NMSBoxes over Rect2i(int(x1), int(y1), int(w), int(h)) (FaceDetectorYN)
  PixelInclusive,  // width = x2 - x1 + 1 (py_cpu_nms in biubug6 utils/nms, SCRFD.nms in insightface)
};

// Greedy NMS as those upstream decoders run it: candidates best first (equal scores: lower index
// first), at most `pre_nms_top_k` of them, an overlap > iou_threshold suppresses, at most
// `max_results` kept. Returns the kept faces, best first.
std::vector<AnchorFace> suppress_overlaps(std::vector<AnchorFace> faces, double iou_threshold, NmsBoxMeasure measure,
                                          int pre_nms_top_k, int max_results);

}  // namespace facekit::detect
