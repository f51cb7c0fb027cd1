// `facekit gallery create|add|remove|list|stats|check` and `facekit find`.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common_options.hpp"
#include "facekit/gallery.hpp"
#include "gallery/index.hpp"

namespace facekit::cli {
namespace {

// Help footer: every index kind this binary was built with (faiss kinds only with Faiss), from the
// same list create_index names in its errors, so the help cannot drift from what works.
std::string index_kinds_footer() {
  std::string text = "Index kinds (find --index SPEC; the gallery caches each index it builds):";
  for (const auto& kind : index_kinds()) text += "\n  " + kind;
  return text;
}

// Ctrl-C during enrolment: finish the files in flight, commit, exit; a second Ctrl-C kills at once.
std::atomic<bool> g_interrupted{false};

void on_interrupt(int) {
  g_interrupted = true;
  ::signal(SIGINT, SIG_DFL);
}

class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    ::sigaction(SIGINT, &sa, &saved_);
  }
  ~InterruptScope() { ::sigaction(SIGINT, &saved_, nullptr); }

 private:
  struct sigaction saved_ {};
};

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--";
  const long t = std::lround(s);
  std::ostringstream out;
  if (t >= 3600)
    out << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t % 3600) / 60 << "m";
  else if (t >= 60)
    out << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
  else
    out << t << "s";
  return out.str();
}

