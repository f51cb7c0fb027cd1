// Internal to the analyze stage: a ready-to-run set of analyzers for one AnalyzeOptions (used by
// analyze(), the batch runner and the CLI), and the anti-spoofing check the other verbs share.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "analyze/analyzer.hpp"
#include "core/pipeline.hpp"
#include "facekit/analyze.hpp"

namespace facekit::analysis {

// Which analyzer serves which actions, resolved and validated from AnalyzeOptions (no model loaded).
struct AnalysisPlan {
  std::vector<std::string> actions;
  // analyzer name -> the requested actions it serves, in analyzer registration order
  std::vector<std::pair<std::string, std::set<std::string>>> analyzers;
};
AnalysisPlan plan_analysis(const AnalyzeOptions& options);

class FaceAnalyzerSet {
 public:
  explicit FaceAnalyzerSet(const AnalyzeOptions& options);
  // Every face of `rgb`; `what` names the image in errors.
  std::vector<FaceAnalysis> run(const cv::Mat& rgb, const std::string& what);

 private:
  AnalyzeOptions options_;
  AnalysisPlan plan_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<Analyzer>> analyzers_;
};

// The anti-spoofing verdict for one face (default analyzer "antispoof"), as extract_faces(...,
// anti_spoofing) and verify/represent use it.
struct SpoofVerdict {
  bool is_real = true;
  double score = 0;
};
SpoofVerdict check_spoof(const cv::Mat& rgb, const PipelineFace& face, double threshold = 0.5);

}  // namespace facekit::analysis
