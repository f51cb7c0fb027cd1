// Models users bring themselves (ONNX, Caffe, TensorFlow frozen graphs, Torch7), run by OpenCV dnn's
// importers behind the ordinary Embedder interface. A registration is data: one JSON table,
// <user model dir>/models.json, next to the copied model files, each with its SHA-256.
// Presets (src/core/model_presets.cpp) carry the preprocessing of well-known models.
#pragma once
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/dnn.hpp>

#include "facekit/components.hpp"
#include "verify/distance.hpp"

namespace facekit {

// How a face chip becomes the model's input tensor: resize to width x height ("letterbox" keeps the
// aspect ratio and pads with black, as deepface's resize_image; "stretch" does not), reorder channels,
// then x = (v - mean[c]) / std[c] with v in 0..255 and c in the model's channel order.
struct InputSpec {
  int width = 0;
  int height = 0;
  std::string channels = "rgb";  // "rgb" or "bgr"
  std::array<float, 3> mean = {0, 0, 0};
  std::array<float, 3> std = {1, 1, 1};
  std::string layout = "nchw";   // "nchw" or "nhwc"
  std::string resize = "stretch";  // detectors with anchor decoders: "pad" (scale to fit, pad right/bottom)
};

// deepface's published thresholds for a model (deepface/config/threshold.py); 0 where none.
struct PresetThresholds {
  double cosine = 0;
  double euclidean = 0;
  double euclidean_l2 = 0;
};

struct ModelPreset {
  std::string name;
  std::string task;         // "embed" or "detect"
  std::string format;       // the format of the release the numbers describe
  InputSpec input;
  std::string output;       // output layer, "" = the net's last
  int dim = 0;              // embedding size
  std::string alignment;    // aligner spec for the chips the model was trained on
  PresetThresholds thresholds;
  std::string source;       // where the numbers come from
  std::string decoder;      // detectors: how the output becomes boxes ("ssd": [1, 1, N, 7] rows;
                            // "yunet", "retinaface", "scrfd": src/detect/anchor_decoding.hpp)
};

const std::vector<ModelPreset>& model_presets();
// Throws InvalidArgument listing the presets when `name` is unknown.
const ModelPreset& find_preset(const std::string& name);

struct UserModel {
  std::string name;
  std::string task = "embed";
  std::string format;       // onnx, caffe, tf, torch
  std::string file;         // path below the user model directory
  std::string weights;      // second file (caffemodel for caffe, pbtxt for tf), "" if none
  std::string sha256;       // of `file`
  std::string weights_sha256;
  std::string preset;       // "" when none
  std::string original;     // where the user's file came from
  InputSpec input;
  std::string output;
  int dim = 0;
  std::string alignment = "5point";
  std::string decoder;      // detectors only, from the preset

  nlohmann::json to_json() const;
  static UserModel from_json(const nlohmann::json& j, const std::string& table_path);
};

// $FACEKIT_USER_MODELS, else <model_dir()>/user.
std::string user_model_dir();
std::string user_model_table();  // user_model_dir()/models.json
// The registered models; none when the table does not exist. A damaged table is ModelCorrupt.
std::vector<UserModel> load_user_models();
std::optional<UserModel> find_user_model(const std::string& name);

// What `facekit models add` was given. Empty/zero fields take the preset's values (then defaults).
struct UserModelRequest {
  std::string name;
  std::string file;
  std::string weights;
  std::string format;       // "" = from the file extension
  std::string preset;
  std::string task;
  std::string input;        // "WxH"
  std::string mean;         // "m" or "m1,m2,m3"
  std::string std;
  std::string layout;
  std::string channels;
  std::string output;
  std::string alignment;
};

// Validates the request (names, files, preset, options), copies the files into user_model_dir(),
// loads the net and runs it once on the declared input size to learn the output size, then records
// it. Errors name the file and what is wrong.
UserModel add_user_model(const UserModelRequest& request);
// Throws InvalidArgument when no user model has that name.
void remove_user_model(const std::string& name);
// Full path of a user model's file after checking it is present and its SHA-256 still matches.
std::string require_user_model_file(const UserModel& model, bool weights = false);

// Embedder / detector factories for create_embedder / create_detector; nullptr for names that are
// not user models (src/embed/user_model_embedder.cpp, src/detect/user_model_detector.cpp).
std::unique_ptr<Embedder> create_user_embedder(const ComponentOptions& options);
std::unique_ptr<Detector> create_user_detector(const ComponentOptions& options);
// Check of a model about to be registered: loads `file` (+ `weights`) as `model` says and runs it once
// on a grey input of the declared size; returns the output size.
int probe_user_model(const UserModel& model, const std::string& file, const std::string& weights);

// The loaded net and one forward pass on an RGB image prepared as `model.input` says; errors name `file`.
cv::dnn::Net load_user_net(const UserModel& model, const std::string& file, const std::string& weights);
std::vector<float> run_user_net(cv::dnn::Net& net, const UserModel& model, const cv::Mat& rgb, const std::string& file);
// The same pass, returning the named outputs in that order (float; errors name `file`).
std::vector<cv::Mat> run_user_net_outputs(cv::dnn::Net& net, const UserModel& model, const cv::Mat& rgb,
                                          const std::string& file, const std::vector<std::string>& names);
// Check of a detector with an anchor decoder (yunet, retinaface, scrfd) about to be registered: its
// input size, then one pass over a grey image decoded as its preset says; errors name the model, the
// file and the outputs the preset expects (src/detect/user_model_detector.cpp).
void probe_user_detector(const UserModel& model, const std::string& file, const std::string& weights);

// deepface's threshold for a user model registered with a preset that has one (uncalibrated).
std::optional<Threshold> user_model_threshold(const std::string& model, Metric metric);

}  // namespace facekit
