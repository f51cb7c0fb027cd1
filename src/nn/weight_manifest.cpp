#include "nn/weight_manifest.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "facekit/error.hpp"
#include "facekit/models.hpp"

namespace fs = std::filesystem;

namespace facekit::nn {
namespace {

// Model-file errors always say how to get a good copy back.
[[noreturn]] void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message + "; " + model_fix_hint());
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<char> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail(ErrorCode::ModelMissing, "model file " + p.string() + " cannot be read");
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

WeightMap WeightMap::load_manifest(const std::string& manifest_path) {
  nlohmann::json manifest;
  try {
    auto text = read_all(manifest_path);
    manifest = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorCode::ModelCorrupt, "model manifest " + manifest_path + " is not valid JSON: " + e.what());
  }
  if (!manifest.is_array())
    fail(ErrorCode::ModelCorrupt, "model manifest " + manifest_path + " is not a tfjs weights manifest");
  return load_groups(manifest, fs::path(manifest_path).parent_path().string(), manifest_path);
}

WeightMap WeightMap::load_groups(const nlohmann::json& groups, const std::string& dir_name, const std::string& source) {
  WeightMap map;
  map.source_ = source;
  const fs::path dir = dir_name;
  try {
    for (const auto& group : groups) {
      std::vector<char> bytes;
      std::string shard_names;
      for (const auto& shard : group.at("paths")) {
        auto part = read_all(dir / shard.get<std::string>());
        bytes.insert(bytes.end(), part.begin(), part.end());
        shard_names += (shard_names.empty() ? "" : "+") + (dir / shard.get<std::string>()).string();
      }
      std::size_t offset = 0;
      for (const auto& w : group.at("weights")) {
        const std::string name = w.at("name");
        Shape shape = w.at("shape").get<Shape>();
        const std::int64_t n = element_count(shape);
        const std::string dtype = w.at("dtype");
        std::string stored = dtype;
        double scale = 1, min = 0;
        if (w.contains("quantization")) {
          stored = w["quantization"].at("dtype");
          scale = w["quantization"].value("scale", 1.0);
          min = w["quantization"].value("min", 0.0);
        }
        const std::size_t width = stored == "uint8" ? 1 : stored == "float16" ? 2
                                : (stored == "float32" || stored == "int32") ? 4 : 0;
        if (width == 0)
          throw Error(ErrorCode::Unsupported, "model " + source + ": weight " + name + " has dtype " + stored +
                                                  " (supported: float32, int32, float16, uint8)");
        if (offset + width * n > bytes.size())
          fail(ErrorCode::ModelCorrupt, "model file " + shard_names + " is truncated: weight " + name +
                                            " needs bytes up to " + std::to_string(offset + width * n) +
                                            ", file has " + std::to_string(bytes.size()));
        Tensor t(shape);
        const char* src = bytes.data() + offset;
        for (std::int64_t i = 0; i < n; ++i) {
          if (width == 1) {
            // tfjs dequantises in double precision; integer tensors are rounded.
            const double v = static_cast<unsigned char>(src[i]) * scale + min;
            t.data[i] = static_cast<float>(dtype == "int32" ? std::round(v) : v);
          } else if (width == 2) {
            std::uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            t.data[i] = half_to_float(h);
          } else if (stored == "int32") {
            std::int32_t v;
            std::memcpy(&v, src + 4 * i, 4);
            t.data[i] = static_cast<float>(v);
          } else {
            std::memcpy(&t.data[i], src + 4 * i, 4);
          }
        }
        offset += width * n;
        map.tensors_[name] = std::move(t);
      }
      if (offset != bytes.size())
        fail(ErrorCode::ModelCorrupt, "model file " + shard_names + " has " + std::to_string(bytes.size()) +
                                          " bytes but its manifest describes " + std::to_string(offset));
    }
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorCode::ModelCorrupt, "model " + source + " has a malformed weights manifest: " + e.what());
  }
  return map;
}

const Tensor& WeightMap::get(const std::string& name, const Shape& expected_shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    fail(ErrorCode::ModelCorrupt, "model " + source_ + " has no weight '" + name + "'");
  if (!expected_shape.empty() && it->second.shape != expected_shape)
    fail(ErrorCode::ModelCorrupt, "model " + source_ + ": weight '" + name + "' has shape " +
                                             shape_string(it->second.shape) + ", expected " +
                                             shape_string(expected_shape));
  return it->second;
}

std::vector<float> WeightMap::vec(const std::string& name) const { return get(name).data; }

}  // namespace facekit::nn
