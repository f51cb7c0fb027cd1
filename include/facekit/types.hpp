// Plain result types shared by every stage. Coordinates are pixels of the original image.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace facekit {

struct Point {
  double x = 0;
  double y = 0;
};

struct Rect {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  double right() const { return x + width; }
  double bottom() const { return y + height; }
  double area() const { return width * height; }
};

double iou(const Rect& a, const Rect& b);

// One face as a detector reports it.
struct Detection {
  Rect box;
  float score = 0.f;
  // The detector's own keypoints in its own order (MTCNN: 5, BlazeFace: 6); empty when it has none.
  std::vector<Point> keypoints;
  // Eye centres when known. As in deepface, left_eye is the subject's left eye (on the image's right).
  std::optional<Point> left_eye;
  std::optional<Point> right_eye;
};

// A face after landmarking and alignment: what an embedder sees, plus where it came from.
struct FaceRegion {
  Detection detection;
  std::vector<Point> landmarks;     // 68 points in image coordinates when a landmarker ran, else empty
  std::string alignment;            // name of the aligner that made `chip`
  Rect crop;                        // integer rectangle sliced from the image (axis-aligned aligners)
};

}  // namespace facekit
