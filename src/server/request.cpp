#include "server/request.hpp"

#include <httplib.h>

#include <algorithm>
#include <fstream>

#include "server/base64.hpp"
#include "server/http_error.hpp"

namespace fs = std::filesystem;

namespace facekit::server {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A short string with path characters is a file name, not base64 (base64 of any real image is far
// longer, and '.' and '\' are not in its alphabet).
bool looks_like_path(const std::string& s) {
  return s.size() <= 4096 && (s.find_first_of(".\\") != std::string::npos || starts_with(s, "/") || starts_with(s, "~"));
}

std::vector<std::uint8_t> decode_base64_image(std::string_view text, const std::string& what) {
  auto bytes = base64_decode(text);
  if (!bytes) throw HttpError(400, what + ": not valid base64");
  if (bytes->empty()) throw HttpError(400, what + ": empty image");
  return std::move(*bytes);
}

// True when `p` is `dir` or below it; both already canonical.
bool is_within(const fs::path& p, const fs::path& dir) {
  auto [d, q] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return d == dir.end();
}

std::vector<std::uint8_t> read_allowed_file(const std::string& path, const ImageSources& sources,
                                            const std::string& what) {
  if (sources.allowed_dir.empty())
    throw HttpError(403, what + ": reading files on the server is disabled; send the image as a base64 data URI "
                                "or a multipart upload (the server's --allow-paths DIR enables paths below DIR)");
  std::error_code ec;
  const fs::path dir = fs::canonical(sources.allowed_dir, ec);
  if (ec) throw HttpError(500, "the allowed image folder " + sources.allowed_dir.string() + " is not readable");
  const fs::path requested = fs::path(path).is_absolute() ? fs::path(path) : dir / path;
  // weakly_canonical resolves symlinks and "..", so neither can lead out of the folder.
  const fs::path resolved = fs::weakly_canonical(requested, ec);
  if (ec || !is_within(resolved, dir))
    throw HttpError(403, what + ": '" + path + "' is outside the folder the server may read (" + dir.string() + ")");
  if (!fs::is_regular_file(resolved, ec)) throw HttpError(404, what + ": no file '" + path + "' on the server");
  std::ifstream in(resolved, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw HttpError(404, what + ": cannot read '" + path + "' on the server");
  return bytes;
}

std::string field_name(const std::string& key) { return "field '" + key + "'"; }

}  // namespace

RequestArgs RequestArgs::parse(const httplib::Request& request) {
  RequestArgs args;
  const std::string type = request.get_header_value("Content-Type");
  if (request.is_multipart_form_data()) {
    for (const auto& [name, file] : request.files) {
      if (file.filename.empty())
        args.fields_[name] = file.content;
      else
        args.files_[name] = {file.filename, file.content};
    }
  } else if (starts_with(type, "application/x-www-form-urlencoded") && !starts_with(request.body, "{")) {
    httplib::Params params;
    httplib::detail::parse_query_text(request.body, params);
    for (const auto& [name, value] : params) args.fields_[name] = value;
  } else if (!request.body.empty()) {
    // JSON, whatever the Content-Type says: deepface's clients do not all set it (curl -d sends a
    // JSON text as a url-encoded form).
    try {
      args.fields_ = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::parse_error& e) {
      throw HttpError(400, std::string("the request body is not valid JSON (") + e.what() + ")");
    }
    if (!args.fields_.is_object()) throw HttpError(400, "the request body must be a JSON object of named fields");
  }
  return args;
}

std::optional<nlohmann::json> RequestArgs::value(const std::string& key) const {
  if (!fields_.contains(key) || fields_[key].is_null()) return std::nullopt;
  return fields_[key];
}

bool RequestArgs::has(const std::string& key) const {
  return files_.count(key) || (fields_.contains(key) && !fields_[key].is_null());
}

std::optional<std::string> RequestArgs::text(const std::string& key) const {
  if (!fields_.contains(key) || fields_[key].is_null()) return std::nullopt;
  const auto& v = fields_[key];
  if (!v.is_string()) throw HttpError(400, field_name(key) + " must be a string");
  return v.get<std::string>();
}

std::optional<bool> RequestArgs::boolean(const std::string& key) const {
  if (!fields_.contains(key) || fields_[key].is_null()) return std::nullopt;
  const auto& v = fields_[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "true" || s == "True" || s == "1") return true;
    if (s == "false" || s == "False" || s == "0") return false;
  }
  throw HttpError(400, field_name(key) + " must be true or false");
}

std::optional<double> RequestArgs::number(const std::string& key) const {
  if (!fields_.contains(key) || fields_[key].is_null()) return std::nullopt;
  const auto& v = fields_[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const double d = std::stod(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size()) return d;
    } catch (const std::exception&) {
    }
  }
  throw HttpError(400, field_name(key) + " must be a number");
}

