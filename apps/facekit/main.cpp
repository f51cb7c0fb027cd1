// facekit command line: each subcommand lives in its own file (commands_*.cpp) and registers here.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "facekit/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"facekit: face detection, alignment, embedding and verification"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("facekit ") + FACEKIT_CLI_VERSION);
  facekit::cli::CommandList commands;
  facekit::cli::add_model_commands(app, commands);
  facekit::cli::add_face_commands(app, commands);
  facekit::cli::add_analyze_commands(app, commands);
  facekit::cli::add_eval_commands(app, commands);
  facekit::cli::add_bench_commands(app, commands);
  facekit::cli::add_gallery_commands(app, commands);
  facekit::cli::add_stream_commands(app, commands);
  facekit::cli::add_serve_commands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, like an invalid argument value.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const facekit::Error& e) {
    std::cerr << "facekit: error: " << e.what() << "\n";
    return facekit::cli::exit_code(e.code());
  } catch (const std::exception& e) {
    std::cerr << "facekit: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