// One self-overwriting line on stderr: bar, count, rate, ETA. Silent unless stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(bool quiet) : enabled_(!quiet && ::isatty(STDERR_FILENO)) {}
  ~ProgressBar() {
    if (drawn_) std::cerr << "\n";
  }
  void update(const EnrollProgress& p) {
    if (!enabled_ || p.total == 0) return;
    const double fraction = double(p.done) / double(p.total);
    const double rate = p.elapsed_s > 0 ? double(p.done) / p.elapsed_s : 0;
    const double eta = rate > 0 ? double(p.total - p.done) / rate : NAN;
    constexpr int kWidth = 28;
    const int filled = int(fraction * kWidth);
    std::ostringstream line;
    line << "\r[" << std::string(std::size_t(filled), '#') << std::string(std::size_t(kWidth - filled), '.') << "] "
         << p.done << "/" << p.total << "  " << std::fixed << std::setprecision(1) << rate << " img/s  ETA "
         << format_duration(eta) << "  (added " << p.added << ", skipped " << p.skipped << ", failed " << p.failed
         << ")\033[K";
    std::cerr << line.str() << std::flush;
    drawn_ = true;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

int print_enroll_report(const EnrollReport& r, bool json) {
  if (json) {
    std::cout << nlohmann::json(r).dump(2) << "\n";
  } else {
    std::cout << "enrolled " << r.added_faces << " face(s) from " << r.files << " file(s): " << r.embedded
              << " embedded, " << r.skipped << " already enrolled or unchanged, " << r.failed << " failed";
    if (r.removed_faces) std::cout << ", " << r.removed_faces << " removed";
    std::cout << "\n";
    constexpr std::size_t kShown = 10;
    for (std::size_t i = 0; i < std::min(kShown, r.errors.size()); ++i) std::cerr << "  " << r.errors[i] << "\n";
    if (r.errors.size() > kShown) std::cerr << "  ... and " << r.errors.size() - kShown << " more\n";
  }
  if (r.interrupted) {
    std::cerr << "facekit: interrupted; everything enrolled so far is saved. Run the same command again to resume.\n";
    return 130;
  }
  // Partial failures are reported above; only a run where every file failed is an error.
  return r.failed > 0 && r.failed == r.files ? 3 : 0;
}

struct EnrolOptions {
  CommonOptions common;
  bool quiet = false;

  void add_to(CLI::App* cmd) {
    common.add_to(cmd);
    cmd->add_flag("--quiet", quiet, "no progress bar");
  }
  // `progress` must outlive the returned options.
  EnrollOptions resolved(ProgressBar& progress) {
    EnrollOptions o;
    o.pipeline = common.resolved();
    o.workers = common.threads;
    o.cancel = &g_interrupted;
    o.progress = [&progress](const EnrollProgress& p) { progress.update(p); };
    return o;
  }
};

int run_add(EnrolOptions& opts, const std::string& path, const std::string& identity,
            const std::vector<std::string>& images, const std::string& folder) {
  if (folder.empty() == images.empty())
    throw Error(ErrorCode::InvalidArgument, "give either images (with --identity) or --from-folder DIR");
  if (!images.empty() && identity.empty())
    throw Error(ErrorCode::InvalidArgument, "--identity NAME is required when adding images");
  Gallery gallery = Gallery::open(path);
  InterruptScope interrupt;
  EnrollReport report;
  {
    ProgressBar progress(opts.quiet || opts.common.json);
    const EnrollOptions options = opts.resolved(progress);
    report = folder.empty() ? gallery.add_images(identity, images, options) : gallery.add_folder(folder, options);
  }
  return print_enroll_report(report, opts.common.json);
}

int run_remove(const std::string& path, const std::string& identity, const std::vector<std::int64_t>& face_ids,
               bool json) {
  if (identity.empty() == face_ids.empty())
    throw Error(ErrorCode::InvalidArgument, "give --identity NAME or --face ID");
  Gallery gallery = Gallery::open(path);
  const std::size_t removed = identity.empty() ? gallery.remove_faces(face_ids) : gallery.remove_identity(identity);
  if (json)
    std::cout << nlohmann::json({{"removed_faces", removed}}).dump() << "\n";
  else
    std::cout << "removed " << removed << " face(s)\n";
  return 0;
}

int run_list(const std::string& path, const std::string& identity, bool faces, bool json) {
  Gallery gallery = Gallery::open(path);
  if (faces || !identity.empty()) {
    const auto list = gallery.faces(identity);
    if (json) {
      std::cout << nlohmann::json(list).dump(2) << "\n";
      return 0;
    }
    for (const auto& f : list)
      std::cout << f.id << "\t" << f.identity << "\t" << f.model << "\t" << f.source_path << "\n";
    return 0;
  }
  const auto list = gallery.identities();
  if (json) {
    std::cout << nlohmann::json(list).dump(2) << "\n";
    return 0;
  }
  for (const auto& i : list) std::cout << i.name << "\t" << i.faces << " face(s)\n";
  return 0;
}

int run_stats(const std::string& path, bool json) {
  const GalleryStats s = Gallery::open(path).stats();
  if (json) {
    std::cout << nlohmann::json(s).dump(2) << "\n";
    return 0;
  }
  std::cout << s.path << ": " << s.identities << " identities, " << s.faces << " faces from " << s.files << " files, "
            << s.file_bytes << " bytes, schema " << s.schema_version << ", created " << s.created_at << "\n";
  for (const auto& m : s.models)
    std::cout << "  " << m.model << " (" << m.model_version << ", " << m.dim << "-D): " << m.faces << " faces, "
              << m.identities << " identities, " << m.files << " files (" << m.files_without_face
              << " without a face)\n";
  return 0;
}

int run_check(const std::string& path, bool json) {
  const auto problems = Gallery::open(path).check_integrity();
  if (json) {
    std::cout << nlohmann::json({{"ok", problems.empty()}, {"problems", problems}}).dump(2) << "\n";
  } else if (problems.empty()) {
    std::cout << path << ": ok\n";
  } else {
    for (const auto& p : problems) std::cout << path << ": " << p << "\n";
  }
  return problems.empty() ? 0 : 3;
}

struct FindArgs {
  EnrolOptions enrol;  // pipeline options; progress for the folder refresh
  std::string image, gallery, folder, index = "exact", metric = "euclidean";
  std::size_t k = 5;
  std::optional<double> threshold;
};

void print_matches(const std::vector<FindResult>& results) {
  if (results.empty()) std::cout << "no face in the probe image\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& a = results[i].probe_area;
    std::cout << "face " << i << " (box " << a.x << "," << a.y << " " << a.w << "x" << a.h << "):\n";
    if (results[i].matches.empty()) std::cout << "  no match in the gallery\n";
    for (std::size_t r = 0; r < results[i].matches.size(); ++r) {
      const auto& m = results[i].matches[r];
      std::cout << "  " << r + 1 << ". " << m.identity << "  distance " << std::fixed << std::setprecision(4)
                << m.distance << (m.verified ? " <= " : " > ") << m.threshold << "  "
                << (m.verified ? "verified" : "not verified") << "  confidence " << std::setprecision(1) << m.confidence
                << "%  " << m.source << "\n";
    }
  }
}

int run_find(FindArgs& args) {
  if (args.gallery.empty() == args.folder.empty())
    throw Error(ErrorCode::InvalidArgument, "give either --gallery PATH or --db DIR");
  FindOptions options;
  options.pipeline = args.enrol.common.resolved();
  options.k = args.k;
  options.index = args.index;
  options.metric = args.metric;
  options.threshold = args.threshold;
  nlohmann::json out = {{"model", options.pipeline.model}, {"metric", options.metric}, {"index", options.index}};
  std::optional<Gallery> gallery;
  if (!args.gallery.empty()) {
    gallery.emplace(Gallery::open(args.gallery));
  } else {
    if (!std::filesystem::is_directory(args.folder))
      throw Error(ErrorCode::FileNotFound, args.folder + ": not a folder");
    gallery.emplace(Gallery::open_or_create(folder_gallery_path(args.folder)));
    InterruptScope interrupt;
    ProgressBar progress(args.enrol.quiet || args.enrol.common.json);
    const EnrollReport refresh = gallery->sync_folder(args.folder, args.enrol.resolved(progress));
    if (refresh.interrupted) return print_enroll_report(refresh, args.enrol.common.json);
    out["refresh"] = refresh;
  }
  const auto results = gallery->find(FaceInput::file(args.image), options);
  if (args.enrol.common.json) {
    out["results"] = results;
    std::cout << out.dump(2) << "\n";
  } else {
    print_matches(results);
  }
  return 0;
}

}  // namespace

