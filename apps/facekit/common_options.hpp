// Options shared by every command that runs the face pipeline (verify, represent, detect, gallery, find).
#pragma once
#include <CLI/CLI.hpp>

#include "facekit/facekit.hpp"
#include "facekit/runtime.hpp"

namespace facekit::cli {

struct CommonOptions {
  PipelineOptions pipeline;
  bool json = false;
  bool allow_no_face = false;
  int threads = 0;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--model", pipeline.model, "embedding model")->capture_default_str();
    cmd->add_option("--detector", pipeline.detector, "face detector (NAME[:key=value,...])")->capture_default_str();
    cmd->add_option("--align", pipeline.align, "alignment: none, faceapi, eyes, 5point")->capture_default_str();
    cmd->add_option("--landmarker", pipeline.landmarker, "landmark model (dlib68, faceapi68, faceapi68-tiny, facemesh)")
        ->capture_default_str();
    cmd->add_option("--normalization", pipeline.normalization,
                    "none, or mask: black out the chip outside the face outline before the embedder")
        ->check(CLI::IsMember({"none", "mask"}))
        ->capture_default_str();
    cmd->add_option("--max-pixels", pipeline.image.max_pixels, "refuse larger images")->capture_default_str();
    cmd->add_flag("--allow-no-face", allow_no_face, "use the whole image when no face is found");
    cmd->add_flag("--anti-spoofing", pipeline.anti_spoofing,
                  "check every face with the antispoof model; verify and represent refuse a face judged not real");
    cmd->add_option("--spoof-threshold", pipeline.spoof_threshold, "a face is real when its antispoof score >= this")
        ->capture_default_str();
    cmd->add_option("--threads", threads, "engine threads (0 = all cores)");
    cmd->add_flag("--json", json, "JSON on stdout");
  }
  PipelineOptions resolved() {
    set_num_threads(threads);
    PipelineOptions p = pipeline;
    p.enforce_detection = !allow_no_face;
    return p;
  }
};

}  // namespace facekit::cli
