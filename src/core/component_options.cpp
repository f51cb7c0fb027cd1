#include <algorithm>
#include <cstdlib>

#include "facekit/error.hpp"
#include "facekit/registry.hpp"
#include "facekit/types.hpp"

namespace facekit {

ComponentOptions ComponentOptions::parse(const std::string& spec) {
  ComponentOptions o;
  auto colon = spec.find(':');
  o.name_ = spec.substr(0, colon);
  if (o.name_.empty()) throw Error(ErrorCode::InvalidArgument, "empty component name in '" + spec + "'");
  if (colon == std::string::npos) return o;
  std::string rest = spec.substr(colon + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    if (item.empty() || eq == std::string::npos || eq == 0)
      throw Error(ErrorCode::InvalidArgument, "bad option '" + item + "' in '" + spec + "' (expected key=value)");
    o.values_[item.substr(0, eq)] = item.substr(eq + 1);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return o;
}

std::string ComponentOptions::get(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

double ComponentOptions::get_double(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0')
    throw Error(ErrorCode::InvalidArgument, name_ + ": option " + key + "='" + it->second + "' is not a number");
  return v;
}

int ComponentOptions::get_int(const std::string& key, int fallback) const {
  double v = get_double(key, fallback);
  if (v != static_cast<int>(v))
    throw Error(ErrorCode::InvalidArgument, name_ + ": option " + key + " must be an integer");
  return static_cast<int>(v);
}

bool ComponentOptions::get_bool(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& v = it->second;
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  throw Error(ErrorCode::InvalidArgument, name_ + ": option " + key + "='" + v + "' is not a boolean");
}

void ComponentOptions::check_known(const std::vector<std::string>& known) const {
  for (const auto& [k, v] : values_) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      throw Error(ErrorCode::InvalidArgument,
                  name_ + ": unknown option '" + k + "' (valid: " + (list.empty() ? "none" : list) + ")");
    }
  }
}

double iou(const Rect& a, const Rect& b) {
  double w = std::max(0.0, std::min(a.right(), b.right()) - std::max(a.x, b.x));
  double h = std::max(0.0, std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y));
  double inter = w * h;
  double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace facekit
