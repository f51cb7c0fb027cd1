// What a request carries, whatever its encoding: a JSON object body, a multipart/form-data upload
// or a url-encoded form, read into one set of named fields. deepface's field names throughout.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "facekit/facekit.hpp"

namespace httplib {
struct Request;
}

namespace facekit::server {

// An image as the client sent it, not yet decoded.
struct ImageUpload {
  std::vector<std::uint8_t> bytes;
  std::string what;  // names it in messages: "field 'img1' (upload photo.jpg)"
};

// Where images may come from besides the request itself.
struct ImageSources {
  // Server-side files are read only below this folder (symlinks resolved); empty = never.
  std::filesystem::path allowed_dir;
};

class RequestArgs {
 public:
  // Throws HttpError 400 for a body that is not a JSON object or a form, with what is wrong.
  static RequestArgs parse(const httplib::Request& request);

  bool has(const std::string& key) const;
  std::optional<nlohmann::json> value(const std::string& key) const;  // as sent; nullopt when absent or null
  // Typed fields; a present field of the wrong type throws HttpError 400 naming it. Form fields are
  // text, so "true"/"false" and numbers written as text are accepted everywhere.
  std::optional<std::string> text(const std::string& key) const;
  std::optional<bool> boolean(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;
  std::optional<long long> integer(const std::string& key) const;

  // The image in `key` (or deepface's `<key>_path` spelling): a multipart file, a base64 data URI,
  // bare base64, or (when allowed) a server-side path. Throws HttpError: 400 missing or not base64,
  // 403 a path while paths are off or outside the allowed folder, 404 an allowed path that is absent.
  ImageUpload image(const std::string& key, const ImageSources& sources) const;

 private:
  nlohmann::json fields_ = nlohmann::json::object();
  struct File {
    std::string filename;
    std::string content;
  };
  std::map<std::string, File> files_;
};

// The server's limits, applied to every request.
struct RequestLimits {
  std::size_t max_body_bytes = 32u << 20;  // whole request body
  std::int64_t max_pixels = 40'000'000;    // per image, from its header, before decoding
  int max_faces = 32;                      // faces per image that go through the pipeline
};

// Pipeline options from deepface's fields (model_name, detector_backend, align, enforce_detection,
// max_faces) over the server's defaults; deepface's backend names map to facekit's components.
PipelineOptions pipeline_options(const RequestArgs& args, const PipelineOptions& defaults,
                                 const RequestLimits& limits);

// facekit's component name for a deepface name ("opencv" -> "haar", "Dlib" -> "faceapi-resnet");
// other names pass through and are checked by the registries.
std::string detector_spec(const std::string& deepface_or_facekit_name);
std::string model_spec(const std::string& deepface_or_facekit_name);

}  // namespace facekit::server
