// The preprocessing of well-known face models users bring (docs/user-models.md lists the sources).
//
// The embedder presets describe the files deepface distributes (serengil/deepface_models releases,
// loaded by deepface/models/facial_recognition/onnx/*.py): deepface hands every model a BGR face in
// 0..1 (representation.py flips its RGB face to BGR), letterboxed to the model's size by
// preprocessing.resize_image, with the default normalization "base" (no further change); the keras
// graphs it exported take NHWC. So mean 0, std 255, BGR, NHWC, letterbox. SFace is the exception:
// deepface runs it through OpenCV's FaceRecognizerSF, which feeds the opencv_zoo ONNX file
// blobFromImage(chip, 1, 112x112, 0, swapRB=true): RGB 0..255, NCHW.
// Input sizes and output sizes: each deepface client's input_shape / output_shape (DeepID's
// (47, 55) is width x height). Thresholds: deepface/config/threshold.py, uncalibrated for facekit.
#include "core/user_models.hpp"

#include "facekit/error.hpp"

namespace facekit {
namespace {

constexpr const char* kDeepfaceSource =
    "deepface (serengil/deepface): models/facial_recognition/onnx/<Model>.py input_shape/output_shape; "
    "modules/representation.py + preprocessing.py (BGR 0..1, letterbox, normalization 'base'); "
    "config/threshold.py thresholds (uncalibrated, from deepface)";

// deepface's BGR 0..1 NHWC convention at a given size.
InputSpec deepface_input(int width, int height) {
  return {width, height, "bgr", {0, 0, 0}, {255, 255, 255}, "nhwc", "letterbox"};
}

ModelPreset deepface_embedder(const char* name, int width, int height, int dim, const char* alignment,
                              PresetThresholds thresholds) {
  return {name, "embed", "onnx", deepface_input(width, height), "", dim, alignment, thresholds, kDeepfaceSource};
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> presets = {
      //                 name            W    H    dim   alignment  {cosine, euclidean, euclidean_l2}
      deepface_embedder("vgg-face",     224, 224, 4096, "5point",  {0.68, 1.17, 1.17}),
      deepface_embedder("facenet",      160, 160, 128,  "5point",  {0.40, 10, 0.80}),
      deepface_embedder("facenet512",   160, 160, 512,  "5point",  {0.30, 23.56, 1.04}),
      deepface_embedder("openface",     96,  96,  128,  "5point",  {0.10, 0.55, 0.55}),
      deepface_embedder("deepface",     152, 152, 4096, "5point",  {0.23, 64, 0.64}),
      deepface_embedder("deepid",       47,  55,  160,  "5point",  {0.015, 45, 0.17}),
      deepface_embedder("arcface",      112, 112, 512,  "arcface", {0.68, 4.15, 1.13}),
      deepface_embedder("ghostfacenet", 112, 112, 512,  "arcface", {0.65, 35.71, 1.10}),
      {"sface", "embed", "onnx", {112, 112, "rgb", {0, 0, 0}, {1, 1, 1}, "nchw", "stretch"}, "", 128, "arcface",
       {0.593, 10.734, 1.055},
       "opencv_zoo face_recognition_sface_2021dec.onnx as run by OpenCV FaceRecognizerSF::feature "
       "(blobFromImage scale 1, mean 0, swapRB); 128-D (deepface SFace.py output_shape); "
       "thresholds deepface/config/threshold.py (uncalibrated, from deepface)"},
      // OpenCV's res10 face detector (what deepface calls "ssd"): samples/dnn/face_detector
      // deploy.prototxt + res10_300x300_ssd_iter_140000.caffemodel; preprocessing from OpenCV's
      // samples/dnn/models.yml "opencv_fd" (300x300, mean [104, 177, 123], scale 1, rgb false);
      // its DetectionOutput layer gives [1, 1, N, 7] rows (image, label, score, x1, y1, x2, y2 in 0..1).
      {"opencv-ssd", "detect", "caffe", {300, 300, "bgr", {104, 177, 123}, {1, 1, 1}, "nchw", "stretch"}, "", 0,
       "5point", {},
       "OpenCV samples/dnn/models.yml opencv_fd; DetectionOutput row layout (OpenCV detection_output_layer.cpp)",
       "ssd"},
      // Dense detectors with 5 keypoints (src/detect/anchor_decoding.hpp says how each decodes). The
      // image is scaled to fit the input and padded right/bottom ("pad"); the input must be a multiple
      // of 32. Score, NMS and top-k defaults: src/detect/user_model_detector.cpp, from the same sources.
      // YuNet: OpenCV 4.8+ FaceDetectorYNImpl::detect (modules/objdetect/src/face_detect.cpp) feeds
      // blobFromImage(padded image): BGR 0..255, no mean, NCHW; opencv_zoo face_detection_yunet_2023mar.onnx.
      // 640x640 is facekit's choice (the file takes any multiple of 32; FaceDetectorYN uses the image's own size).
      {"yunet", "detect", "onnx", {640, 640, "bgr", {0, 0, 0}, {1, 1, 1}, "nchw", "pad"}, "", 0, "5point", {},
       "opencv_zoo models/face_detection_yunet (face_detection_yunet_2023mar.onnx) as OpenCV 4.8+ "
       "modules/objdetect/src/face_detect.cpp FaceDetectorYNImpl runs it (blobFromImage: BGR, scale 1, no mean; "
       "outputs cls/obj/bbox/kps_8/16/32; postProcess); thresholds opencv_zoo face_detection_yunet/demo.py",
       "yunet"},
      // RetinaFace: biubug6/Pytorch_Retinaface detect.py (img -= (104, 117, 123) on the BGR cv2 image,
      // NCHW, scale 1); convert_to_onnx.py exports a fixed 1x3x640x640 input (--long_side 640).
      {"retinaface", "detect", "onnx", {640, 640, "bgr", {104, 117, 123}, {1, 1, 1}, "nchw", "pad"}, "", 0, "5point",
       {},
       "biubug6/Pytorch_Retinaface convert_to_onnx.py export (mobilenet0.25 or Resnet50, 640x640); detect.py "
       "(BGR minus 104/117/123, thresholds); layers/functions/prior_box.py + data/config.py (min_sizes, steps, "
       "variance); utils/box_utils.py decode/decode_landm; utils/nms/py_cpu_nms.py",
       "retinaface"},
      // SCRFD: insightface python-package/insightface/model_zoo/scrfd.py SCRFD.forward:
      // blobFromImage(img, 1/128, size, (127.5, 127.5, 127.5), swapRB=True): RGB, (v - 127.5) / 128, NCHW;
      // 640x640 is insightface FaceAnalysis.prepare's default det_size.
      {"scrfd", "detect", "onnx", {640, 640, "rgb", {127.5f, 127.5f, 127.5f}, {128, 128, 128}, "nchw", "pad"}, "", 0,
       "5point", {},
       "insightface SCRFD det_500m / det_2.5g / det_10g ONNX as python-package/insightface/model_zoo/scrfd.py runs "
       "it (forward: blobFromImage 1/128, mean 127.5, swapRB; distance2bbox, distance2kps; detect: letterbox at "
       "top-left, threshold 0.5, nms 0.4); det_size 640x640 from app/face_analysis.py",
       "scrfd"},
  };
  return presets;
}

const ModelPreset& find_preset(const std::string& name) {
  std::string names;
  for (const auto& p : model_presets()) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw Error(ErrorCode::InvalidArgument, "unknown preset '" + name + "' (valid: " + names + ")");
}

}  // namespace facekit
