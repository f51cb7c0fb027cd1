// The face-api.js attribute nets (@vladmandic/face-api 1.7.15): AgeGenderNet on TinyXception and
// FaceExpressionNet on FaceFeatureExtractor, rebuilt on the engine's Graph from their weight manifests.
// Both take the face-api face input: [1,112,112,3], centred pad to a square, (v - mean) / 255
// (faceapi_face_input). Batch is 1.
#pragma once
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "nn/graph.hpp"
#include "nn/weight_manifest.hpp"

namespace facekit::nn::faceapi {

// The class order of FaceExpressionNet's 7 outputs (faceExpressionNet/FaceExpressions.ts).
inline constexpr std::array<const char*, 7> kExpressionLabels = {"neutral", "happy",     "sad",      "angry",
                                                                 "fearful", "disgusted", "surprised"};

// ageGenderNet/AgeGenderNet.ts runNet(): TinyXception(2 main blocks) -> avgPool 7x7 stride 2 'valid'
// -> fc/age [1,1] (years) and fc/gender [1,2] (logits; softmax[0] = P(male), types.ts Gender).
// Outputs, in order: "age", "gender_logits".
Graph build_age_gender_net(const WeightMap& weights);

// faceExpressionNet/FaceExpressionNet.ts runNet(): FaceFeatureExtractor (4 dense blocks, avgPool 7x7
// stride 2) -> fc [1,7] logits in kExpressionLabels order. Output: "logits".
Graph build_expression_net(const WeightMap& weights);

// FaceFeatureExtractor / TinyXception forwardInput(): toBatchTensor(112, centred) then
// (v - [122.782, 117.001, 104.298]) / 255, from an RGB CV_8UC3 face crop.
Tensor faceapi_face_input(const cv::Mat& face_rgb);

// tf.softmax in float32, as the nets' forwardInput applies it.
std::vector<float> softmax(const std::vector<float>& logits);

}  // namespace facekit::nn::faceapi
