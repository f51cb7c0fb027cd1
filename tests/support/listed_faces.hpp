// Face boxes that upstream projects assert in their own tests, for checking detectors on real photos.
#pragma once
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "facekit/types.hpp"
#include "support/test_support.hpp"

namespace facekit::test {

// PASCAL VOC's criterion for two boxes marking the same object.
inline constexpr double kSameFaceIou = 0.5;

// The data set's face folders: shared/data/faces.
inline std::filesystem::path faces_dir() { return shared_dir() / "data" / "faces"; }

// face_recognition reports (top, right, bottom, left) of dlib's inclusive rectangle.
inline Rect from_css(long top, long right, long bottom, long left) {
  return {double(left), double(top), double(right - left + 1), double(bottom - top + 1)};
}

// faceapi-js/detection_boxes_faces_jpg.csv: the boxes face-api.js's own tests expect on
// test/images/faces.jpg from its three detectors (detector,x,y,width,height).
inline std::vector<Rect> faceapi_listed_faces_jpg_boxes() {
  std::vector<Rect> listed;
  std::ifstream csv(faces_dir() / "faceapi-js/detection_boxes_faces_jpg.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string detector_name;
    Rect r;
    fields >> detector_name >> r.x >> r.y >> r.width >> r.height;
    listed.push_back(r);
  }
  return listed;
}

// The best IoU of `box` with any of `listed`.
inline double best_iou(const Rect& box, const std::vector<Rect>& listed) {
  double best = 0;
  for (const Rect& r : listed) best = std::max(best, iou(box, r));
  return best;
}

}  // namespace facekit::test
