// Folder mode: a gallery that mirrors a folder in deepface's db_path layout. Each refresh compares
// the folder with the gallery's record of it: a file whose path, size and mtime are unchanged is
// trusted without reading it; a changed one is hashed and re-embedded only if its bytes changed.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "facekit/error.hpp"
#include "gallery/enroll.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".bmp";
}

bool same_stat(const std::string& file, const SourceFile& stored) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return false;
  const std::int64_t mtime = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return mtime == stored.mtime_ns && std::int64_t(st.st_size) == stored.size;
}

}  // namespace

std::vector<std::string> list_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::FileNotFound, dir + ": not a folder");
  std::vector<std::string> out;
  const fs::path root(dir);
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Hidden entries: the folder's own gallery (.facekit-gallery*), editor and OS droppings.
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_image_name(it->path())) out.push_back(it->path().lexically_relative(root).string());
  }
  if (ec) throw Error(ErrorCode::FileNotFound, dir + ": cannot list the folder (" + ec.message() + ")");
  std::sort(out.begin(), out.end());
  return out;
}

std::string folder_identity(const std::string& relative_path) {
  const fs::path p(relative_path);
  const auto first = p.begin();
  return std::next(first) == p.end() ? p.stem().string() : first->string();
}

EnrollReport sync_folder(GalleryStore& store, const std::string& dir, const EnrollPlan& plan,
                         const EnrollOptions& options) {
  const std::vector<std::string> files = list_images(dir);
  std::map<std::string, StoredSource> stored;
  for (auto& s : store.sources(plan.space)) stored.emplace(s.file.path, std::move(s));

  std::vector<EnrollJob> jobs;
  for (const std::string& rel : files) {
    const std::string full = (fs::path(dir) / rel).string();
    auto it = stored.find(rel);
    EnrollJob job{full, rel, folder_identity(rel), 0, ""};
    if (it != stored.end()) {
      const StoredSource known = std::move(it->second);
      stored.erase(it);  // what is left in `stored` at the end has vanished from the folder
      if (same_stat(full, known.file)) continue;
      job.known_source = known.id;
      job.known_hash = known.file.hash;
    }
    jobs.push_back(std::move(job));
  }

  std::vector<std::int64_t> vanished;
  for (const auto& [path, source] : stored) vanished.push_back(source.id);
  const std::size_t removed = vanished.empty() ? 0 : store.remove_sources(vanished);

  EnrollPlan folder_plan = plan;
  folder_plan.skip_enrolled_content = false;  // the same photo in two identity folders is two entries
  folder_plan.record_faceless = true;
  EnrollReport report = enroll(store, jobs, folder_plan, options);
  report.files = files.size();
  report.removed_faces = removed;
  report.skipped = files.size() - jobs.size();
  return report;
}

}  // namespace facekit
