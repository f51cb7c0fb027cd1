// Reading shared/reference golden files and comparing with the reference's tolerance:
// |a - b| <= tol * max(1, max|ref|) per output (shared/reference/README.md).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "facekit/facekit.hpp"
#include "support/test_support.hpp"

namespace facekit::test {

// The pipeline shared/reference ran to make faceapi_*.json: face-api.js's SSD, its 68-point landmarks and
// its landmark box, with the whole image used when SSD finds nothing.
inline PipelineOptions faceapi_reference_options() {
  PipelineOptions o;
  o.detector = "ssd";
  o.align = "faceapi";
  o.landmarker = "faceapi68";
  o.model = "faceapi-resnet";
  o.enforce_detection = false;
  return o;
}

inline nlohmann::json load_golden(const std::string& name) {
  auto path = shared_dir() / "reference" / "golden" / name;
  return nlohmann::json::parse(read_file(path));
}

// Largest scaled error between an output and its reference.
inline double scaled_error(const std::vector<float>& got, const std::vector<double>& ref) {
  double max_ref = 1.0;
  for (double r : ref) max_ref = std::max(max_ref, std::fabs(r));
  double worst = 0;
  for (size_t i = 0; i < ref.size() && i < got.size(); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - ref[i]) / max_ref);
  return worst;
}

inline void expect_close_to_reference(const std::vector<float>& got, const std::vector<double>& ref,
                                      const std::string& what, double tol = 1e-4) {
  ASSERT_EQ(got.size(), ref.size()) << what;
  const double err = scaled_error(got, ref);
  EXPECT_LE(err, tol) << what << ": scaled error " << err;
}

// The reference's synthetic input: v = (7y + 3x + 11c) % 256, c = channel (R = 0).
inline std::vector<unsigned char> synthetic_rgb(int height, int width) {
  std::vector<unsigned char> v(static_cast<size_t>(height) * width * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) v[(size_t(y) * width + x) * 3 + c] = static_cast<unsigned char>((7 * y + 3 * x + 11 * c) % 256);
  return v;
}

}  // namespace facekit::test
