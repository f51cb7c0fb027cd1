// The face-api.js nets, rebuilt layer by layer on the engine's Graph from their weight manifests.
// Each mirrors the TypeScript of @vladmandic/face-api 1.7.15 (src/<net>/...); comments name the file.
// Inputs are already normalised (see image_prep.hpp); batch is 1.
#pragma once
#include "nn/graph.hpp"
#include "nn/weight_manifest.hpp"

namespace facekit::nn::faceapi {

// common/depthwiseSeparableConv.ts: separableConv2d(depthwise_filter, pointwise_filter, 'same') + bias,
// then `act`; shared by the FaceFeatureExtractor nets and TinyXception (faceapi_attribute_nets.cpp).
int separable_conv(Graph& g, const WeightMap& w, int x, const std::string& prefix, int stride, Activation act);

// faceRecognitionNet/FaceRecognitionNet.ts: [1,150,150,3] -> descriptor [1,128] (not L2-normalised).
Graph build_recognition_net(const WeightMap& weights);

// faceLandmarkNet/FaceLandmark68Net.ts: [1,112,112,3] -> [1,136] = 68 x (x, y) relative to the input.
Graph build_landmark68_net(const WeightMap& weights);

// faceLandmarkNet/FaceLandmark68TinyNet.ts (TinyFaceFeatureExtractor: three denseBlock3, avgPool 14):
// same input, normalisation and output as build_landmark68_net.
Graph build_landmark68_tiny_net(const WeightMap& weights);

// ssdMobilenetv1/SsdMobilenetv1.ts up to the output layer: [1,512,512,3] in -1..1 ->
// outputs "box_encodings" [5118,4] and "class_logits" [5118,3]. Decoding against the anchors
// (`Output/extra_dim`, see ssd_anchors) and NMS happen in the detector.
Graph build_ssd_mobilenetv1(const WeightMap& weights);
Tensor ssd_anchors(const WeightMap& weights);  // [5118,4] ymin, xmin, ymax, xmax

// outputLayer.ts: boxes (ymin, xmin, ymax, xmax relative to the padded input, 4 per anchor) and
// face scores sigmoid(class_logits[:, 1]), in float32 as tfjs computes them.
void decode_ssd(const Tensor& box_encodings, const Tensor& class_logits, const Tensor& anchors,
                std::vector<float>& boxes, std::vector<float>& scores);

}  // namespace facekit::nn::faceapi
