#include "eval/detection_evaluation.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <tuple>

#include "facekit/error.hpp"

namespace facekit::eval {
namespace {

[[noreturn]] void bad(const std::string& path, int line, const std::string& what) {
  throw Error(ErrorCode::InvalidArgument,
              "annotations " + path + (line > 0 ? " line " + std::to_string(line) : "") + ": " + what);
}

// Attribute `name` of an XML tag, single or double quoted; empty when absent.
std::string attribute(const std::string& tag, const std::string& name) {
  const std::regex re("\\b" + name + "\\s*=\\s*['\"]([^'\"]*)['\"]");
  std::smatch m;
  return std::regex_search(tag, m, re) ? m[1].str() : std::string();
}

double number(const std::string& text, const std::string& path, int line, const std::string& what) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  bad(path, line, what + " '" + text + "' is not a number");
}

std::vector<AnnotatedImage> read_xml(std::istream& in, const std::string& path) {
  std::vector<AnnotatedImage> images;
  std::string line;
  int n = 0;
  const std::regex tag_re("<(image|box)\\b[^>]*>");
  while (std::getline(in, line)) {
    ++n;
    for (std::sregex_iterator it(line.begin(), line.end(), tag_re), end; it != end; ++it) {
      const std::string tag = it->str();
      if ((*it)[1] == "image") {
        const std::string file = attribute(tag, "file");
        if (file.empty()) bad(path, n, "<image> without a file attribute");
        images.push_back({file, {}, {}});
        continue;
      }
      if (images.empty()) bad(path, n, "<box> outside an <image>");
      const Rect r{number(attribute(tag, "left"), path, n, "left"), number(attribute(tag, "top"), path, n, "top"),
                   number(attribute(tag, "width"), path, n, "width"), number(attribute(tag, "height"), path, n, "height")};
      if (r.width <= 0 || r.height <= 0) bad(path, n, "box with no area");
      (attribute(tag, "ignore") == "1" ? images.back().ignored : images.back().faces).push_back(r);
    }
  }
  return images;
}

std::vector<AnnotatedImage> read_csv(std::istream& in, const std::string& path) {
  std::vector<AnnotatedImage> images;
  std::map<std::string, std::size_t> index;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1 || line.empty()) continue;  // header
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    if (f.size() != 1 && f.size() != 5) bad(path, n, "expected file,x,y,width,height");
    auto [it, fresh] = index.emplace(f[0], images.size());
    if (fresh) images.push_back({f[0], {}, {}});
    if (f.size() == 5 && !f[1].empty()) {
      const Rect r{number(f[1], path, n, "x"), number(f[2], path, n, "y"), number(f[3], path, n, "width"),
                   number(f[4], path, n, "height")};
      if (r.width <= 0 || r.height <= 0) bad(path, n, "box with no area");
      images[it->second].faces.push_back(r);
    }
  }
  return images;
}

}  // namespace

std::vector<AnnotatedImage> read_face_annotations(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::InvalidArgument, "annotations " + path + ": cannot be read");
  const bool xml = path.size() >= 4 && path.compare(path.size() - 4, 4, ".xml") == 0;
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  if (!xml && !csv) bad(path, 0, "expected a dlib imglab .xml or a .csv file");
  auto images = xml ? read_xml(in, path) : read_csv(in, path);
  if (images.empty()) bad(path, 0, "no images listed");
  return images;
}

MatchCounts& MatchCounts::operator+=(const MatchCounts& o) {
  true_positives += o.true_positives;
  false_positives += o.false_positives;
  false_negatives += o.false_negatives;
  return *this;
}

MatchCounts match_detections(const std::vector<Rect>& detections, const AnnotatedImage& truth, double iou_threshold) {
  std::vector<std::tuple<double, std::size_t, std::size_t>> candidates;  // (iou, detection, face)
  for (std::size_t d = 0; d < detections.size(); ++d)
    for (std::size_t f = 0; f < truth.faces.size(); ++f) {
      const double overlap = iou(detections[d], truth.faces[f]);
      if (overlap >= iou_threshold) candidates.emplace_back(overlap, d, f);
    }
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> detection_used(detections.size()), face_used(truth.faces.size());
  MatchCounts c;
  for (const auto& [overlap, d, f] : candidates) {
    if (detection_used[d] || face_used[f]) continue;
    detection_used[d] = face_used[f] = true;
    ++c.true_positives;
  }
  for (std::size_t d = 0; d < detections.size(); ++d) {
    if (detection_used[d]) continue;
    const bool on_ignored = std::any_of(truth.ignored.begin(), truth.ignored.end(),
                                        [&](const Rect& r) { return iou(detections[d], r) >= iou_threshold; });
    if (!on_ignored) ++c.false_positives;
  }
  c.false_negatives = static_cast<int>(truth.faces.size()) - c.true_positives;
  return c;
}

}  // namespace facekit::eval
