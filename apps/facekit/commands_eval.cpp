// `facekit eval pairs`: verification accuracy on a pairs CSV with the 10-fold protocol.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "eval/batch_embedder.hpp"
#include "eval/ensemble_evaluation.hpp"
#include "eval/pair_evaluation.hpp"
#include "verify/distance.hpp"

namespace fs = std::filesystem;

namespace facekit::cli {
namespace {

struct PairRow {
  std::string img1, img2;
  bool same = false;
  int fold = -1;
  std::string csv1, csv2;  // the names as the CSV writes them
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

// Columns img1, img2, same and optionally fold (1-based); without folds, 10 consecutive blocks.
std::vector<PairRow> read_pairs(const std::string& path, const fs::path& root) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::FileNotFound, path + ": no such file");
  std::string line;
  std::getline(in, line);
  const auto header = split_csv_line(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"img1", "img2", "same"})
    if (!col.count(need)) throw Error(ErrorCode::InvalidArgument, path + ": no column '" + need + "' in the header");
  std::vector<PairRow> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto cells = split_csv_line(line);
    if (cells.size() < header.size() - (col.count("note") ? 1 : 0))
      throw Error(ErrorCode::InvalidArgument, path + ":" + std::to_string(line_no) + ": too few columns");
    PairRow r{(root / cells[col["img1"]]).string(), (root / cells[col["img2"]]).string(), cells[col["same"]] == "1",
              col.count("fold") ? std::stoi(cells[col["fold"]]) - 1 : -1, cells[col["img1"]], cells[col["img2"]]};
    rows.push_back(r);
  }
  if (rows.empty()) throw Error(ErrorCode::InvalidArgument, path + ": no pairs");
  if (rows.front().fold < 0)
    for (size_t i = 0; i < rows.size(); ++i) rows[i].fold = static_cast<int>(i * 10 / rows.size());
  return rows;
}

