#include "support/test_support.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace facekit::test {

fs::path shared_dir() {
  if (const char* env = std::getenv("FACEKIT_SHARED"); env && *env) {
    return fs::is_directory(env) ? fs::path(env) : fs::path();
  }
  fs::path p = fs::path(FACEKIT_SOURCE_DIR).parent_path() / "shared";
  return fs::is_directory(p / "data") ? p : fs::path();
}

bool shared_required() {
  const char* env = std::getenv("FACEKIT_REQUIRE_SHARED");
  return env && std::string(env) == "1";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::path(FACEKIT_BINARY_DIR) / "test_tmp" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

CommandResult run_command(const std::string& cmd) {
  static int counter = 0;
  fs::path dir = fs::path(FACEKIT_BINARY_DIR) / "test_tmp";
  fs::create_directories(dir);
  std::string tag = std::to_string(::getpid()) + "_" + std::to_string(counter++);
  fs::path out = dir / ("cmd_" + tag + ".out"), err = dir / ("cmd_" + tag + ".err");
  std::string full = "(" + cmd + ") >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
  int rc = std::system(full.c_str());
  CommandResult r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::string cli_path() { return FACEKIT_CLI; }

}  // namespace facekit::test
