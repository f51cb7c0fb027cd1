// `facekit models add NAME --file F ...` / `models remove NAME`: register the user's own model files
// (core/user_models.hpp) so that --model NAME works everywhere a built-in model does.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/user_models.hpp"

namespace facekit::cli {

// Rows for `facekit models [--json]`, in the catalog's shape.
nlohmann::json user_model_listing() {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& m : load_user_models()) {
    bool available = true;
    try {
      require_user_model_file(m);
      if (!m.weights.empty()) require_user_model_file(m, true);
    } catch (const Error&) {
      available = false;
    }
    const std::string input = std::to_string(m.input.width) + "x" + std::to_string(m.input.height) + " " +
                              (m.input.channels == "bgr" ? "BGR" : "RGB") + " " + m.input.layout;
    nlohmann::json files = nlohmann::json::array({{{"file", m.file}, {"sha256", m.sha256}}});
    if (!m.weights.empty()) files.push_back({{"file", m.weights}, {"sha256", m.weights_sha256}});
    rows.push_back({{"name", m.name}, {"task", m.task}, {"input", input}, {"output_dim", m.dim},
                    {"source", "user"}, {"licence", "supplied by the user"}, {"format", m.format},
                    {"preset", m.preset}, {"file", user_model_dir() + "/" + m.file}, {"files", files},
                    {"sha256", m.sha256}, {"available", available},
                    {"description", "user model (" + m.format + ") from " + m.original}});
  }
  return rows;
}

void add_user_model_commands(CLI::App& models, CommandList& commands) {
  static UserModelRequest request;
  auto* add = models.add_subcommand("add", "register your own model file (ONNX, Caffe, TensorFlow, Torch7)");
  add->add_option("name", request.name, "name to use with --model")->required();
  add->add_option("--file", request.file, "model file (.onnx, Caffe .prototxt, TF frozen .pb, Torch .t7)")->required();
  add->add_option("--weights", request.weights, "second file: Caffe .caffemodel, or TF .pbtxt config");
  add->add_option("--format", request.format, "onnx|caffe|tf|torch (default: from the extension)");
  add->add_option("--preset", request.preset, "well-known model's preprocessing (docs/user-models.md)");
  add->add_option("--task", request.task, "embed, or detect (with --preset opencv-ssd, yunet, retinaface or scrfd)");
  add->add_option("--input", request.input, "input size WxH");
  add->add_option("--mean", request.mean, "subtracted per channel (0..255 scale): m or m1,m2,m3");
  add->add_option("--std", request.std, "divisor per channel after the mean: s or s1,s2,s3");
  add->add_option("--layout", request.layout, "nchw|nhwc");
  add->add_option("--channels", request.channels, "rgb|bgr");
  add->add_option("--output", request.output, "output layer name (default: the net's last)");
  add->add_option("--align", request.alignment, "aligner for its chips (5point, arcface, ...)");
  static std::string remove_name;
  auto* remove = models.add_subcommand("remove", "forget a user model and delete its copied files");
  remove->add_option("name", remove_name, "user model name")->required();

  commands.push_back({add, [] {
                        const UserModel m = add_user_model(request);
                        std::cout << "added " << m.name << " (" << m.task << ", " << m.format << ", " << m.input.width
                                  << "x" << m.input.height;
                        if (m.task == "embed") std::cout << ", " << m.dim << "-D";
                        std::cout << ") to " << user_model_table() << "\n";
                        return 0;
                      }});
  commands.push_back({remove, [] {
                        remove_user_model(remove_name);
                        std::cout << "removed " << remove_name << "\n";
                        return 0;
                      }});
}

}  // namespace facekit::cli
