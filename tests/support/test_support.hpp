// Helpers shared by the tests: where ../shared is, and skipping cleanly when it is absent.
#pragma once
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace facekit::test {

// ../shared beside the project, or $FACEKIT_SHARED. Empty when absent.
std::filesystem::path shared_dir();
// True when FACEKIT_REQUIRE_SHARED=1 (set by .ci/run when ../shared exists).
bool shared_required();
// Runs `cmd` through /bin/sh, returns exit status; stdout and stderr captured.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& cmd);
std::string cli_path();
std::filesystem::path temp_dir(const std::string& name);
std::string read_file(const std::filesystem::path& p);

}  // namespace facekit::test

// Skips the test when ../shared is absent, fails instead when FACEKIT_REQUIRE_SHARED=1.
#define FACEKIT_REQUIRE_SHARED_DIR()                                                        \
  do {                                                                                      \
    if (::facekit::test::shared_dir().empty()) {                                            \
      if (::facekit::test::shared_required()) FAIL() << "../shared required but missing";   \
      GTEST_SKIP() << "../shared not present";                                              \
    }                                                                                       \
  } while (0)
