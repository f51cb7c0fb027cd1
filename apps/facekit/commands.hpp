#pragma once
#include <functional>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "facekit/error.hpp"

namespace facekit::cli {

using CommandList = std::vector<std::pair<CLI::App*, std::function<int()>>>;

void add_model_commands(CLI::App& app, CommandList& commands);  // commands_models.cpp
void add_face_commands(CLI::App& app, CommandList& commands);   // commands_faces.cpp
void add_eval_commands(CLI::App& app, CommandList& commands);   // commands_eval.cpp
void add_eval_detect_command(CLI::App& eval, CommandList& commands);  // commands_eval_detect.cpp
void add_bench_commands(CLI::App& app, CommandList& commands);  // commands_bench.cpp
void add_gallery_commands(CLI::App& app, CommandList& commands);  // commands_gallery.cpp
void add_stream_commands(CLI::App& app, CommandList& commands);   // commands_stream.cpp
void add_serve_commands(CLI::App& app, CommandList& commands);    // commands_serve.cpp
void add_analyze_commands(CLI::App& app, CommandList& commands);  // commands_analyze.cpp

// Exit statuses: 0 ok, 1 internal, 2 usage, 3 input file, 4 no face, 5 model files.
int exit_code(ErrorCode code);

}  // namespace facekit::cli
