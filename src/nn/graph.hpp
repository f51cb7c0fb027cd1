// A small dataflow graph and its executor. Nets are built as a list of nodes (by code for the
// face-api nets, by an importer for tfjs graph models); the executor runs them in order and frees
// each intermediate tensor after its last use.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/kernels.hpp"
#include "nn/tensor.hpp"

namespace facekit::nn {

class Op {
 public:
  virtual ~Op() = default;
  virtual const char* type() const = 0;
  virtual Tensor forward(const std::vector<const Tensor*>& inputs) const = 0;
};

class Graph {
 public:
  int add_input(std::string name);
  int add(std::unique_ptr<Op> op, std::vector<int> inputs, std::string name = "");
  void add_output(int node, std::string name);

  // Runs the graph; `inputs` in the order of add_input. Returns outputs in add_output order.
  std::vector<Tensor> run(std::vector<Tensor> inputs) const;

  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<std::string>& output_names() const { return output_names_; }

  // ---- builders for the ops the face nets use (each returns the new node id) -----------------
  int conv(int x, Tensor filter, std::vector<float> bias, int stride, Padding padding, Activation act,
           std::string name = "");
  int depthwise(int x, Tensor filter, std::vector<float> bias, int stride, Padding padding, Activation act,
                std::string name = "");
  int max_pool(int x, int kernel, int stride, Padding padding);
  int avg_pool(int x, int kernel, int stride, Padding padding);
  int add(int a, int b, Activation act = Activation::None);
  int global_mean(int x);
  int dense(int x, Tensor weights, std::vector<float> bias);
  // Zero padding so that the output has at least `shape` (dims < 0 are left alone), padding at the end.
  int pad_end_to(int x, Shape shape);
  int pad_end_like(int x, int like_node, std::vector<int> dims);
  int reshape(int x, Shape shape);  // one dim may be -1
  int concat(std::vector<int> xs, int axis);

 private:
  struct Node {
    std::unique_ptr<Op> op;  // null for graph inputs
    std::vector<int> inputs;
    std::string name;
  };
  std::vector<Node> nodes_;
  std::vector<int> input_nodes_;
  std::vector<int> output_nodes_;
  std::vector<std::string> output_names_;
};

}  // namespace facekit::nn
