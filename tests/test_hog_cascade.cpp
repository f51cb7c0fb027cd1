// "hog-cascade": dlib-hog at full resolution around BlazeFace proposals and the previous call's faces.
// On photos its faces are dlib-hog's own (same boxes), and carry=1 must find again a face the proposer cannot
// see, where it was on the previous call.
#include <opencv2/imgproc.hpp>

#include "facekit/components.hpp"
#include "facekit/error.hpp"
#include "facekit/image.hpp"
#include "support/listed_faces.hpp"

using namespace facekit;

namespace {

cv::Mat load_faces_image(const std::string& rel) {
  ImageLoadOptions options;
  options.apply_exif_orientation = false;
  return load_image((test::faces_dir() / rel).string(), options);
}

// Each of `faces` is one of `reference` with (nearly) the same box.
void expect_subset_of(const std::vector<Detection>& faces, const std::vector<Detection>& reference) {
  for (const Detection& f : faces) {
    double best = 0;
    for (const Detection& r : reference) best = std::max(best, iou(f.box, r.box));
    EXPECT_GE(best, 0.9) << "a cascade face that dlib-hog on the whole image does not report";
  }
}

}  // namespace

TEST(HogCascade, FindsDlibHogsFacesWithDlibHogsBoxes) {
  FACEKIT_REQUIRE_SHARED_DIR();
  for (const char* rel : {"face_recognition/tests/test_images/obama.jpg", "faceapi-js/test/images/faces.jpg"}) {
    SCOPED_TRACE(rel);
    const cv::Mat rgb = load_faces_image(rel);
    const auto reference = create_detector("dlib-hog:upsample=0")->detect(rgb);
    const auto faces = create_detector("hog-cascade")->detect(rgb);
    ASSERT_FALSE(reference.empty());
    expect_subset_of(faces, reference);
    // On photos BlazeFace proposes every face dlib-hog finds (large, frontal faces).
    EXPECT_EQ(faces.size(), reference.size());
  }
}

TEST(HogCascade, CarryFindsAFaceTheProposerMisses) {
  FACEKIT_REQUIRE_SHARED_DIR();
  // Frame 1: obama.jpg shrunk so that his face is ~100 pixels. Frame 2: the same pixels at the same place
  // in the corner of a 4000x2000 frame, where BlazeFace (the frame shrunk to 256x256) cannot see it.
  cv::Mat small;
  cv::resize(load_faces_image("face_recognition/tests/test_images/obama.jpg"), small, cv::Size(), 0.4, 0.4,
             cv::INTER_AREA);
  cv::Mat wide(2000, 4000, CV_8UC3, cv::Scalar(90, 90, 90));
  small.copyTo(wide(cv::Rect(0, 0, small.cols, small.rows)));
  ASSERT_TRUE(create_detector("blazeface:min_confidence=0.3")->detect(wide).empty());
  const auto reference = create_detector("dlib-hog:upsample=0")->detect(wide);
  ASSERT_EQ(reference.size(), 1u);

  // tiles=1: the proposer sees the whole frame, as checked above.
  auto carrying = create_detector("hog-cascade:tiles=1,carry=1");
  ASSERT_EQ(carrying->detect(small).size(), 1u);
  const auto found = carrying->detect(wide);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_GE(iou(found[0].box, reference[0].box), 0.9);

  auto stateless = create_detector("hog-cascade:tiles=1,carry=0");
  ASSERT_EQ(stateless->detect(small).size(), 1u);
  EXPECT_TRUE(stateless->detect(wide).empty());
}

TEST(HogCascade, ChecksItsOptions) {
  EXPECT_EQ(create_detector("hog-cascade:proposer=facemesh-detection-full,tiles=2,expand=2.5")->name(), "hog-cascade");
  EXPECT_THROW(create_detector("hog-cascade:proposer=ssd"), Error);  // not a BlazeFace variant
  EXPECT_THROW(create_detector("hog-cascade:proposal_confidence=1"), Error);
  EXPECT_THROW(create_detector("hog-cascade:tiles=-1"), Error);
  EXPECT_THROW(create_detector("hog-cascade:tiles=9"), Error);
  EXPECT_THROW(create_detector("hog-cascade:expand=0.5"), Error);
  EXPECT_THROW(create_detector("hog-cascade:min_region=10"), Error);
  EXPECT_THROW(create_detector("hog-cascade:upsample=9"), Error);
  EXPECT_THROW(create_detector("hog-cascade:stride=2"), Error);
}
