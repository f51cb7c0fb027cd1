// Where model files live and what they are. One table (src/core/model_catalog.cpp) lists every file
// facekit can use with its source package, licence and SHA-256; everything else asks it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace facekit {

struct ModelFile {
  std::string id;          // stable name, e.g. "faceapi/face_recognition_model.bin"
  std::string relpath;     // path below the model directory
  std::string source;      // "npm:@vladmandic/face-api@1.7.15", "debian:opencv-data"
  std::string licence;
  std::string sha256;      // expected digest of the file
  std::uint64_t size = 0;  // expected size in bytes
};

struct ModelInfo {
  std::string name;        // registry name, e.g. "faceapi-resnet"
  std::string task;        // "detect", "landmarks", "embed"
  std::string input;       // e.g. "150x150 RGB"
  int output_dim = 0;      // embedding size, landmark count, 0 for detectors
  std::vector<std::string> files;  // ModelFile ids
  std::string description;
};

// Model directory: $FACEKIT_MODELS, else the directory the build was configured with.
std::string model_dir();
void set_model_dir(const std::string& dir);

const std::vector<ModelFile>& model_files();
const std::vector<ModelInfo>& model_infos();
const ModelFile& model_file(const std::string& id);

// Full path of a model file after the cheap check (exists, size matches). Throws ModelMissing /
// ModelCorrupt naming the file and the setup command that fixes it.
std::string require_model_file(const std::string& id);

struct ModelFileStatus {
  const ModelFile* file = nullptr;
  std::string path;
  bool present = false;
  bool size_ok = false;
  bool sha256_ok = false;  // only computed by verify_models
};
// Checks every file (full SHA-256). Used by `facekit models verify` and the setup script.
std::vector<ModelFileStatus> verify_models(bool compute_sha256);

std::string sha256_file(const std::string& path);

// What to tell a user whose model files are missing or damaged.
const char* model_fix_hint();
std::string sha256_bytes(const void* data, std::size_t size);

}  // namespace facekit
