#pragma once
#include <string>
#include <vector>

namespace facekit {

// Whole file as a string; FileNotFound naming the path when absent or unreadable.
std::string read_text_file(const std::string& path);

// "a,b,,c" -> {"a", "b", "", "c"}; "" -> {""}. Empty items are kept so callers can refuse them
// with their own message.
std::vector<std::string> split_list(const std::string& text, char separator);

}  // namespace facekit
