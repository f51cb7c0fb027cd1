// A minimal protocol-buffers wire-format writer, enough for tests to build small ONNX ModelProto,
// Caffe NetParameter and TensorFlow GraphDef files by hand (field numbers from the public
// onnx.proto, caffe.proto and tensorflow graph.proto / node_def.proto / attr_value.proto).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace facekit::test {

class Proto {
 public:
  Proto& varint(int field, std::uint64_t v) {
    key(field, 0);
    put_varint(v);
    return *this;
  }
  Proto& fixed32(int field, float v) {
    key(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);
    bytes_.append(b, 4);
    return *this;
  }
  Proto& bytes(int field, const std::string& v) {
    key(field, 2);
    put_varint(v.size());
    bytes_ += v;
    return *this;
  }
  Proto& message(int field, const Proto& m) { return bytes(field, m.str()); }
  // Packed repeated fields.
  Proto& packed_floats(int field, const std::vector<float>& v) {
    std::string raw(v.size() * 4, '\0');
    std::memcpy(raw.data(), v.data(), raw.size());
    return bytes(field, raw);
  }
  Proto& packed_varints(int field, const std::vector<std::int64_t>& v) {
    Proto inner;
    for (auto x : v) inner.put_varint(static_cast<std::uint64_t>(x));
    return bytes(field, inner.str());
  }
  const std::string& str() const { return bytes_; }

 private:
  void key(int field, int wire_type) { put_varint((static_cast<std::uint64_t>(field) << 3) | wire_type); }
  void put_varint(std::uint64_t v) {
    while (v >= 0x80) {
      bytes_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    bytes_ += static_cast<char>(v);
  }
  std::string bytes_;
};

inline std::string float_bytes(const std::vector<float>& v) {
  std::string raw(v.size() * 4, '\0');
  std::memcpy(raw.data(), v.data(), raw.size());
  return raw;
}

}  // namespace facekit::test
