// Plain result types shared by every stage. Coordinates are pixels of the original image.
#pragma once
#include <array>
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
  // The landmarker's points in image coordinates when one ran, else empty: 68 iBUG points, or a
  // 468/478-point face mesh (see Landmarker in components.hpp).
  std::vector<Point> landmarks;
  std::string alignment;            // name of the aligner that made `chip`
  Rect crop;                        // integer rectangle sliced from the image (axis-aligned aligners)
  // Where the chip came from: chip pixel (u, v) samples the image point (a*u + b*v + c, d*u + e*v + f)
  // for {a, b, c, d, e, f}; set by every built-in aligner (the face mask maps the outline with it).
  std::optional<std::array<double, 6>> chip_to_image;
};

}  // namespace facekit
