// A tiny embedding net (3x3 conv with 2 filters + bias, ReLU, then a fully connected layer over the
// flattened map or over its spatial mean) written out as ONNX, Caffe and TensorFlow files, and the
// same net computed directly in C++ for the tests to compare with.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/user_models.hpp"
#include "support/proto_writer.hpp"

namespace facekit::test {

// A deterministic RGB test image with distinct values in every pixel and channel.
inline cv::Mat test_image(int width, int height) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) img.at<cv::Vec3b>(y, x)[c] = static_cast<unsigned char>((y * 37 + x * 11 + c * 67 + 5) % 256);
  return img;
}

class TinyNet {
 public:
  enum class Head { Flatten, GlobalMean };
  static constexpr int kFilters = 2;

  TinyNet(int width_, int height_, int dim, Head head) : width(width_), height(height_), dim_(dim), head_(head) {
    conv_w_ = values(kFilters * 3 * 9, 0.7, 0.3);  // OIHW
    conv_b_ = {0.25f, -0.5f};
    fc_w_ = values(dim * features(), 1.3, 0.1);     // [dim, features]
    fc_b_ = values(dim, 2.1, 0.5);
  }

  int dim() const { return dim_; }

  // The net on `rgb` (already width x height) with the registration's channel order and mean/std.
  std::vector<float> reference(const cv::Mat& rgb, const facekit::InputSpec& in) const {
    std::vector<double> x(3 * height * width);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < height; ++y)
        for (int i = 0; i < width; ++i) {
          const int source_channel = in.channels == "bgr" ? 2 - c : c;
          x[(c * height + y) * width + i] = (rgb.at<cv::Vec3b>(y, i)[source_channel] - in.mean[c]) / in.std[c];
        }
    std::vector<double> map(kFilters * height * width);
    for (int o = 0; o < kFilters; ++o)
      for (int y = 0; y < height; ++y)
        for (int i = 0; i < width; ++i) {
          double s = conv_b_[o];
          for (int c = 0; c < 3; ++c)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int yy = y + ky - 1, xx = i + kx - 1;
                if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;  // zero padding
                s += conv_w_[((o * 3 + c) * 3 + ky) * 3 + kx] * x[(c * height + yy) * width + xx];
              }
          map[(o * height + y) * width + i] = std::max(0.0, s);
        }
    std::vector<double> f = map;
    if (head_ == Head::GlobalMean) {
      f.assign(kFilters, 0.0);
      for (int o = 0; o < kFilters; ++o) {
        for (int k = 0; k < height * width; ++k) f[o] += map[o * height * width + k];
        f[o] /= height * width;
      }
    }
    std::vector<float> out(dim_);
    for (int j = 0; j < dim_; ++j) {
      double s = fc_b_[j];
      for (int k = 0; k < features(); ++k) s += fc_w_[j * features() + k] * f[k];
      out[j] = static_cast<float>(s);
    }
    return out;
  }

  // ONNX (opset 11): [Transpose NHWC->NCHW] Conv, Relu, Flatten | GlobalAveragePool+Flatten, Gemm.
  std::string onnx(bool nhwc_input) const {
    Proto graph;
    std::string x = "data";
    if (nhwc_input) {
      graph.message(1, onnx_node("Transpose", {"data"}, {"data_nchw"}, {onnx_ints("perm", {0, 3, 1, 2})}));
      x = "data_nchw";
    }
    graph.message(1, onnx_node("Conv", {x, "conv_w", "conv_b"}, {"conv"},
                               {onnx_ints("kernel_shape", {3, 3}), onnx_ints("pads", {1, 1, 1, 1}),
                                onnx_ints("strides", {1, 1})}));
    graph.message(1, onnx_node("Relu", {"conv"}, {"relu"}, {}));
    std::string pooled = "relu";
    if (head_ == Head::GlobalMean) {
      graph.message(1, onnx_node("GlobalAveragePool", {"relu"}, {"gap"}, {}));
      pooled = "gap";
    }
    graph.message(1, onnx_node("Flatten", {pooled}, {"flat"}, {onnx_int("axis", 1)}));
    graph.message(1, onnx_node("Gemm", {"flat", "fc_w", "fc_b"}, {"embedding"}, {onnx_int("transB", 1)}));
    graph.bytes(2, "tiny");
    graph.message(5, onnx_tensor("conv_w", {kFilters, 3, 3, 3}, conv_w_));
    graph.message(5, onnx_tensor("conv_b", {kFilters}, conv_b_));
    graph.message(5, onnx_tensor("fc_w", {dim_, features()}, fc_w_));
    graph.message(5, onnx_tensor("fc_b", {dim_}, fc_b_));
    graph.message(11, onnx_value_info("data", nhwc_input ? std::vector<std::int64_t>{1, height, width, 3}
                                                         : std::vector<std::int64_t>{1, 3, height, width}));
    graph.message(12, onnx_value_info("embedding", {1, dim_}));
    Proto model;
    model.varint(1, 7);  // ir_version
    model.bytes(2, "facekit-test");
    model.message(7, graph);
    model.message(8, Proto().varint(2, 11));  // opset_import { version: 11 }
    return model.str();
  }

  // Caffe: the text net definition and the binary weights (NetParameter with blobs by layer name).
  std::string caffe_prototxt() const {
    return "name: \"tiny\"\ninput: \"data\"\ninput_shape { dim: 1 dim: 3 dim: " + std::to_string(height) +
           " dim: " + std::to_string(width) +
           " }\n"
           "layer { name: \"conv\" type: \"Convolution\" bottom: \"data\" top: \"conv\"\n"
           "  convolution_param { num_output: 2 kernel_size: 3 pad: 1 } }\n"
           "layer { name: \"relu\" type: \"ReLU\" bottom: \"conv\" top: \"conv\" }\n"
           "layer { name: \"fc\" type: \"InnerProduct\" bottom: \"conv\" top: \"fc\"\n"
           "  inner_product_param { num_output: " + std::to_string(dim_) + " } }\n";
  }
  std::string caffemodel() const {
    auto blob = [](const std::vector<std::int64_t>& shape, const std::vector<float>& data) {
      return Proto().message(7, Proto().packed_varints(1, shape)).packed_floats(5, data);
    };
    Proto net;
    net.bytes(1, "tiny");
    net.message(100, Proto().bytes(1, "conv").bytes(2, "Convolution")
                         .message(7, blob({kFilters, 3, 3, 3}, conv_w_)).message(7, blob({kFilters}, conv_b_)));
    net.message(100, Proto().bytes(1, "fc").bytes(2, "InnerProduct")
                         .message(7, blob({dim_, features()}, fc_w_)).message(7, blob({dim_}, fc_b_)));
    return net.str();
  }

  // TensorFlow GraphDef (NHWC): Conv2D SAME, BiasAdd, Relu, Mean over H and W, MatMul, BiasAdd.
  std::string tf_graphdef() const {
    std::vector<float> hwio(conv_w_.size());
    for (int o = 0; o < kFilters; ++o)
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 9; ++k) hwio[(k * 3 + c) * kFilters + o] = conv_w_[(o * 3 + c) * 9 + k];
    std::vector<float> fc_io(fc_w_.size());  // MatMul wants [features, dim]
    for (int j = 0; j < dim_; ++j)
      for (int k = 0; k < features(); ++k) fc_io[k * dim_ + j] = fc_w_[j * features() + k];
    const Proto t_float = Proto().varint(6, 1);  // DT_FLOAT
    const Proto nhwc = Proto().bytes(2, "NHWC");
    Proto g;
    g.message(1, tf_node("data", "Placeholder", {}, {{"dtype", t_float},
                                                     {"shape", Proto().message(7, tf_shape({1, height, width, 3}))}}));
    g.message(1, tf_const("conv_w", {3, 3, 3, kFilters}, float_bytes(hwio), 1));
    g.message(1, tf_node("conv", "Conv2D", {"data", "conv_w"},
                         {{"T", t_float}, {"strides", tf_ints({1, 1, 1, 1})}, {"dilations", tf_ints({1, 1, 1, 1})},
                          {"padding", Proto().bytes(2, "SAME")}, {"data_format", nhwc}}));
    g.message(1, tf_const("conv_b", {kFilters}, float_bytes(conv_b_), 1));
    g.message(1, tf_node("conv_bias", "BiasAdd", {"conv", "conv_b"}, {{"T", t_float}, {"data_format", nhwc}}));
    g.message(1, tf_node("relu", "Relu", {"conv_bias"}, {{"T", t_float}}));
    const std::vector<std::int32_t> axes = {1, 2};
    g.message(1, tf_const("axes", {2}, std::string(reinterpret_cast<const char*>(axes.data()), 8), 3));
    g.message(1, tf_node("mean", "Mean", {"relu", "axes"},
                         {{"T", t_float}, {"Tidx", Proto().varint(6, 3)}, {"keep_dims", Proto().varint(5, 0)}}));
    g.message(1, tf_const("fc_w", {features(), dim_}, float_bytes(fc_io), 1));
    g.message(1, tf_node("fc", "MatMul", {"mean", "fc_w"},
                         {{"T", t_float}, {"transpose_a", Proto().varint(5, 0)}, {"transpose_b", Proto().varint(5, 0)}}));
    g.message(1, tf_const("fc_b", {dim_}, float_bytes(fc_b_), 1));
    g.message(1, tf_node("embedding", "BiasAdd", {"fc", "fc_b"}, {{"T", t_float}, {"data_format", nhwc}}));
    g.message(4, Proto().varint(1, 27));  // versions { producer: 27 }
    return g.str();
  }

  // A net whose outputs are fixed tensors, whatever its input: GlobalAveragePool, then per output a 1x1
  // conv with zero weights whose bias holds the values, reshaped to the output's shape.
  struct FixedOutput {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
  };
  static std::string fixed_outputs_onnx(int width, int height, const std::vector<FixedOutput>& outputs) {
    Proto graph;
    graph.message(1, onnx_node("GlobalAveragePool", {"data"}, {"gap"}, {}));
    for (const auto& out : outputs) {
      const std::int64_t n = static_cast<std::int64_t>(out.values.size());
      graph.message(1, onnx_node("Conv", {"gap", out.name + "_w", out.name + "_b"}, {out.name + "_conv"},
                                 {onnx_ints("kernel_shape", {1, 1})}));
      graph.message(1, onnx_node("Reshape", {out.name + "_conv", out.name + "_shape"}, {out.name}, {}));
      graph.message(5, onnx_tensor(out.name + "_w", {n, 3, 1, 1}, std::vector<float>(n * 3, 0.f)));
      graph.message(5, onnx_tensor(out.name + "_b", {n}, out.values));
      Proto shape_tensor;  // dims [rank], INT64
      shape_tensor.varint(1, static_cast<std::int64_t>(out.shape.size())).varint(2, 7).bytes(8, out.name + "_shape");
      shape_tensor.bytes(9, std::string(reinterpret_cast<const char*>(out.shape.data()), out.shape.size() * 8));
      graph.message(5, shape_tensor);
    }
    graph.message(11, onnx_value_info("data", {1, 3, height, width}));
    for (const auto& out : outputs) graph.message(12, onnx_value_info(out.name, out.shape));
    Proto model;
    model.varint(1, 7).bytes(2, "facekit-test").message(7, graph).message(8, Proto().varint(2, 11));
    return model.str();
  }

  // An "SSD" whose DetectionOutput [1, 1, N, 7] is fixed `rows` (7 values each).
  static std::string fixed_ssd_onnx(int width, int height, const std::vector<float>& rows) {
    return fixed_outputs_onnx(width, height, {{"detection_out", {1, 1, std::int64_t(rows.size()) / 7, 7}, rows}});
  }

  // Torch7 binary serialization (torch.File writeObject, 64-bit longs): nn.Sequential of
  // SpatialConvolution (pad 1), ReLU, Linear over the flattened map (OpenCV flattens before Linear).
  std::string torch_t7() const {
    T7 t;
    t.torch_object("nn.Sequential");
    t.table(1);
    t.key("modules");
    t.table(3);
    t.number(1);
    t.torch_object("nn.SpatialConvolution");
    t.table(10);
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"nInputPlane", 3}, {"nOutputPlane", kFilters}, {"kW", 3}, {"kH", 3}, {"dW", 1}, {"dH", 1}, {"padW", 1}, {"padH", 1}}) {
      t.key(name);
      t.number(value);
    }
    t.key("weight");
    t.float_tensor({kFilters, 3, 3, 3}, conv_w_);
    t.key("bias");
    t.float_tensor({kFilters}, conv_b_);
    t.number(2);
    t.torch_object("nn.ReLU");
    t.table(0);
    t.number(3);
    t.torch_object("nn.Linear");
    t.table(2);
    t.key("weight");
    t.float_tensor({dim_, features()}, fc_w_);
    t.key("bias");
    t.float_tensor({dim_}, fc_b_);
    return t.bytes;
  }

  const int width, height;

 private:
  // Torch7's writer: every value is a type tag (int32) then its data; tables and torch objects carry
  // an object index; torch objects a version string "V 1" and their class name.
  struct T7 {
    std::string bytes;
    int next_index = 0;
    template <typename T>
    void raw(T v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void string(const std::string& s) {
      raw<std::int32_t>(static_cast<std::int32_t>(s.size()));
      bytes += s;
    }
    void number(double v) {
      raw<std::int32_t>(1);
      raw<double>(v);
    }
    void key(const std::string& s) {
      raw<std::int32_t>(2);
      string(s);
    }
    void table(int entries) {
      raw<std::int32_t>(3);
      raw<std::int32_t>(++next_index);
      raw<std::int32_t>(entries);
    }
    void torch_object(const std::string& cls) {
      raw<std::int32_t>(4);
      raw<std::int32_t>(++next_index);
      string("V 1");
      string(cls);
    }
    void float_tensor(const std::vector<std::int64_t>& sizes, const std::vector<float>& data) {
      torch_object("torch.FloatTensor");
      raw<std::int32_t>(static_cast<std::int32_t>(sizes.size()));
      for (auto s : sizes) raw<std::int64_t>(s);
      std::int64_t stride = 1;
      std::vector<std::int64_t> strides(sizes.size());
      for (size_t i = sizes.size(); i-- > 0;) {
        strides[i] = stride;
        stride *= sizes[i];
      }
      for (auto s : strides) raw<std::int64_t>(s);
      raw<std::int64_t>(1);  // storage offset, 1-based
      torch_object("torch.FloatStorage");
      raw<std::int64_t>(static_cast<std::int64_t>(data.size()));
      bytes.append(reinterpret_cast<const char*>(data.data()), data.size() * 4);
    }
  };

  int features() const { return head_ == Head::Flatten ? kFilters * height * width : kFilters; }

  static std::vector<float> values(int n, double step, double amplitude) {
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i) v[i] = static_cast<float>(amplitude * std::sin(step * (i + 1)));
    return v;
  }

  static Proto onnx_tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& data) {
    Proto t;
    for (auto d : dims) t.varint(1, d);
    t.varint(2, 1);  // FLOAT
    t.bytes(8, name);
    t.bytes(9, float_bytes(data));  // raw_data
    return t;
  }
  static Proto onnx_ints(const std::string& name, const std::vector<std::int64_t>& v) {
    Proto a;
    a.bytes(1, name);
    for (auto x : v) a.varint(8, x);
    return a.varint(20, 7);  // INTS
  }
  static Proto onnx_int(const std::string& name, std::int64_t v) { return Proto().bytes(1, name).varint(3, v).varint(20, 2); }
  static Proto onnx_node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                         const std::vector<Proto>& attrs) {
    Proto n;
    for (const auto& i : in) n.bytes(1, i);
    for (const auto& o : out) n.bytes(2, o);
    n.bytes(3, out[0] + "_node");
    n.bytes(4, op);
    for (const auto& a : attrs) n.message(5, a);
    return n;
  }
  static Proto onnx_value_info(const std::string& name, const std::vector<std::int64_t>& dims) {
    Proto shape;
    for (auto d : dims) shape.message(1, Proto().varint(1, d));
    return Proto().bytes(1, name).message(2, Proto().message(1, Proto().varint(1, 1).message(2, shape)));
  }

  static Proto tf_shape(const std::vector<std::int64_t>& dims) {
    Proto s;
    for (auto d : dims) s.message(2, Proto().varint(1, d));
    return s;
  }
  static Proto tf_ints(const std::vector<std::int64_t>& v) { return Proto().message(1, Proto().packed_varints(3, v)); }
  static Proto tf_node(const std::string& name, const std::string& op, const std::vector<std::string>& in,
                       const std::vector<std::pair<std::string, Proto>>& attrs) {
    Proto n;
    n.bytes(1, name).bytes(2, op);
    for (const auto& i : in) n.bytes(3, i);
    for (const auto& [key, value] : attrs) n.message(5, Proto().bytes(1, key).message(2, value));
    return n;
  }
  // dtype 1 = DT_FLOAT, 3 = DT_INT32; `content` is the little-endian tensor_content.
  static Proto tf_const(const std::string& name, const std::vector<std::int64_t>& dims, const std::string& content, int dtype) {
    const Proto tensor = Proto().varint(1, dtype).message(2, tf_shape(dims)).bytes(4, content);
    return tf_node(name, "Const", {}, {{"dtype", Proto().varint(6, dtype)}, {"value", Proto().message(8, tensor)}});
  }

  int dim_;
  Head head_;
  std::vector<float> conv_w_, conv_b_, fc_w_, fc_b_;
};

}  // namespace facekit::test
