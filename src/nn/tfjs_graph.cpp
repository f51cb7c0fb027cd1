#include "nn/tfjs_graph.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "facekit/error.hpp"
#include "facekit/models.hpp"
#include "nn/tfjs_fusion.hpp"
#include "nn/weight_manifest.hpp"

namespace fs = std::filesystem;

namespace facekit::nn {
namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::ModelCorrupt, "model " + path + ": " + what + "; " + model_fix_hint());
}

std::string producer_name(std::string input) {
  if (!input.empty() && input[0] == '^') return "";
  auto colon = input.rfind(':');
  if (colon != std::string::npos && input.find_first_not_of("0123456789", colon + 1) == std::string::npos)
    input.resize(colon);
  return input;
}

nlohmann::json read_model_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::ModelMissing, "model file " + path + " is missing; " + model_fix_hint());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    corrupt(path, std::string("not valid JSON (") + e.what() + ")");
  }
}

class ConstantOp final : public Op {
 public:
  explicit ConstantOp(Tensor t) : value_(std::move(t)) {}
  const char* type() const override { return "Const"; }
  Tensor forward(const std::vector<const Tensor*>&) const override { return value_; }

 private:
  Tensor value_;
};

}  // namespace

ImportedModel import_tfjs_graph_model(const std::string& path, std::vector<std::string> outputs) {
  const nlohmann::json model = read_model_json(path);
  if (!model.contains("modelTopology") || !model["modelTopology"].contains("node") || !model.contains("weightsManifest"))
    corrupt(path, "not a tfjs graph model (no modelTopology.node or weightsManifest)");
  const WeightMap weights = WeightMap::load_groups(model["weightsManifest"], fs::path(path).parent_path().string(), path);

  std::map<std::string, TfjsNode> nodes;
  std::vector<std::string> order;
  std::set<std::string> consumed;
  for (const auto& n : model["modelTopology"]["node"]) {
    TfjsNode node{n.value("name", ""), n.value("op", ""), {}, n.value("attr", nlohmann::json::object())};
    if (node.name.empty() || node.op.empty()) corrupt(path, "a node without name or op");
    for (const auto& in : n.value("input", std::vector<std::string>{})) {
      auto p = producer_name(in);
      if (p.empty()) continue;
      node.inputs.push_back(p);
      consumed.insert(p);
    }
    order.push_back(node.name);
    nodes[node.name] = std::move(node);
  }
  // Signature outputs: public names (keys) for internal node names (values' "name").
  std::map<std::string, std::string> signature_outputs;
  if (model.contains("signature") && model["signature"].contains("outputs"))
    for (const auto& [key, value] : model["signature"]["outputs"].items())
      signature_outputs[key] = producer_name(value.value("name", key));
  if (outputs.empty())
    for (const auto& [key, node] : signature_outputs) outputs.push_back(key);
  if (outputs.empty())
    for (const auto& name : order)
      if (!consumed.count(name) && nodes[name].op != "Const" && nodes[name].op != "Placeholder") outputs.push_back(name);

  // Every op reachable from the outputs must be supported: say so before building anything.
  std::vector<std::string> topo;
  std::set<std::string> visited;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (visited.count(name)) return;
    visited.insert(name);
    auto it = nodes.find(name);
    if (it == nodes.end()) corrupt(path, "node input '" + name + "' does not exist");
    for (const auto& in : it->second.inputs) visit(in);
    topo.push_back(name);
  };
  std::vector<std::string> output_nodes;
  for (const auto& o : outputs) {
    const std::string name = producer_name(o);
    output_nodes.push_back(nodes.count(name) || !signature_outputs.count(name) ? name : signature_outputs[name]);
    visit(output_nodes.back());
  }
  for (const auto& name : topo) {
    const std::string& op = nodes[name].op;
    if (op != "Const" && op != "Placeholder" && op != "Identity" && !tfjs_op_supported(op))
      throw Error(ErrorCode::Unsupported, "model " + path + ": op " + op + " (node " + name +
                                              ") is not supported by the facekit engine");
  }

  ImportedModel result;
  std::map<std::string, int> graph_id;        // runtime value of a node
  std::map<std::string, Tensor> constants;    // load-time value of a node
  // A Const node's value, loaded when first asked for (fusion looks ahead at the constants of the
  // nodes after a convolution before the loop below reaches them).
  const ConstantLookup constant = [&](const std::string& name) -> const Tensor* {
    if (auto it = constants.find(name); it != constants.end()) return &it->second;
    auto node = nodes.find(name);
    if (node == nodes.end()) return nullptr;
    if (node->second.op == "Identity" && node->second.inputs.size() == 1) return constant(node->second.inputs[0]);
    if (node->second.op != "Const") return nullptr;
    if (!weights.has(name)) corrupt(path, "constant " + name + " has no weights");
    return &(constants[name] = weights.get(name));
  };
  std::map<std::string, std::vector<std::string>> consumers;
  for (const auto& name : topo)
    for (const auto& in : nodes[name].inputs) consumers[in].push_back(name);
  const std::set<std::string> output_set(output_nodes.begin(), output_nodes.end());
  std::set<std::string> fused_away;  // nodes computed inside a fused convolution
  for (const auto& name : topo) {
    const TfjsNode& node = nodes[name];
    if (fused_away.count(name)) continue;
    if (node.op == "Const") {
      constant(name);
      continue;
    }
    if (node.op == "Placeholder") {
      graph_id[name] = result.graph.add_input(name);
      result.input_names.push_back(name);
      Shape shape;
      if (node.attr.contains("shape"))
        for (const auto& d : node.attr["shape"]["shape"].value("dim", nlohmann::json::array()))
          shape.push_back(std::stoll(d.value("size", std::string("-1"))));
      result.input_shapes.push_back(shape);
      continue;
    }
    if (node.op == "Identity" && node.inputs.size() == 1) {  // an alias, not a computation
      const auto& src = node.inputs[0];
      if (constants.count(src)) constants[name] = constants[src];
      else graph_id[name] = graph_id.at(src);
      continue;
    }
    if (!node.inputs.empty() && graph_id.count(node.inputs[0])) {
      std::unique_ptr<ConvEpilogue> fused;
      try {
        fused = match_conv_epilogue(node, nodes, consumers, output_set, constant,
                                    [&](const std::string& n) { return graph_id.count(n) != 0; });
      } catch (const Error& e) {
        throw Error(e.code(), "model " + path + ": node " + name + ": " + e.what());
      }
      if (fused) {
        const std::string& tail = fused->absorbed.empty() ? name : fused->absorbed.back();
        fused_away.insert(fused->absorbed.begin(), fused->absorbed.end());
        std::vector<int> inputs{graph_id.at(node.inputs[0])};
        if (!fused->residual.empty()) inputs.push_back(graph_id.at(fused->residual));
        graph_id[tail] = result.graph.add(make_fused_conv_op(node, *constant(node.inputs[1]), *fused), inputs, tail);
        continue;
      }
    }
    std::vector<Operand> operands;
    std::vector<int> runtime_inputs;
    for (const auto& in : node.inputs) {
      if (constants.count(in)) {
        operands.push_back({-1, constants[in]});
      } else {
        operands.push_back({static_cast<int>(runtime_inputs.size()), {}});
        runtime_inputs.push_back(graph_id.at(in));
      }
    }
    std::unique_ptr<Op> op;
    try {
      op = make_tfjs_op(node, std::move(operands));
    } catch (const Error& e) {
      throw Error(e.code(), "model " + path + ": node " + name + ": " + e.what());
    }
    if (runtime_inputs.empty()) {
      constants[name] = op->forward({});  // constant folding (shape arithmetic, weight transforms)
    } else {
      graph_id[name] = result.graph.add(std::move(op), runtime_inputs, name);
    }
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::string& node = output_nodes[k];
    const int id = graph_id.count(node) ? graph_id[node]
                                        : result.graph.add(std::make_unique<ConstantOp>(constants.at(node)), {}, node);
    result.graph.add_output(id, outputs[k]);
    result.output_names.push_back(outputs[k]);
  }
  return result;
}

}  // namespace facekit::nn
