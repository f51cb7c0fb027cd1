#include <mutex>

#include "core/registration.hpp"
#include "core/user_models.hpp"
#include "facekit/error.hpp"

namespace facekit {

Registry<Detector>& detector_registry() {
  static Registry<Detector> registry = [] {
    Registry<Detector> r;
    register_ssd_detector(r);
    register_tiny_detector(r);
    register_blazeface_detector(r);
    register_mtcnn_detector(r);
    register_haar_detector(r);
    register_dlib_hog_detector(r);
    register_hog_cascade_detector(r);
    register_basic_detectors(r);
    return r;
  }();
  return registry;
}

Registry<Landmarker>& landmarker_registry() {
  static Registry<Landmarker> registry = [] {
    Registry<Landmarker> r;
    register_faceapi_landmarkers(r);
    register_dlib_landmarkers(r);
    register_facemesh_landmarkers(r);
    return r;
  }();
  return registry;
}

Registry<Aligner>& aligner_registry() {
  static Registry<Aligner> registry = [] {
    Registry<Aligner> r;
    register_aligners(r);
    return r;
  }();
  return registry;
}

Registry<Embedder>& embedder_registry() {
  static Registry<Embedder> registry = [] {
    Registry<Embedder> r;
    register_faceapi_embedders(r);
    register_human_embedders(r);
    return r;
  }();
  return registry;
}

namespace {

template <typename T>
std::unique_ptr<T> create_from(Registry<T>& registry, const std::string& spec, const char* family) {
  ComponentOptions options = ComponentOptions::parse(spec);
  const auto* entry = registry.find(options.name());
  if (!entry) {
    std::string names;
    for (const auto& n : registry.names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::InvalidArgument,
                std::string("unknown ") + family + " '" + options.name() + "' (valid: " + names + ")");
  }
  return entry->factory(options);
}

}  // namespace

std::unique_ptr<Detector> create_detector(const std::string& spec) {
  const ComponentOptions options = ComponentOptions::parse(spec);
  if (!detector_registry().find(options.name()))
    if (auto user = create_user_detector(options)) return user;  // `facekit models add --task detect`
  return create_from(detector_registry(), spec, "detector");
}
std::unique_ptr<Landmarker> create_landmarker(const std::string& spec) {
  return create_from(landmarker_registry(), spec, "landmarker");
}
std::unique_ptr<Aligner> create_aligner(const std::string& spec) {
  return create_from(aligner_registry(), spec, "alignment");
}
std::unique_ptr<Embedder> create_embedder(const std::string& spec) {
  // Models users registered (`facekit models add`, core/user_models.hpp) resolve by name too.
  const ComponentOptions options = ComponentOptions::parse(spec);
  if (!embedder_registry().find(options.name()))
    if (auto user = create_user_embedder(options)) return user;
  return create_from(embedder_registry(), spec, "model");
}

}  // namespace facekit
