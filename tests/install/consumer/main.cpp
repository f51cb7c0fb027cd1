// Uses the installed headers and library without any model file: spec parsing, geometry, errors and
// the component registries (which pull in the detectors and so the private OpenBLAS dependency).
#include <iostream>
#include <string>

#include <facekit/components.hpp>
#include <facekit/error.hpp>
#include <facekit/models.hpp>
#include <facekit/registry.hpp>
#include <facekit/types.hpp>

namespace {

template <typename T>
std::string joined(const facekit::Registry<T>& registry) {
  std::string out;
  for (const auto& name : registry.names()) out += (out.empty() ? "" : ",") + name;
  return out;
}

}  // namespace

int main() {
  const auto options = facekit::ComponentOptions::parse("ssd:min_confidence=0.3");
  std::cout << "component " << options.name() << " min_confidence=" << options.get_double("min_confidence", 0)
            << "\n";

  try {
    facekit::ComponentOptions::parse("ssd:min_confidence");
    std::cout << "malformed spec accepted\n";
    return 1;
  } catch (const facekit::Error& e) {
    std::cout << "malformed spec rejected: " << facekit::to_string(e.code()) << "\n";
  }

  const facekit::Rect a{0, 0, 2, 2}, b{1, 1, 2, 2};
  std::cout << "iou " << facekit::iou(a, b) << "\n";

  std::cout << "detectors " << joined(facekit::detector_registry()) << "\n";
  std::cout << "aligners " << joined(facekit::aligner_registry()) << "\n";
  std::cout << "models";
  for (const auto& info : facekit::model_infos()) std::cout << " " << info.name;
  std::cout << "\n";
  return 0;
}
