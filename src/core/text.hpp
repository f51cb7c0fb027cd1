#pragma once
#include <string>

namespace facekit {

// Whole file as a string; FileNotFound naming the path when absent or unreadable.
std::string read_text_file(const std::string& path);

}  // namespace facekit
