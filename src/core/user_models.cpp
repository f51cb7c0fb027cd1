// The user model table (<user model dir>/models.json): add, remove, look up, check files.
#include "core/user_models.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "facekit/error.hpp"
#include "facekit/models.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

const std::vector<std::string> kFormats = {"onnx", "caffe", "tf", "torch"};

[[noreturn]] void bad_argument(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }

std::string format_from_extension(const std::string& file) {
  std::string ext = fs::path(file).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".onnx") return "onnx";
  if (ext == ".prototxt" || ext == ".caffemodel") return "caffe";
  if (ext == ".pb") return "tf";
  if (ext == ".t7" || ext == ".net") return "torch";
  bad_argument("cannot tell the format of " + file + " from its extension; pass --format onnx|caffe|tf|torch");
}

// "m" (all channels) or "m1,m2,m3".
std::array<float, 3> parse_triple(const std::string& text, const char* option) {
  std::array<float, 3> v{};
  std::vector<float> parts;
  std::size_t start = 0;
  try {
    while (start <= text.size()) {
      const std::size_t comma = text.find(',', start);
      const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      std::size_t used = 0;
      parts.push_back(std::stof(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } catch (const std::exception&) {
    bad_argument(std::string("--") + option + " '" + text + "' is not a number or three comma-separated numbers");
  }
  if (parts.size() == 1) v.fill(parts[0]);
  else if (parts.size() == 3) std::copy(parts.begin(), parts.end(), v.begin());
  else bad_argument(std::string("--") + option + " '" + text + "' needs one value or three (one per channel)");
  return v;
}

void parse_size(const std::string& text, InputSpec& input) {
  static const std::regex size_re("([0-9]{1,5})x([0-9]{1,5})");
  std::smatch m;
  if (!std::regex_match(text, m, size_re) || std::stoi(m[1]) < 1 || std::stoi(m[2]) < 1)
    bad_argument("--input '" + text + "' is not WIDTHxHEIGHT (e.g. 112x112)");
  input.width = std::stoi(m[1]);
  input.height = std::stoi(m[2]);
}

void check_choice(const std::string& value, const std::vector<std::string>& valid, const char* option) {
  if (std::find(valid.begin(), valid.end(), value) != valid.end()) return;
  std::string names;
  for (const auto& v : valid) names += (names.empty() ? "" : ", ") + v;
  bad_argument(std::string("--") + option + " '" + value + "' is not one of " + names);
}

// Names that built-in components or catalog entries already use.
bool is_builtin_name(const std::string& name) {
  for (const auto& info : model_infos())
    if (info.name == name) return true;
  return embedder_registry().find(name) || detector_registry().find(name) || landmarker_registry().find(name);
}

void save_user_models(const std::vector<UserModel>& models) {
  nlohmann::json table = nlohmann::json::array();
  for (const auto& m : models) table.push_back(m.to_json());
  const fs::path path = user_model_table();
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".part";  // rename: never a half-written table
  {
    std::ofstream out(tmp);
    out << table.dump(2) << "\n";
    if (!out) throw Error(ErrorCode::Internal, "cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// Copies `from` into the user model directory as <name><suffix><ext>; returns the relative name.
std::string copy_in(const std::string& from, const std::string& name, const std::string& suffix) {
  const std::string rel = name + suffix + fs::path(from).extension().string();
  const fs::path to = fs::path(user_model_dir()) / rel;
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  return rel;
}

void require_input_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty()) bad_argument(std::string("--") + what + " is required");
  if (!fs::is_regular_file(path, ec))
    throw Error(ErrorCode::FileNotFound, std::string(what) + " " + path + " does not exist or is not a file");
}

}  // namespace

nlohmann::json UserModel::to_json() const {
  return {{"name", name}, {"task", task}, {"format", format}, {"file", file}, {"weights", weights},
          {"sha256", sha256}, {"weights_sha256", weights_sha256}, {"preset", preset}, {"original", original},
          {"input", {{"width", input.width}, {"height", input.height}, {"channels", input.channels},
                     {"mean", input.mean}, {"std", input.std}, {"layout", input.layout}, {"resize", input.resize}}},
          {"output", output}, {"dim", dim}, {"alignment", alignment}, {"decoder", decoder}};
}

UserModel UserModel::from_json(const nlohmann::json& j, const std::string& table_path) {
  try {
    UserModel m;
    m.name = j.at("name");
    m.task = j.at("task");
    m.format = j.at("format");
    m.file = j.at("file");
    m.weights = j.value("weights", "");
    m.sha256 = j.at("sha256");
    m.weights_sha256 = j.value("weights_sha256", "");
    m.preset = j.value("preset", "");
    m.original = j.value("original", "");
    const auto& in = j.at("input");
    m.input = {in.at("width"), in.at("height"), in.at("channels"), in.at("mean"), in.at("std"),
               in.at("layout"), in.at("resize")};
    m.output = j.value("output", "");
    m.dim = j.at("dim");
    m.alignment = j.value("alignment", "5point");
    m.decoder = j.value("decoder", "");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::ModelCorrupt, "user model table " + table_path + " has a malformed entry: " + e.what());
  }
}

std::string user_model_dir() {
  if (const char* env = std::getenv("FACEKIT_USER_MODELS"); env && *env) return env;
  return (fs::path(model_dir()) / "user").string();
}

std::string user_model_table() { return (fs::path(user_model_dir()) / "models.json").string(); }

std::vector<UserModel> load_user_models() {
  const std::string path = user_model_table();
  std::ifstream in(path);
  if (!in) return {};
  nlohmann::json table;
  try {
    table = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::ModelCorrupt, "user model table " + path + " is not valid JSON: " + e.what());
  }
  if (!table.is_array()) throw Error(ErrorCode::ModelCorrupt, "user model table " + path + " is not a JSON array");
  std::vector<UserModel> models;
  for (const auto& j : table) models.push_back(UserModel::from_json(j, path));
  return models;
}

std::optional<UserModel> find_user_model(const std::string& name) {
  for (auto& m : load_user_models())
    if (m.name == name) return m;
  return std::nullopt;
}

std::string require_user_model_file(const UserModel& model, bool weights) {
  const std::string rel = weights ? model.weights : model.file;
  const std::string path = (fs::path(user_model_dir()) / rel).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(ErrorCode::ModelMissing, "user model '" + model.name + "': file " + path +
                                             " is missing; add it again with `facekit models add`");
  const std::string digest = sha256_file(path);
  if (digest != (weights ? model.weights_sha256 : model.sha256))
    throw Error(ErrorCode::ModelCorrupt, "user model '" + model.name + "': file " + path + " has sha256 " + digest +
                                             ", not the " + (weights ? model.weights_sha256 : model.sha256) +
                                             " it was registered with");
  return path;
}

UserModel add_user_model(const UserModelRequest& r) {
  static const std::regex name_re("[a-z0-9][a-z0-9._-]{0,63}");
  if (!std::regex_match(r.name, name_re))
    bad_argument("model name '" + r.name + "' must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)");
  if (is_builtin_name(r.name)) bad_argument("model name '" + r.name + "' is a built-in model; choose another name");
  if (find_user_model(r.name))
    bad_argument("user model '" + r.name + "' already exists (" + user_model_table() +
                 "); `facekit models remove " + r.name + "` first");
  require_input_file(r.file, "file");

  UserModel m;
  m.name = r.name;
  m.original = fs::absolute(r.file).string();
  if (!r.preset.empty()) {
    const ModelPreset& p = find_preset(r.preset);
    m.preset = p.name;
    m.task = p.task;
    m.input = p.input;
    m.output = p.output;
    m.alignment = p.alignment;
    m.decoder = p.decoder;
  }
  m.format = r.format.empty() ? format_from_extension(r.file) : r.format;
  check_choice(m.format, kFormats, "format");
  if (!r.task.empty()) m.task = r.task;
  check_choice(m.task, {"embed", "detect"}, "task");
  if (m.task == "detect" && m.decoder.empty())
    bad_argument("a user detector needs a detector preset that says how to decode its output "
                 "(--preset opencv-ssd, yunet, retinaface or scrfd)");
  if (m.task == "embed" && !m.decoder.empty()) bad_argument("preset " + m.preset + " is a detector: --task detect");
  if (!r.input.empty()) parse_size(r.input, m.input);
  if (m.input.width == 0) bad_argument("--input WxH is required without a --preset");
  if (!r.mean.empty()) m.input.mean = parse_triple(r.mean, "mean");
  if (!r.std.empty()) m.input.std = parse_triple(r.std, "std");
  for (float s : m.input.std)
    if (s == 0.f) bad_argument("--std must not be 0");
  if (!r.layout.empty()) m.input.layout = r.layout;
  check_choice(m.input.layout, {"nchw", "nhwc"}, "layout");
  if (!r.channels.empty()) m.input.channels = r.channels;
  check_choice(m.input.channels, {"rgb", "bgr"}, "channels");
  if (!r.output.empty()) m.output = r.output;
  if (!r.alignment.empty()) m.alignment = r.alignment;
  create_aligner(m.alignment);  // an unknown aligner is an error now, not at first use
  const bool needs_weights = m.format == "caffe";
  if (needs_weights) require_input_file(r.weights, "weights");
  else if (!r.weights.empty()) require_input_file(r.weights, "weights");

  int dim = 0;
  if (m.task == "detect" && m.decoder != "ssd") probe_user_detector(m, r.file, r.weights);  // names the outputs
  else dim = probe_user_model(m, r.file, r.weights);  // errors name the user's file
  if (m.decoder == "ssd" && dim % 7 != 0)
    bad_argument("model file " + r.file + " gives " + std::to_string(dim) +
                 " values, not rows of 7 (image, label, score, x1, y1, x2, y2) as an SSD DetectionOutput does");
  if (m.task == "embed" && !m.preset.empty() && find_preset(m.preset).dim != dim)
    bad_argument("model file " + r.file + " gives " + std::to_string(dim) + " values, but preset " + m.preset +
                 " expects " + std::to_string(find_preset(m.preset).dim));
  m.dim = m.task == "embed" ? dim : 0;
  m.file = copy_in(r.file, m.name, "");
  m.sha256 = sha256_file((fs::path(user_model_dir()) / m.file).string());
  if (!r.weights.empty()) {
    m.weights = copy_in(r.weights, m.name, ".weights");
    m.weights_sha256 = sha256_file((fs::path(user_model_dir()) / m.weights).string());
  }
  auto models = load_user_models();
  models.push_back(m);
  save_user_models(models);
  return m;
}

void remove_user_model(const std::string& name) {
  auto models = load_user_models();
  auto it = std::find_if(models.begin(), models.end(), [&](const UserModel& m) { return m.name == name; });
  if (it == models.end())
    bad_argument("no user model named '" + name + "' (" + user_model_table() + ")" +
                 (is_builtin_name(name) ? "; built-in models cannot be removed" : ""));
  std::error_code ec;
  fs::remove(fs::path(user_model_dir()) / it->file, ec);
  if (!it->weights.empty()) fs::remove(fs::path(user_model_dir()) / it->weights, ec);
  models.erase(it);
  save_user_models(models);
}

std::optional<Threshold> user_model_threshold(const std::string& name, Metric metric) {
  const auto model = find_user_model(name);
  if (!model || model->preset.empty()) return std::nullopt;
  const ModelPreset& p = find_preset(model->preset);
  const double value = metric == Metric::Cosine ? p.thresholds.cosine
                     : metric == Metric::Euclidean ? p.thresholds.euclidean
                     : metric == Metric::EuclideanL2 ? p.thresholds.euclidean_l2 : 0.0;
  if (value <= 0) return std::nullopt;
  // scale 0: uncalibrated (no logistic fit for facekit's pipeline).
  return Threshold{value, value, 0, "uncalibrated, from deepface (config/threshold.py) for preset " + p.name};
}

}  // namespace facekit
