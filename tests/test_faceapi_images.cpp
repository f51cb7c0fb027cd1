// Image-level faithfulness against shared/reference (face-api.js on tfjs):
//  - exact tier (PNG inputs, identical pixels for any decoder): same faces, identical integer crops,
//    every output within the reference tolerance;
//  - own-decoder tier (JPEG, libjpeg vs jpeg-js, pixels differ by up to 3 grey levels): same face count,
//    box IoU >= 0.95, descriptor cosine >= 0.999 where our integer descriptor crop equals the reference's.
//    Decoder noise moves the landmark-derived crop across an integer for some faces (4 of the 13
//    faces shift by 1 px); a 1 px shift of a ~100 px crop alone costs ~2e-3 of cosine, so for those the bound
//    is 0.995 and the crop may differ by at most 1 px per coordinate. With jpeg-js's own pixels the
//    crops and descriptors match exactly (checked by hand with jpeg-js 0.4.4: max descriptor error 4e-7).
#include <cmath>

#include "align/faceapi_geometry.hpp"
#include "core/pipeline.hpp"
#include "facekit/image.hpp"
#include "support/golden.hpp"

using namespace facekit;

namespace {

std::vector<double> box_of(const Rect& r) { return {r.x, r.y, r.width, r.height}; }
std::vector<int> rect_of(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }

double cosine(const std::vector<float>& a, const std::vector<double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += double(a[i]) * a[i];
    nb += b[i] * b[i];
  }
  return dot / std::sqrt(na * nb);
}

std::vector<PipelineFace> run_faces(Pipeline& pipeline, const std::string& rel_path, cv::Mat* image = nullptr) {
  const auto path = (test::shared_dir() / rel_path).string();
  cv::Mat rgb = load_image(path, {.max_pixels = 100'000'000, .apply_exif_orientation = false});
  if (image) *image = rgb;
  auto faces = pipeline.run(rgb, path, true);
  if (faces.size() == 1 && faces[0].whole_image) faces.clear();
  return faces;
}

}  // namespace

TEST(FaceApiImages, PngExactTier) {
  FACEKIT_REQUIRE_SHARED_DIR();
  Pipeline pipeline(test::faceapi_reference_options());
  const auto golden = test::load_golden("faceapi_png.json");
  int compared = 0;
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    cv::Mat rgb;
    auto faces = run_faces(pipeline, rel, &rgb);
    const auto& ref_faces = img.at("ssd").at("faces");
    ASSERT_EQ(faces.size(), ref_faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      const auto& ref = ref_faces[i];
      const auto& face = faces[i];
      const cv::Rect landmark_crop = faceapi::clip_and_floor(face.region.detection.box, rgb.cols, rgb.rows);
      EXPECT_EQ(rect_of(landmark_crop), ref.at("landmark_crop").get<std::vector<int>>());
      const Rect& c = face.region.crop;
      EXPECT_EQ((std::vector<int>{int(c.x), int(c.y), int(c.width), int(c.height)}),
                ref.at("descriptor_crop").get<std::vector<int>>());
      test::expect_close_to_reference({face.region.detection.score}, {ref.at("score").get<double>()}, "score");
      auto box = box_of(face.region.detection.box);
      test::expect_close_to_reference(std::vector<float>(box.begin(), box.end()),
                                      ref.at("box").get<std::vector<double>>(), "box");
      std::vector<float> lm;
      std::vector<double> ref_lm;
      for (const auto& p : face.region.landmarks) {
        lm.push_back(float(p.x));
        lm.push_back(float(p.y));
      }
      for (const auto& p : ref.at("landmarks68")) {
        ref_lm.push_back(p[0].get<double>());
        ref_lm.push_back(p[1].get<double>());
      }
      test::expect_close_to_reference(lm, ref_lm, "landmarks");
      test::expect_close_to_reference(face.embedding, ref.at("descriptor").get<std::vector<double>>(), "descriptor");
      ++compared;
    }
  }
  EXPECT_GE(compared, 3);  // astronaut, lin-manuel-miranda, alex-lacamoire have one face each
}

TEST(FaceApiImages, JpegOwnDecoderTier) {
  FACEKIT_REQUIRE_SHARED_DIR();
  Pipeline pipeline(test::faceapi_reference_options());
  const auto golden = test::load_golden("faceapi_images.json");
  int shifted = 0, total = 0;
  for (const auto& img : golden.at("images")) {
    const std::string rel = img.at("path");
    SCOPED_TRACE(rel);
    auto faces = run_faces(pipeline, rel);
    const auto& ref_faces = img.at("ssd").at("faces");
    ASSERT_EQ(faces.size(), ref_faces.size());
    for (const auto& ref : ref_faces) {
      // Match by best box overlap: scores near each other may swap order between decoders.
      const auto rb = ref.at("box").get<std::vector<double>>();
      const Rect ref_box{rb[0], rb[1], rb[2], rb[3]};
      const PipelineFace* best = nullptr;
      double best_iou = -1;
      for (const auto& f : faces) {
        const double o = iou(f.region.detection.box, ref_box);
        if (o > best_iou) {
          best_iou = o;
          best = &f;
        }
      }
      EXPECT_GE(best_iou, 0.95);
      const auto rc = ref.at("descriptor_crop").get<std::vector<int>>();
      const Rect& c = best->region.crop;
      const int crop_shift = std::max({std::abs(int(c.x) - rc[0]), std::abs(int(c.y) - rc[1]),
                                       std::abs(int(c.width) - rc[2]), std::abs(int(c.height) - rc[3])});
      EXPECT_LE(crop_shift, 1);
      const double cos = cosine(best->embedding, ref.at("descriptor").get<std::vector<double>>());
      EXPECT_GE(cos, crop_shift == 0 ? 0.999 : 0.995) << "crop shift " << crop_shift;
      shifted += crop_shift != 0;
      ++total;
    }
  }
  EXPECT_EQ(total, 13);  // 6 faces in faces.jpg + 7 single-face photos
  std::cout << "[ info ] " << shifted << " of " << total << " descriptor crops moved by 1 px (decoder noise)\n";
}
