// `facekit eval detect`'s parts on cases small enough to count by hand: IoU, greedy matching (one face
// per detection, ignored boxes), the two annotation formats and their errors; then the command itself on
// face-api.js's faces.jpg, whose six faces the tests list from detection_boxes_faces_jpg.csv.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "eval/detection_evaluation.hpp"
#include "facekit/error.hpp"
#include "support/test_support.hpp"

using facekit::Rect;
namespace ev = facekit::eval;

TEST(DetectionEvaluation, IouOfHandComputedBoxes) {
  EXPECT_DOUBLE_EQ(facekit::iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(facekit::iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);  // half overlap
  EXPECT_DOUBLE_EQ(facekit::iou({0, 0, 10, 10}, {10, 0, 10, 10}), 0.0);          // touching edges
  EXPECT_DOUBLE_EQ(facekit::iou({0, 0, 4, 4}, {1, 1, 2, 2}), 4.0 / 16.0);        // contained
}

TEST(DetectionEvaluation, GreedyMatchingCountsEachFaceOnce) {
  ev::AnnotatedImage truth{"a.jpg", {{0, 0, 10, 10}, {100, 0, 10, 10}}, {{200, 0, 10, 10}}};
  // Two detections on the first face (the better one counts, the other is a false positive), one on the
  // ignored box (not counted), one far away (false positive); the second face is missed.
  const std::vector<Rect> dets{{1, 0, 10, 10}, {0, 0, 10, 10}, {200, 1, 10, 10}, {400, 400, 5, 5}};
  const auto c = ev::match_detections(dets, truth, 0.5);
  EXPECT_EQ(c.true_positives, 1);
  EXPECT_EQ(c.false_positives, 2);
  EXPECT_EQ(c.false_negatives, 1);
  // At IoU 0.5 a detection shifted by half a face does not count (50/150 = 0.33).
  EXPECT_EQ(ev::match_detections({{5, 0, 10, 10}}, truth, 0.5).true_positives, 0);
  EXPECT_EQ(ev::match_detections({{5, 0, 10, 10}}, truth, 0.3).true_positives, 1);
}

TEST(DetectionEvaluation, ReadsDlibXmlAndCsv) {
  const auto dir = facekit::test::temp_dir("eval_detect_formats");
  std::ofstream(dir / "a.xml") << "<dataset><images>\n<image file='x.jpg'>\n  <box top='5' left='7' width='20' height='21'/>\n"
                                  "  <box top='1' left='2' width='3' height='4' ignore='1'/>\n</image>\n"
                                  "<image file=\"y.jpg\"></image>\n</images></dataset>\n";
  const auto xml = ev::read_face_annotations((dir / "a.xml").string());
  ASSERT_EQ(xml.size(), 2u);
  EXPECT_EQ(xml[0].file, "x.jpg");
  ASSERT_EQ(xml[0].faces.size(), 1u);
  EXPECT_DOUBLE_EQ(xml[0].faces[0].x, 7);
  EXPECT_DOUBLE_EQ(xml[0].faces[0].y, 5);
  EXPECT_DOUBLE_EQ(xml[0].faces[0].height, 21);
  EXPECT_EQ(xml[0].ignored.size(), 1u);
  EXPECT_TRUE(xml[1].faces.empty());
  std::ofstream(dir / "b.csv") << "file,x,y,width,height\nx.jpg,1,2,3,4\nx.jpg,5,6,7,8\nempty.jpg\n";
  const auto csv = ev::read_face_annotations((dir / "b.csv").string());
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0].faces.size(), 2u);
  EXPECT_TRUE(csv[1].faces.empty());
}

TEST(DetectionEvaluation, BadAnnotationsNameFileAndLine) {
  const auto dir = facekit::test::temp_dir("eval_detect_errors");
  std::ofstream(dir / "bad.csv") << "file,x,y,width,height\nx.jpg,1,two,3,4\n";
  try {
    ev::read_face_annotations((dir / "bad.csv").string());
    FAIL() << "no error";
  } catch (const facekit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv line 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'two'"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "boxless.xml") << "<box top='1' left='1' width='2' height='2'/>\n";
  EXPECT_THROW(ev::read_face_annotations((dir / "boxless.xml").string()), facekit::Error);
  std::ofstream(dir / "notes.txt") << "hello\n";
  EXPECT_THROW(ev::read_face_annotations((dir / "notes.txt").string()), facekit::Error);
  EXPECT_THROW(ev::read_face_annotations((dir / "missing.xml").string()), facekit::Error);
}

// The command on faces.jpg against face-api.js's own MTCNN boxes for its six faces (the listed boxes,
// written here as annotations): SSD finds all six at IoU >= 0.5 and nothing else.
TEST(DetectionEvaluationCli, FacesJpgWithListedBoxes) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto dir = facekit::test::temp_dir("eval_detect_cli");
  const auto images = facekit::test::shared_dir() / "data/faces/faceapi-js";
  std::ifstream listed(images / "detection_boxes_faces_jpg.csv");
  std::ofstream csv(dir / "faces.csv");
  csv << "file,x,y,width,height\n";
  std::string line;
  int rows = 0;
  while (std::getline(listed, line))
    if (line.rfind("mtcnn,", 0) == 0) {
      csv << "test/images/faces.jpg," << line.substr(6) << "\n";
      ++rows;
    }
  csv.close();
  ASSERT_EQ(rows, 6);
  const auto r = facekit::test::run_command(facekit::test::cli_path() + " eval detect --annotations " +
                                            (dir / "faces.csv").string() + " --root " + images.string() +
                                            " --detector ssd --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  const auto& ssd = out["detectors"][0];
  EXPECT_EQ(ssd["faces"], 6);
  EXPECT_EQ(ssd["true_positives"], 6);
  EXPECT_EQ(ssd["false_positives"], 0);
  EXPECT_DOUBLE_EQ(ssd["recall"].get<double>(), 1.0);
  EXPECT_GT(ssd["ms_per_image_median"].get<double>(), 0.0);
  // A missing image is an error naming it.
  std::ofstream(dir / "missing.csv") << "file,x,y,width,height\nnot_there.jpg,1,1,5,5\n";
  const auto bad = facekit::test::run_command(facekit::test::cli_path() + " eval detect --annotations " +
                                              (dir / "missing.csv").string());
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("not_there.jpg"), std::string::npos) << bad.err;
}
