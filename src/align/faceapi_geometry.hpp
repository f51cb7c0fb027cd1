// Box arithmetic of face-api.js (classes/Box.ts, classes/FaceLandmarks.ts), kept separate so the
// landmarker, the `faceapi` aligner and the tests share one copy.
#pragma once
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/types.hpp"

namespace facekit::faceapi {

// Box.clipAtImageBorders(): clip to the image, then floor x, y, width and height.
cv::Rect clip_and_floor(const Rect& box, int image_width, int image_height);

// FaceLandmarks.alignDlib(): square box from the eye and mouth centres of 68 landmarks.
// `crop_width/height` are the dimensions face-api keeps for the landmarks (those of the crop the
// landmark net saw) and enter its final min(): replicated as is.
Rect dlib_style_box(const std::vector<Point>& landmarks68, double crop_width, double crop_height);

// FaceLandmarks.alignMinBbox(): the 68 points' bounding box grown by `padding` of its size.
Rect min_bbox_box(const std::vector<Point>& landmarks68, double padding = 0.2);

// Centre of a range of landmark points.
Point centre(const std::vector<Point>& points, int first, int last_exclusive);

}  // namespace facekit::faceapi
