// The one table of model files facekit knows: where each comes from, its licence, size and digest.
// The setup script (scripts/setup.sh) copies them into the model directory; `facekit models verify`
// and the loaders check them against this table.
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "facekit/error.hpp"
#include "facekit/models.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

const char* kFaceApi = "npm:@vladmandic/face-api@1.7.15";
const char* kOpencvData = "debian:opencv-data (OpenCV 4.6)";
const char* kMit = "MIT";
const char* kOpencvLicence = "BSD-3-Clause (Intel License Agreement for the cascades)";
const char* kDlibData = "debian:libdlib-data (dlib 19.24)";
// Debian's copyright file gives the .dat file as CC0-1.0; the restriction comes from its training data.
const char* kDlib68Licence =
    "CC0-1.0 (Davis E. King; Debian libdlib-data copyright), but trained on iBUG 300-W, whose licence "
    "excludes commercial use: per dlib-models' README the model can't be used in a commercial product";

std::string& model_dir_override() {
  static std::string dir;
  return dir;
}

}  // namespace

const std::vector<ModelFile>& model_files() {
  static const std::vector<ModelFile> files = {
      {"faceapi/ssd_mobilenetv1_model-weights_manifest.json", "faceapi/ssd_mobilenetv1_model-weights_manifest.json",
       kFaceApi, kMit, "888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955", 28233},
      {"faceapi/ssd_mobilenetv1_model.bin", "faceapi/ssd_mobilenetv1_model.bin", kFaceApi, kMit,
       "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8", 5616957},
      {"faceapi/face_landmark_68_model-weights_manifest.json", "faceapi/face_landmark_68_model-weights_manifest.json",
       kFaceApi, kMit, "ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9", 8485},
      {"faceapi/face_landmark_68_model.bin", "faceapi/face_landmark_68_model.bin", kFaceApi, kMit,
       "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b", 356840},
      {"faceapi/face_landmark_68_tiny_model-weights_manifest.json",
       "faceapi/face_landmark_68_tiny_model-weights_manifest.json", kFaceApi, kMit,
       "9a1a5dd19fd814fd5095c3cb58f8e0d3193b8c5b9a6715b30a69d559aea31ad4", 4806},
      {"faceapi/face_landmark_68_tiny_model.bin", "faceapi/face_landmark_68_tiny_model.bin", kFaceApi, kMit,
       "b98e9f2f7da76f8a6dda9741a36ed485b224b889d552de2b2c1bb16217f67bfc", 77224},
      {"faceapi/face_recognition_model-weights_manifest.json", "faceapi/face_recognition_model-weights_manifest.json",
       kFaceApi, kMit, "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b", 19615},
      {"faceapi/face_recognition_model.bin", "faceapi/face_recognition_model.bin", kFaceApi, kMit,
       "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589", 6444032},
      {"faceapi/tiny_face_detector_model-weights_manifest.json",
       "faceapi/tiny_face_detector_model-weights_manifest.json", kFaceApi, kMit,
       "5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5", 3219},
      {"faceapi/tiny_face_detector_model.bin", "faceapi/tiny_face_detector_model.bin", kFaceApi, kMit,
       "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871", 193321},
      {"opencv/haarcascade_frontalface_default.xml", "opencv/haarcascade_frontalface_default.xml", kOpencvData,
       kOpencvLicence, "0f7d4527844eb514d4a4948e822da90fbb16a34a0bbbbc6adc6498747a5aafb0", 930127},
      {"opencv/haarcascade_eye.xml", "opencv/haarcascade_eye.xml", kOpencvData, kOpencvLicence,
       "71cc64fc305a355dc60067880f6fbbd43dd155bd63ee3844661a1bda34b2fd8c", 341406},
      {"dlib/shape_predictor_68_face_landmarks.dat", "dlib/shape_predictor_68_face_landmarks.dat", kDlibData,
       kDlib68Licence, "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f", 99693937},
  };
  return files;
}

const std::vector<ModelInfo>& model_infos() {
  static const std::vector<ModelInfo> infos = {
      {"ssd", "detect", "512x512 RGB", 0,
       {"faceapi/ssd_mobilenetv1_model-weights_manifest.json", "faceapi/ssd_mobilenetv1_model.bin"},
       "SSD-MobileNetV1 face detector (face-api.js SsdMobilenetv1)"},
      {"tiny", "detect", "416x416 RGB (input_size)", 0,
       {"faceapi/tiny_face_detector_model-weights_manifest.json", "faceapi/tiny_face_detector_model.bin"},
       "TinyFaceDetector (face-api.js): Tiny YOLOv2 with separable convs"},
      {"haar", "detect", "any, grey", 0,
       {"opencv/haarcascade_frontalface_default.xml", "opencv/haarcascade_eye.xml"},
       "OpenCV Viola-Jones cascade (frontalface_default), eyes by haarcascade_eye as deepface does"},
      {"faceapi68", "landmarks", "112x112 RGB", 68,
       {"faceapi/face_landmark_68_model-weights_manifest.json", "faceapi/face_landmark_68_model.bin"},
       "face-api.js FaceLandmark68Net"},
      {"dlib68", "landmarks", "any RGB, face box", 68, {"dlib/shape_predictor_68_face_landmarks.dat"},
       "dlib shape_predictor_68_face_landmarks: ensemble of regression trees (Kazemi & Sullivan 2014) on iBUG "
       "300-W; not for commercial use"},
      {"faceapi-resnet", "embed", "150x150 RGB", 128,
       {"faceapi/face_recognition_model-weights_manifest.json", "faceapi/face_recognition_model.bin"},
       "face-api.js FaceRecognitionNet: port of dlib's ResNet-29 (dlib_face_recognition_resnet_model_v1)"},
  };
  return infos;
}

const ModelFile& model_file(const std::string& id) {
  for (const auto& f : model_files())
    if (f.id == id) return f;
  throw Error(ErrorCode::InvalidArgument, "unknown model file id '" + id + "'");
}

void set_model_dir(const std::string& dir) { model_dir_override() = dir; }

std::string model_dir() {
  if (!model_dir_override().empty()) return model_dir_override();
  if (const char* env = std::getenv("FACEKIT_MODELS"); env && *env) return env;
  return FACEKIT_DEFAULT_MODEL_DIR;
}

const char* model_fix_hint() {
  return "run `bash scripts/setup.sh` (or `facekit models install`) to reinstall the model files";
}

std::string require_model_file(const std::string& id) {
  const ModelFile& f = model_file(id);
  fs::path p = fs::path(model_dir()) / f.relpath;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec))
    throw Error(ErrorCode::ModelMissing,
                "model file " + p.string() + " is missing (" + f.source + "); " + model_fix_hint());
  auto size = fs::file_size(p, ec);
  if (ec || size != f.size)
    throw Error(ErrorCode::ModelCorrupt, "model file " + p.string() + " is corrupt: size " +
                                             std::to_string(size) + " bytes, expected " +
                                             std::to_string(f.size) + "; " + model_fix_hint());
  return p.string();
}

std::vector<ModelFileStatus> verify_models(bool compute_sha256) {
  std::vector<ModelFileStatus> out;
  for (const auto& f : model_files()) {
    ModelFileStatus s;
    s.file = &f;
    s.path = (fs::path(model_dir()) / f.relpath).string();
    std::error_code ec;
    s.present = fs::is_regular_file(s.path, ec);
    s.size_ok = s.present && fs::file_size(s.path, ec) == f.size;
    s.sha256_ok = s.size_ok && compute_sha256 && sha256_file(s.path) == f.sha256;
    out.push_back(s);
  }
  return out;
}

}  // namespace facekit
