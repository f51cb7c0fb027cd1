// "hog-cascade": dlib's HOG detector (the stills default, "dlib-hog") at full resolution, run only where
// a cheap whole-frame stage says a face may be. Made for video (docs/video.md): on 1080p frames the
// faces dlib-hog finds are often at its smallest size (80-pixel window, boxes of ~73 pixels), so
// dlib-hog on any downscaled copy loses them, and on the full frame it takes ~300 ms. Here:
//   1. proposals: a BlazeFace variant on the whole frame shrunk to its input (every call: a full-frame
//      scan), at a low confidence, since a proposal only costs a small HOG scan; tiles=N splits the
//      frame into N overlapping columns first, each shrunk to the input (tiles=0, the default: as many
//      as the frame is times wider than high, rounded, so that each column is about square: 2 for 16:9);
//   2. with carry=1 the faces this detector returned on its previous call are proposals too: video
//      frames follow each other, and a face BlazeFace misses on one frame is still scanned for where it
//      just was. Off by default: with the auto tiles the proposals alone reach the same recall on the
//      example clip, and without it each frame's faces depend on that frame only;
//   3. each proposal grown to a square region `expand` times its larger side (at least min_region
//      pixels), overlapping regions merged, and dlib-hog run on each region of the full-resolution frame.
// Every face returned is a dlib-hog detection on the current frame. It can miss faces dlib-hog finds on
// the whole frame (no proposal near them), and, rarely, report a window the whole-frame scan does not:
// the region's image pyramid is resampled from the region, so above level 0 a window near dlib's
// threshold can score differently. Both counts on the example clip: docs/benchmarks.md (video section).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/registration.hpp"
#include "detect/blazeface.hpp"
#include "facekit/components.hpp"
#include "facekit/error.hpp"

