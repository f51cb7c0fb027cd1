// face-api.js TinyFaceDetector (@vladmandic/face-api 1.7.15, src/tinyFaceDetector/ on top of
// src/tinyYolov2/TinyYolov2Base.ts), rebuilt on the engine's Graph from its weight manifest, and the
// decoding of its output grid (TinyYolov2Base.extractBoxes).
#pragma once
#include <array>
#include <vector>

#include "nn/graph.hpp"
#include "nn/weight_manifest.hpp"

namespace facekit::nn::faceapi {

// tinyFaceDetector/const.ts MEAN_RGB: the input is (v - mean) / 255 per channel (TinyYolov2Base.forwardInput).
inline constexpr std::array<float, 3> kTinyFaceMeanRgb = {117.001f, 114.697f, 97.404f};

// TinyYolov2Base.runMobilenet as TinyFaceDetector configures it (first layer a plain conv, filter sizes
// 3..512, so no conv6/conv7): [1,S,S,3] with S a multiple of 32 -> raw grid [1,S/32,S/32,25] =
// 5 anchors x (tx, ty, tw, th, objectness logit).
Graph build_tiny_face_detector(const WeightMap& weights);

// A decoded grid cell: corners relative to the image inside the padded square (0..1 spans the image).
struct TinyYoloBox {
  double left = 0, top = 0, right = 0, bottom = 0;
  double score = 0;
};

// TinyYolov2Base.extractBoxes: every (row, col, anchor), in that order, whose sigmoid(logit) exceeds
// score_threshold. `image_width/height_in_input` is where the image lies in the padded square
// (utils computeReshapedDimensions), which undoes the bottom/right padding.
std::vector<TinyYoloBox> decode_tiny_face_grid(const Tensor& grid, int image_width_in_input,
                                               int image_height_in_input, double score_threshold);

}  // namespace facekit::nn::faceapi