std::optional<long long> RequestArgs::integer(const std::string& key) const {
  const auto d = number(key);
  if (!d) return std::nullopt;
  if (*d != static_cast<double>(static_cast<long long>(*d))) throw HttpError(400, field_name(key) + " must be a whole number");
  return static_cast<long long>(*d);
}

ImageUpload RequestArgs::image(const std::string& key, const ImageSources& sources) const {
  for (const std::string& name : {key, key + "_path"}) {
    if (auto file = files_.find(name); file != files_.end()) {
      const std::string what = field_name(name) + " (upload " + file->second.filename + ")";
      if (file->second.content.empty()) throw HttpError(400, what + ": the uploaded file is empty");
      return {{file->second.content.begin(), file->second.content.end()}, what};
    }
    const auto value = text(name);
    if (!value) continue;
    const std::string what = field_name(name);
    const std::string& s = *value;
    if (s.empty()) throw HttpError(400, what + " is empty");
    if (starts_with(s, "data:")) {
      const auto comma = s.find(',');
      if (comma == std::string::npos || s.rfind(";base64", comma) == std::string::npos)
        throw HttpError(400, what + ": only base64 data URIs (data:image/...;base64,...) are accepted");
      return {decode_base64_image(std::string_view(s).substr(comma + 1), what), what};
    }
    if (starts_with(s, "http://") || starts_with(s, "https://"))
      throw HttpError(400, what + ": the server does not fetch URLs; send the image itself (base64 or upload)");
    if (!sources.allowed_dir.empty() ? s.size() <= 4096 : looks_like_path(s))
      return {read_allowed_file(s, sources, what), what + " ('" + s + "')"};
    return {decode_base64_image(s, what), what};
  }
  throw HttpError(400, "missing " + field_name(key) +
                           ": send the image as a base64 data URI in JSON or as a multipart file upload");
}

std::string detector_spec(const std::string& name) {
  // deepface's backend names for the detectors facekit implements the same way.
  if (name == "opencv") return "haar";
  if (name == "dlib") return "dlib-hog";
  if (name == "skip") return "none";
  return name;
}

std::string model_spec(const std::string& name) {
  // deepface's "Dlib" is dlib's ResNet-29, the network face-api.js's recognition model ports.
  if (name == "Dlib") return "faceapi-resnet";
  return name;
}

PipelineOptions pipeline_options(const RequestArgs& args, const PipelineOptions& defaults,
                                 const RequestLimits& limits) {
  PipelineOptions options = defaults;
  if (auto v = args.text("model_name")) options.model = model_spec(*v);
  if (auto v = args.text("detector_backend")) options.detector = detector_spec(*v);
  // deepface's align is a boolean (false: no rotation); facekit's aligner names are accepted too.
  if (auto v = args.value("align")) {
    if (v->is_boolean() || *v == "true" || *v == "false")
      options.align = (*v == true || *v == "true") ? defaults.align : "none";
    else if (v->is_string())
      options.align = v->get<std::string>();
    else
      throw HttpError(400, "field 'align' must be true, false or an aligner name");
  }
  options.enforce_detection = args.boolean("enforce_detection").value_or(defaults.enforce_detection);
  options.anti_spoofing = args.boolean("anti_spoofing").value_or(defaults.anti_spoofing);
  const long long max_faces = args.integer("max_faces").value_or(limits.max_faces);
  if (max_faces < 1) throw HttpError(400, "field 'max_faces' must be at least 1");
  options.max_faces = int(std::min<long long>(max_faces, limits.max_faces));
  options.image.max_pixels = limits.max_pixels;
  return options;
}

}  // namespace facekit::server
