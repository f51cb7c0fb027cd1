// Components are chosen by a spec string, Faiss-factory style: "NAME" or "NAME:key=value,key=value",
// e.g. "ssd:min_confidence=0.3" or "haar:scale_factor=1.05". Each family has a registry by name.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace facekit {

class ComponentOptions {
 public:
  // Parses "NAME[:k=v,k=v]". Throws InvalidArgument on malformed text.
  static ComponentOptions parse(const std::string& spec);

  const std::string& name() const { return name_; }
  std::string get(const std::string& key, const std::string& fallback) const;
  double get_double(const std::string& key, double fallback) const;
  int get_int(const std::string& key, int fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  // Throws InvalidArgument naming any key not in `known` (catches typos like min_confidnce).
  void check_known(const std::vector<std::string>& known) const;

 private:
  std::string name_;
  std::map<std::string, std::string> values_;
};

// A name -> factory table with descriptions; one instance per component family.
template <typename T>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<T>(const ComponentOptions&)>;
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };

  void add(std::string name, std::string description, Factory factory) {
    entries_.push_back({std::move(name), std::move(description), std::move(factory)});
  }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }

 private:
  std::vector<Entry> entries_;
};

}  // namespace facekit
