#include "align/landmark_schemes.hpp"

#include <opencv2/imgproc.hpp>

#include "facekit/error.hpp"

namespace facekit {

const std::array<int, kIbugPointCount> kMeshVertexOfIbugPoint = {
    127, 234, 132, 58, 172, 150, 149, 148, 152, 377, 378, 379, 397, 288, 361, 454, 356,  // jaw 0-16
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,                                      // brows 17-26
    168, 6, 195, 4, 98, 97, 2, 326, 327,                                                // nose 27-35
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,                          // eyes 36-47
    57, 40, 37, 0, 267, 270, 287, 321, 314, 17, 84, 91,                                 // outer lips 48-59
    78, 81, 13, 311, 308, 402, 14, 178,                                                 // inner lips 60-67
};

const std::array<int, 36> kMeshFaceOval = {
    10,  338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58,  132, 93,  234, 127, 162, 21,  54,  103, 67,  109,
};

namespace {

[[noreturn]] void unknown_scheme(std::size_t count, const std::string& who) {
  throw Error(ErrorCode::InvalidArgument,
              who + " needs 68 iBUG landmarks or a 468/478-point face mesh, got " + std::to_string(count) +
                  " points; choose a landmarker (dlib68, faceapi68, faceapi68-tiny, facemesh)");
}

}  // namespace

std::string landmark_scheme(const std::vector<Point>& landmarks, const std::string& who) {
  switch (landmarks.size()) {
    case kIbugPointCount: return "ibug68";
    case kMeshPointCount: return "mesh468";
    case kMeshWithIrisPointCount: return "mesh478";
    default: unknown_scheme(landmarks.size(), who);
  }
}

std::vector<Point> ibug68_points(const std::vector<Point>& landmarks, const std::string& who) {
  if (landmark_scheme(landmarks, who) == "ibug68") return landmarks;
  std::vector<Point> ibug(kIbugPointCount);
  for (std::size_t i = 0; i < kIbugPointCount; ++i) ibug[i] = landmarks[kMeshVertexOfIbugPoint[i]];
  return ibug;
}

std::vector<Point> face_outline(const std::vector<Point>& landmarks) {
  std::vector<Point> outline;
  if (landmark_scheme(landmarks, "the face mask") != "ibug68") {
    for (int vertex : kMeshFaceOval) outline.push_back(landmarks[vertex]);
    return outline;
  }
  // Jaw and brows are not one simple loop (the brows end inside the jaw's ends), hence the hull.
  std::vector<cv::Point2f> jaw_and_brows;
  for (std::size_t i = 0; i <= 26; ++i)
    jaw_and_brows.emplace_back(static_cast<float>(landmarks[i].x), static_cast<float>(landmarks[i].y));
  std::vector<int> hull;  // indices, so the outline keeps the points' full precision
  cv::convexHull(jaw_and_brows, hull);
  for (int i : hull) outline.push_back(landmarks[i]);
  return outline;
}

}  // namespace facekit
