// Attribute values of a tfjs graph node (TensorFlow's NodeDef JSON: {"i": "2"}, {"f": 0.5},
// {"b": true}, {"s": base64}, {"list": {"i": [...]}}) and the convolution settings read from them;
// shared by the op table (tfjs_ops.cpp) and the load-time fusion (tfjs_fusion.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "facekit/error.hpp"
#include "nn/kernels.hpp"

namespace facekit::nn::tfjs {

inline std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    auto pos = chars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

class Attrs {
 public:
  explicit Attrs(const nlohmann::json& a) : a_(a) {}
  bool has(const char* k) const { return a_.contains(k); }
  std::int64_t i(const char* k, std::int64_t d) const {
    return has(k) && a_[k].contains("i") ? std::stoll(a_[k]["i"].get<std::string>()) : d;
  }
  float f(const char* k, float d) const { return has(k) && a_[k].contains("f") ? a_[k]["f"].get<float>() : d; }
  bool b(const char* k, bool d) const { return has(k) && a_[k].contains("b") ? a_[k]["b"].get<bool>() : d; }
  std::string s(const char* k, const std::string& d = "") const {
    return has(k) && a_[k].contains("s") ? base64_decode(a_[k]["s"].get<std::string>()) : d;
  }
  std::vector<std::int64_t> ints(const char* k) const {
    std::vector<std::int64_t> out;
    if (has(k) && a_[k].contains("list") && a_[k]["list"].contains("i"))
      for (const auto& v : a_[k]["list"]["i"]) out.push_back(std::stoll(v.get<std::string>()));
    return out;
  }
  std::vector<std::string> strings(const char* k) const {
    std::vector<std::string> out;
    if (has(k) && a_[k].contains("list") && a_[k]["list"].contains("s"))
      for (const auto& v : a_[k]["list"]["s"]) out.push_back(base64_decode(v.get<std::string>()));
    return out;
  }

 private:
  const nlohmann::json& a_;
};

inline void require_nhwc(const Attrs& a) {
  const std::string fmt = a.s("data_format", "NHWC");
  if (fmt != "NHWC") throw Error(ErrorCode::Unsupported, "data_format " + fmt + " (only NHWC)");
  for (auto d : a.ints("dilations"))
    if (d != 1) throw Error(ErrorCode::Unsupported, "dilated convolution");
}

struct ConvSetup {
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::Same;
  std::vector<std::pair<std::int64_t, std::int64_t>> explicit_pads;  // [N,H,W,C] when EXPLICIT
};

inline ConvSetup conv_setup(const Attrs& a) {
  require_nhwc(a);
  ConvSetup s;
  auto strides = a.ints("strides");
  if (strides.size() == 4) {
    s.stride_h = static_cast<int>(strides[1]);
    s.stride_w = static_cast<int>(strides[2]);
  }
  const std::string pad = a.s("padding", "SAME");
  if (pad == "VALID") {
    s.padding = Padding::Valid;
  } else if (pad == "EXPLICIT") {
    s.padding = Padding::Valid;
    auto p = a.ints("explicit_paddings");
    for (size_t i = 0; i + 1 < p.size(); i += 2) s.explicit_pads.push_back({p[i], p[i + 1]});
  } else if (pad != "SAME") {
    throw Error(ErrorCode::Unsupported, "padding " + pad);
  }
  return s;
}

}  // namespace facekit::nn::tfjs