void add_gallery_commands(CLI::App& app, CommandList& commands) {
  auto* gallery = app.add_subcommand("gallery", "persistent face galleries: create, add, remove, list, stats, check");
  gallery->require_subcommand(1);
  gallery->footer(index_kinds_footer());
  {
    auto* cmd = gallery->add_subcommand("create", "make an empty gallery file (never replaces a file)");
    auto path = std::make_shared<std::string>();
    cmd->add_option("path", *path, "gallery file")->required();
    commands.push_back({cmd, [=] {
                          Gallery::create(*path);
                          std::cout << "created " << *path << "\n";
                          return 0;
                        }});
  }
  {
    auto* cmd = gallery->add_subcommand("add", "enrol images under an identity, or a folder of identity sub-folders");
    auto opts = std::make_shared<EnrolOptions>();
    auto path = std::make_shared<std::string>(), identity = std::make_shared<std::string>();
    auto folder = std::make_shared<std::string>();
    auto images = std::make_shared<std::vector<std::string>>();
    cmd->add_option("path", *path, "gallery file")->required();
    cmd->add_option("images", *images, "image files");
    cmd->add_option("--identity", *identity, "who the images show");
    cmd->add_option("--from-folder", *folder, "folder with one sub-folder per identity (deepface's db_path)");
    opts->add_to(cmd);
    commands.push_back({cmd, [=] { return run_add(*opts, *path, *identity, *images, *folder); }});
  }
  {
    auto* cmd = gallery->add_subcommand("remove", "remove an identity (all its faces) or single faces");
    auto path = std::make_shared<std::string>(), identity = std::make_shared<std::string>();
    auto faces = std::make_shared<std::vector<std::int64_t>>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("path", *path, "gallery file")->required();
    cmd->add_option("--identity", *identity, "identity to remove");
    cmd->add_option("--face", *faces, "face id(s) to remove (see `gallery list --faces`)");
    cmd->add_flag("--json", *json, "JSON on stdout");
    commands.push_back({cmd, [=] { return run_remove(*path, *identity, *faces, *json); }});
  }
  {
    auto* cmd = gallery->add_subcommand("list", "identities with face counts, or faces");
    auto path = std::make_shared<std::string>(), identity = std::make_shared<std::string>();
    auto faces = std::make_shared<bool>(false), json = std::make_shared<bool>(false);
    cmd->add_option("path", *path, "gallery file")->required();
    cmd->add_option("--identity", *identity, "list this identity's faces");
    cmd->add_flag("--faces", *faces, "list faces instead of identities");
    cmd->add_flag("--json", *json, "JSON on stdout");
    commands.push_back({cmd, [=] { return run_list(*path, *identity, *faces, *json); }});
  }
  {
    auto* cmd = gallery->add_subcommand("stats", "counts per model, file size, schema version");
    auto path = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("path", *path, "gallery file")->required();
    cmd->add_flag("--json", *json, "JSON on stdout");
    commands.push_back({cmd, [=] { return run_stats(*path, *json); }});
  }
  {
    auto* cmd = gallery->add_subcommand("check", "integrity check (SQLite integrity_check and foreign keys)");
    auto path = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("path", *path, "gallery file")->required();
    cmd->add_flag("--json", *json, "JSON on stdout");
    commands.push_back({cmd, [=] { return run_check(*path, *json); }});
  }
  {
    auto* cmd = app.add_subcommand("find", "who is this? ranked matches from a gallery or a folder of identities");
    auto args = std::make_shared<FindArgs>();
    cmd->add_option("img", args->image, "probe image")->required();
    cmd->add_option("--gallery", args->gallery, "gallery file");
    cmd->add_option("--db", args->folder, "folder with one sub-folder per identity (deepface's db_path)");
    cmd->add_option("--k", args->k, "matches per face")->capture_default_str();
    cmd->add_option("--index", args->index, "index kind and options (the kinds are listed below)")
        ->capture_default_str();
    cmd->footer(index_kinds_footer());
    cmd->add_option("--metric", args->metric, "cosine, euclidean, euclidean_l2, angular")->capture_default_str();
    cmd->add_option_function<double>(
        "--threshold", [args](double v) { args->threshold = v; }, "distance threshold (default: the model's)");
    args->enrol.add_to(cmd);
    commands.push_back({cmd, [=] { return run_find(*args); }});
  }
}

}  // namespace facekit::cli