void draw_roc(const std::string& path, const std::map<std::string, eval::RocSummary>& curves, const std::string& title) {
  const int size = 520, margin = 50;
  cv::Mat img(size, size, CV_8UC3, cv::Scalar(255, 255, 255));
  const int w = size - 2 * margin;
  auto to_px = [&](double far, double tar) {
    return cv::Point(margin + static_cast<int>(far * w), size - margin - static_cast<int>(tar * w));
  };
  cv::rectangle(img, to_px(0, 0), to_px(1, 1), cv::Scalar(0, 0, 0), 1);
  for (int i = 1; i < 10; ++i) {
    cv::line(img, to_px(i / 10.0, 0), to_px(i / 10.0, 1), cv::Scalar(230, 230, 230));
    cv::line(img, to_px(0, i / 10.0), to_px(1, i / 10.0), cv::Scalar(230, 230, 230));
  }
  const cv::Scalar colours[] = {{200, 60, 30}, {30, 140, 30}, {30, 30, 200}, {160, 30, 160}};
  int k = 0;
  for (const auto& [name, roc] : curves) {
    const cv::Scalar c = colours[k % 4];
    for (size_t i = 1; i < roc.curve.size(); ++i)
      cv::line(img, to_px(roc.curve[i - 1].first, roc.curve[i - 1].second),
               to_px(roc.curve[i].first, roc.curve[i].second), c, 2, cv::LINE_AA);
    std::ostringstream label;
    label << name << "  AUC " << std::fixed << std::setprecision(4) << roc.auc;
    cv::putText(img, label.str(), {margin + 150, size - margin - 20 - 18 * k}, cv::FONT_HERSHEY_SIMPLEX, 0.45, c, 1,
                cv::LINE_AA);
    ++k;
  }
  cv::putText(img, title, {margin, 30}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  cv::putText(img, "false accept rate", {size / 2 - 60, size - 15}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1);
  cv::putText(img, "TAR", {8, size / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1);
  if (!cv::imwrite(path, img)) throw Error(ErrorCode::FileNotFound, path + ": cannot write the plot");
}

struct EvalOptions {
  std::string pairs, root, metric = "all", fallback = "none", face = "centre", cache, plot;
  std::string members = "faceapi-resnet:cosine,faceres:cosine", save_ensemble;  // --model ensemble
  bool json = false, quiet = false;
  int threads = 0, limit = 0;
  PipelineOptions pipeline;
};

// 10-fold accuracy, ROC summary, threshold on all pairs, the shipped threshold's accuracy (when there is
// one) and the logistic calibration of a list of scored pairs.
// `folds`: the 10-fold result when it is not the plain one of `scored` (a learned combiner's).
nlohmann::json describe_scores(const std::vector<eval::ScoredPair>& scored, const Threshold* shipped,
                               eval::RocSummary& roc_out, const eval::KFoldResult* folds_result = nullptr) {
  const auto kf = folds_result ? *folds_result : eval::k_fold(scored);
  roc_out = eval::roc(scored);
  const auto& roc = roc_out;
  nlohmann::json folds = nlohmann::json::array();
  for (const auto& f : kf.folds)
    folds.push_back({{"fold", f.fold + 1}, {"threshold", f.threshold}, {"accuracy", f.test.accuracy()}});
  nlohmann::json entry = {{"mean_accuracy", kf.mean_accuracy}, {"std_accuracy", kf.std_accuracy},
                          {"precision", kf.pooled.precision()}, {"recall", kf.pooled.recall()},
                          {"f1", kf.pooled.f1()}, {"auc", roc.auc}, {"eer", roc.eer},
                          {"tar_at_far_1e-2", roc.tar_at_far_1e2}, {"tar_at_far_1e-3", roc.tar_at_far_1e3},
                          {"threshold_all_pairs", eval::best_threshold(scored)}, {"folds", folds}};
  entry["default_threshold"] = nullptr;
  if (shipped) {
    const eval::Counts c = eval::count_at(scored, shipped->value);
    entry["default_threshold"] = {{"threshold", shipped->value}, {"accuracy", c.accuracy()},
                                  {"precision", c.precision()}, {"recall", c.recall()}, {"f1", c.f1()}};
  }
  try {
    const auto logistic = eval::fit_logistic(scored);
    entry["logistic"] = {{"midpoint", logistic.midpoint}, {"scale", logistic.scale}};
  } catch (const Error&) {
    entry["logistic"] = nullptr;
  }
  return entry;
}

// What the accuracy issue asks for below a target, per scored pair: the 20 misclassified pairs furthest
// from their fold's threshold, and accuracy restricted to pairs where the detector found both faces
// (no whole-image fallback), each fold keeping the threshold chosen on all pairs of the other nine.
struct PairInfo {
  std::string img1, img2;  // as written in the CSV
  bool detected_both = true;
};

void add_pair_details(nlohmann::json& entry, const std::vector<eval::ScoredPair>& scored,
                      const std::vector<PairInfo>& info) {
  std::map<int, double> threshold;  // 0-based fold -> threshold chosen on the other folds
  for (const auto& f : entry["folds"]) threshold[f["fold"].get<int>() - 1] = f["threshold"].get<double>();
  std::vector<std::pair<double, std::size_t>> errors;  // (distance past the threshold, pair)
  eval::Counts detected;
  std::map<int, eval::Counts> detected_by_fold;
  std::vector<eval::ScoredPair> detected_pairs;
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const auto& p = scored[i];
    const double t = threshold.at(p.fold);
    const bool accept = p.distance <= t;
    if (accept != p.same) errors.push_back({std::abs(p.distance - t), i});
    if (!info[i].detected_both) continue;
    detected_pairs.push_back(p);
    for (eval::Counts* c : {&detected, &detected_by_fold[p.fold]}) {
      if (p.same) (accept ? c->tp : c->fn)++;
      else (accept ? c->fp : c->tn)++;
    }
  }
  std::sort(errors.rbegin(), errors.rend());
  nlohmann::json worst = nlohmann::json::array();
  for (std::size_t k = 0; k < std::min<std::size_t>(20, errors.size()); ++k) {
    const auto& p = scored[errors[k].second];
    const auto& n = info[errors[k].second];
    worst.push_back({{"img1", n.img1}, {"img2", n.img2}, {"same", p.same}, {"fold", p.fold + 1},
                     {"distance", p.distance}, {"threshold", threshold.at(p.fold)}});
  }
  entry["worst_pairs"] = worst;
  entry["errors"] = errors.size();
  double mean = 0;
  for (const auto& [fold, c] : detected_by_fold) mean += c.accuracy() / detected_by_fold.size();
  entry["detected_both"] = {{"pairs", detected.tp + detected.fp + detected.tn + detected.fn},
                            {"accuracy", detected.accuracy()}, {"mean_accuracy", mean}};
  // What a model's shipped threshold and confidence are fitted on: pairs the detector itself found,
  // never fallback crops.
  if (!detected_pairs.empty()) {
    entry["detected_both"]["threshold_all_pairs"] = eval::best_threshold(detected_pairs);
    try {
      const auto logistic = eval::fit_logistic(detected_pairs);
      entry["detected_both"]["logistic"] = {{"midpoint", logistic.midpoint}, {"scale", logistic.scale}};
    } catch (const Error&) {
      entry["detected_both"]["logistic"] = nullptr;
    }
  }
}

// --model ensemble: each member's distance per pair, combined by a logistic regression trained on the
// other folds (eval/ensemble_evaluation.hpp); compared with every member alone on the same pairs.
int report_ensemble(const EvalOptions& o, const std::vector<PairRow>& rows, std::map<std::string, size_t>& index,
                    const std::vector<EnsembleMember>& members,
                    const std::vector<std::vector<eval::ImageEmbedding>>& runs,
                    std::chrono::steady_clock::time_point start) {
  std::vector<eval::EnsemblePair> pairs;
  std::vector<PairInfo> info;
  int skipped = 0;
  for (const auto& r : rows) {
    eval::EnsemblePair p{{}, r.same, r.fold};
    for (std::size_t k = 0; k < members.size(); ++k) {
      const auto& a = runs[k][index[r.img1]].embedding;
      const auto& b = runs[k][index[r.img2]].embedding;
      if (a.empty() || b.empty()) break;
      p.distances.push_back(distance(a, b, members[k].metric));
    }
    if (p.distances.size() == members.size()) {
      pairs.push_back(std::move(p));
      info.push_back({r.csv1, r.csv2, !runs[0][index[r.img1]].fallback() && !runs[0][index[r.img2]].fallback()});
    } else {
      ++skipped;
    }
  }
  nlohmann::json out = {{"pairs_file", o.pairs}, {"pairs", rows.size()}, {"pairs_skipped", skipped},
                        {"model", "ensemble"}, {"members", ensemble_members_spec(members)},
                        {"detector", o.pipeline.detector}, {"combiner", "logistic regression, 10-fold nested (combiner and threshold fitted on the other nine folds)"}};
  std::map<std::string, eval::RocSummary> curves;
  std::vector<std::vector<double>> fold_accuracy;  // per configuration, per fold
  auto add = [&](const std::string& name, const std::vector<eval::ScoredPair>& scored,
                 const eval::KFoldResult* folds_result = nullptr) {
    nlohmann::json e = describe_scores(scored, nullptr, curves[name], folds_result);
    add_pair_details(e, scored, info);
    std::vector<double> acc;
    for (const auto& f : e["folds"]) acc.push_back(f["accuracy"].get<double>());
    fold_accuracy.push_back(acc);
    out["metrics"][name] = e;
  };
  for (std::size_t k = 0; k < members.size(); ++k) {
    std::vector<eval::ScoredPair> scored;
    for (const auto& p : pairs) scored.push_back({p.distances[k], p.same, p.fold});
    add(members[k].model + ":" + metric_name(members[k].metric), scored);
  }
  const eval::NestedEvaluation nested = eval::nested_k_fold(members, pairs);
  add("ensemble", nested.scored, &nested.folds);
  // The ensemble against its best member, fold by fold: mean gain and its standard error.
  std::size_t best = 0;
  for (std::size_t k = 1; k < members.size(); ++k)
    if (out["metrics"][members[k].model + ":" + metric_name(members[k].metric)]["mean_accuracy"].get<double>() >
        out["metrics"][members[best].model + ":" + metric_name(members[best].metric)]["mean_accuracy"].get<double>())
      best = k;
  const auto& ens = fold_accuracy.back();
  const auto& single = fold_accuracy[best];
  double mean = 0, var = 0;
  for (std::size_t f = 0; f < ens.size(); ++f) mean += (ens[f] - single[f]) / ens.size();
  for (std::size_t f = 0; f < ens.size(); ++f) var += std::pow(ens[f] - single[f] - mean, 2) / (ens.size() - 1);
  const double se = std::sqrt(var / ens.size());
  out["gain_over_best_member"] = {{"member", members[best].model}, {"mean", mean}, {"standard_error", se},
                                  {"standard_errors", se > 0 ? mean / se : 0.0}};
  if (!o.save_ensemble.empty()) {
    eval::fit_on_all(members, pairs).save(o.save_ensemble, o.pairs + " (" + std::to_string(pairs.size()) + " pairs)");
    out["saved"] = o.save_ensemble;
  }
  out["time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.plot.empty()) draw_roc(o.plot, curves, "ensemble of " + ensemble_members_spec(members));
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << o.pairs << ": " << pairs.size() << " pairs scored by every member (" << skipped << " skipped)\n";
  for (const auto& [name, e] : out["metrics"].items())
    std::cout << std::fixed << std::setprecision(2) << "  " << std::left << std::setw(28) << name << " accuracy "
              << 100 * e["mean_accuracy"].get<double>() << "% +- " << 100 * e["std_accuracy"].get<double>()
              << "  AUC " << std::setprecision(4) << e["auc"].get<double>() << "\n";
  std::cout << std::setprecision(2) << "  gain over " << members[best].model << ": " << 100 * mean << " points, "
            << (se > 0 ? mean / se : 0.0) << " standard errors\n";
  return 0;
}

int run_eval_pairs(EvalOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path root = o.root.empty() ? fs::path(o.pairs).parent_path() : fs::path(o.root);
  auto rows = read_pairs(o.pairs, root);
  if (o.limit > 0 && static_cast<int>(rows.size()) > o.limit) rows.resize(o.limit);

  std::vector<std::string> images;
  std::map<std::string, size_t> index;
  for (const auto& r : rows)
    for (const auto& p : {r.img1, r.img2})
      if (!index.count(p)) {
        index[p] = images.size();
        images.push_back(p);
      }
  const bool ensemble = o.pipeline.model == "ensemble";
  const std::vector<EnsembleMember> members =
      ensemble ? parse_ensemble_members(o.members) : std::vector<EnsembleMember>{};
  eval::BatchOptions batch{o.pipeline, o.fallback == "fail" ? "" : o.fallback, eval::parse_face_choice(o.face),
                           o.cache, o.threads};
  const bool tty = !o.quiet && !o.json && ::isatty(2);
  // One embedding run per configuration: the model itself, or each member of the ensemble.
  std::vector<std::vector<eval::ImageEmbedding>> runs;
  for (std::size_t k = 0; k < std::max<std::size_t>(1, members.size()); ++k) {
    eval::BatchOptions b = batch;
    if (ensemble) b.pipeline.model = members[k].model;
    runs.push_back(eval::embed_images(images, b, [&](int done, int total) {
      if (tty && (done % 20 == 0 || done == total))
        std::cerr << "\rembedded " << done << "/" << total << " (" << b.pipeline.model << ")" << std::flush;
    }));
    if (tty) std::cerr << "\n";
  }
  const auto& results = runs.front();
  if (ensemble) return report_ensemble(o, rows, index, members, runs, start);

  int fallbacks = 0, failures = 0;
  std::map<std::string, int> fallbacks_by;  // per entry of the fallback chain
  for (const auto& r : results) {
    fallbacks += r.fallback();
    failures += r.embedding.empty();
    if (r.fallback()) ++fallbacks_by[r.fallback_via];
  }
  std::vector<std::string> metrics;
  if (o.metric == "all") metrics = {"cosine", "euclidean", "euclidean_l2", "angular"};
  else metrics = {o.metric};

  nlohmann::json out = {{"pairs_file", o.pairs}, {"pairs", rows.size()}, {"images", images.size()},
                        {"model", o.pipeline.model}, {"detector", o.pipeline.detector}, {"align", o.pipeline.align},
                        {"landmarker", o.pipeline.landmarker}, {"fallback_detector", batch.fallback_detector},
                        {"images_fallback", fallbacks}, {"images_fallback_by", fallbacks_by},
                        {"images_failed", failures}};
  std::map<std::string, eval::RocSummary> curves;
  int skipped_pairs = 0;
  for (const auto& m : metrics) {
    const Metric metric = parse_metric(m);
    std::vector<eval::ScoredPair> scored;
    std::vector<PairInfo> info;
    skipped_pairs = 0;
    for (const auto& r : rows) {
      const auto& a = results[index[r.img1]];
      const auto& b = results[index[r.img2]];
      if (a.embedding.empty() || b.embedding.empty()) {
        ++skipped_pairs;
        continue;
      }
      scored.push_back({distance(a.embedding, b.embedding, metric), r.same, r.fold});
      info.push_back({r.csv1, r.csv2, !a.fallback() && !b.fallback()});
    }
    const Threshold* shipped = nullptr;
    Threshold model_threshold;
    try {  // the shipped default threshold, applied without refitting
      model_threshold = default_threshold(o.pipeline.model, metric);
      shipped = &model_threshold;
    } catch (const Error&) {
    }
    nlohmann::json entry = describe_scores(scored, shipped, curves[m]);
    add_pair_details(entry, scored, info);
    out["metrics"][m] = entry;
  }
  out["pairs_skipped"] = skipped_pairs;
  out["time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.plot.empty()) draw_roc(o.plot, curves, o.pipeline.model + " / " + o.pipeline.detector + " / " + o.pipeline.align);

  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << o.pairs << ": " << rows.size() << " pairs, " << images.size() << " images (" << fallbacks
            << " via fallback detectors '" << batch.fallback_detector << "'";
  for (const auto& [via, n] : fallbacks_by) std::cout << " " << via << ": " << n;
  std::cout << ", " << failures << " failed, "
            << skipped_pairs << " pairs skipped), " << std::fixed << std::setprecision(1)
            << out["time_s"].get<double>() << " s\n";
  for (const auto& m : metrics) {
    const auto& e = out["metrics"][m];
    std::cout << std::setprecision(2) << "  " << std::left << std::setw(13) << m << " accuracy "
              << 100 * e["mean_accuracy"].get<double>() << "% +- " << 100 * e["std_accuracy"].get<double>()
              << "  AUC " << std::setprecision(4) << e["auc"].get<double>() << "  EER " << e["eer"].get<double>()
              << "  TAR@FAR1e-3 " << e["tar_at_far_1e-3"].get<double>() << "  threshold "
              << e["threshold_all_pairs"].get<double>();
    if (!e["default_threshold"].is_null())
      std::cout << std::setprecision(2) << "  (at the default " << e["default_threshold"]["threshold"].get<double>()
                << ": " << 100 * e["default_threshold"]["accuracy"].get<double>() << "%)";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void add_eval_commands(CLI::App& app, CommandList& commands) {
  auto* eval = app.add_subcommand("eval", "accuracy evaluation");
  auto* pairs = eval->add_subcommand("pairs", "verification accuracy on a pairs CSV (10-fold protocol)");
  auto o = std::make_shared<EvalOptions>();
  pairs->add_option("--pairs", o->pairs, "CSV with img1,img2,same[,fold]")->required();
  pairs->add_option("--root", o->root, "folder the CSV's paths are relative to (default: the CSV's folder)");
  pairs->add_option("--model", o->pipeline.model, "embedding model, or 'ensemble' (see --members)")
      ->capture_default_str();
  pairs->add_option("--members", o->members, "ensemble members: model[:metric],... (with --model ensemble)")
      ->capture_default_str();
  pairs->add_option("--save-ensemble", o->save_ensemble,
                    "with --model ensemble: write the combiner fitted on all pairs to this file");
  pairs->add_option("--detector", o->pipeline.detector, "detector")->capture_default_str();
  pairs->add_option("--align", o->pipeline.align, "alignment")->capture_default_str();
  pairs->add_option("--landmarker", o->pipeline.landmarker, "landmarker")->capture_default_str();
  pairs->add_option("--normalization", o->pipeline.normalization, "none, or mask (the chip outside the face outline set to 0)")
      ->capture_default_str();
  pairs->add_option("--metric", o->metric, "all, cosine, euclidean, euclidean_l2, angular")->capture_default_str();
  pairs->add_option("--fallback", o->fallback,
                    "detectors tried in order where the detector finds no face, e.g. 'blazeface,none' "
                    "('none': the whole image; 'fail': count such images as failures)")
      ->capture_default_str();
  pairs->add_option("--face", o->face, "face of a multi-face image: centre, best, largest")->capture_default_str();
  pairs->add_option("--cache", o->cache, "embedding cache file (JSON lines)");
  pairs->add_option("--plot", o->plot, "write a ROC plot (PNG)");
  pairs->add_option("--threads", o->threads, "worker threads (0 = all cores)");
  pairs->add_option("--limit", o->limit, "only the first N pairs");
  pairs->add_flag("--json", o->json, "JSON on stdout");
  pairs->add_flag("--quiet", o->quiet, "no progress output");
  commands.push_back({pairs, [o] { return run_eval_pairs(*o); }});
  add_eval_detect_command(*eval, commands);
}

}  // namespace facekit::cli