namespace facekit {
namespace {

struct CascadeSettings {
  std::string proposer = "blazeface";
  double proposal_confidence = 0.3;
  int tiles = 0;  // 0: round(width / height), at least 1
  double expand = 2.0;
  int min_region = 160;  // two dlib-hog windows: room for a face of any size the window finds at level 0
  bool carry = false;
  int upsample = 0;
  double adjust_threshold = 0.0;
};

// dlib's HOG cells are 8 pixels: regions starting on the full frame's cell grid see the same level-0
// features as a scan of the whole frame.
constexpr int kHogCell = 8;

cv::Rect grown_region(const Rect& seed, double expand, int min_side, const cv::Size& image) {
  const double side = std::max(expand * std::max(seed.width, seed.height), double(min_side));
  const double cx = seed.x + seed.width / 2, cy = seed.y + seed.height / 2;
  int x0 = int(std::floor((cx - side / 2) / kHogCell)) * kHogCell,
      y0 = int(std::floor((cy - side / 2) / kHogCell)) * kHogCell;
  int x1 = int(std::ceil(cx + side / 2)), y1 = int(std::ceil(cy + side / 2));
  x0 = std::clamp(x0, 0, image.width), y0 = std::clamp(y0, 0, image.height);
  x1 = std::clamp(x1, 0, image.width), y1 = std::clamp(y1, 0, image.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

// Seeds grown to regions; overlapping regions replaced by their bounding box until none overlap, so no
// face is scanned (and reported) twice.
std::vector<cv::Rect> scan_regions(const std::vector<Rect>& seeds, double expand, int min_side, const cv::Size& image) {
  std::vector<cv::Rect> regions;
  for (const Rect& seed : seeds) {
    cv::Rect r = grown_region(seed, expand, min_side, image);
    if (r.area() == 0) continue;
    for (bool merged = true; merged;) {
      merged = false;
      for (auto it = regions.begin(); it != regions.end(); ++it)
        if ((*it & r).area() > 0) {
          r |= *it;
          regions.erase(it);
          merged = true;
          break;
        }
    }
    regions.push_back(r);
  }
  return regions;
}

int proposer_input_size(const std::string& name) {
  for (const auto& v : blazeface::variants())
    if (name == v.name) return v.input_size;
  std::string valid;
  for (const auto& v : blazeface::variants()) valid += std::string(valid.empty() ? "" : ", ") + v.name;
  throw Error(ErrorCode::InvalidArgument,
              "hog-cascade: proposer '" + name + "' is not a BlazeFace detector (" + valid + ")");
}

class HogCascadeDetector final : public Detector {
 public:
  explicit HogCascadeDetector(const CascadeSettings& s)
      : settings_(s),
        proposer_input_(proposer_input_size(s.proposer)),
        proposer_(create_detector(s.proposer + ":min_confidence=" + std::to_string(s.proposal_confidence))),
        hog_(create_detector("dlib-hog:upsample=" + std::to_string(s.upsample) +
                             ",adjust_threshold=" + std::to_string(s.adjust_threshold))) {}

  std::string name() const override { return "hog-cascade"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) return {};
    if (rgb.type() != CV_8UC3) throw Error(ErrorCode::InvalidArgument, "hog-cascade: expects an 8-bit RGB image");
    std::vector<Rect> seeds = proposals(rgb);
    if (settings_.carry) seeds.insert(seeds.end(), previous_.begin(), previous_.end());

    std::vector<Detection> faces;
    for (const cv::Rect& region : scan_regions(seeds, settings_.expand, settings_.min_region, rgb.size()))
      for (Detection face : hog_->detect(rgb(region))) {
        face.box.x += region.x, face.box.y += region.y;
        faces.push_back(std::move(face));
      }
    std::stable_sort(faces.begin(), faces.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    previous_.clear();
    for (const Detection& f : faces) previous_.push_back(f.box);
    return faces;
  }

 private:
  // The proposer stretches its input to a square anyway; shrinking the 8-bit frame (or tile) here
  // (area averaging) is cheaper than its float resize of the full frame and keeps small faces visible.
  std::vector<Rect> proposals(const cv::Mat& rgb) {
    std::vector<Rect> seeds;
    const int auto_tiles = std::max(1, int(std::lround(double(rgb.cols) / rgb.rows)));
    const int tiles = std::min(settings_.tiles > 0 ? settings_.tiles : auto_tiles, rgb.cols);
    // Columns overlap by a tenth of the frame width, so a face on a border lies whole in one column.
    const int overlap = tiles > 1 ? rgb.cols / 10 : 0;
    for (int t = 0; t < tiles; ++t) {
      const int x0 = std::max(0, t * rgb.cols / tiles - overlap / 2);
      const int x1 = std::min(rgb.cols, (t + 1) * rgb.cols / tiles + overlap / 2);
      cv::Mat small;
      cv::resize(rgb.colRange(x0, x1), small, cv::Size(proposer_input_, proposer_input_), 0, 0, cv::INTER_AREA);
      const double sx = double(x1 - x0) / proposer_input_, sy = double(rgb.rows) / proposer_input_;
      for (const Detection& p : proposer_->detect(small))
        seeds.push_back({x0 + p.box.x * sx, p.box.y * sy, p.box.width * sx, p.box.height * sy});
    }
    return seeds;
  }

  CascadeSettings settings_;
  int proposer_input_;
  std::unique_ptr<Detector> proposer_;
  std::unique_ptr<Detector> hog_;
  std::vector<Rect> previous_;  // the faces of the previous call (carry=1)
};

CascadeSettings settings_from(const ComponentOptions& o) {
  o.check_known(
      {"proposer", "proposal_confidence", "tiles", "expand", "min_region", "carry", "upsample", "adjust_threshold"});
  CascadeSettings s;
  s.proposer = o.get("proposer", s.proposer);
  s.proposal_confidence = o.get_double("proposal_confidence", s.proposal_confidence);
  s.tiles = o.get_int("tiles", s.tiles);
  s.expand = o.get_double("expand", s.expand);
  s.min_region = o.get_int("min_region", s.min_region);
  s.carry = o.get_bool("carry", s.carry);
  s.upsample = o.get_int("upsample", s.upsample);
  s.adjust_threshold = o.get_double("adjust_threshold", s.adjust_threshold);
  if (!(s.proposal_confidence >= 0 && s.proposal_confidence < 1))
    throw Error(ErrorCode::InvalidArgument, "hog-cascade: proposal_confidence must be in [0, 1)");
  if (s.tiles < 0 || s.tiles > 8)
    throw Error(ErrorCode::InvalidArgument, "hog-cascade: tiles must be in [0, 8] (0: one per frame height of width)");
  if (!(s.expand >= 1 && s.expand <= 10))
    throw Error(ErrorCode::InvalidArgument, "hog-cascade: expand must be in [1, 10]");
  if (s.min_region < 80 || s.min_region > 4096)
    throw Error(ErrorCode::InvalidArgument, "hog-cascade: min_region must be in [80, 4096] pixels");
  return s;
}

}  // namespace

void register_hog_cascade_detector(Registry<Detector>& registry) {
  registry.add(
      "hog-cascade",
      "dlib-hog at full resolution only around BlazeFace proposals on the whole frame and around the "
      "previous call's faces (for video); options: proposer=blazeface, proposal_confidence=0.3, tiles=0 (auto), "
      "expand=2, min_region=160, carry=0, upsample=0, adjust_threshold=0",
      [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
        return std::make_unique<HogCascadeDetector>(settings_from(o));
      });
}

}  // namespace facekit
