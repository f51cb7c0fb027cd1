// Folder mode and bulk enrolment with a counting fake embedder (no model files needed): only new or
// changed images are embedded, removed ones are dropped, reruns add nothing twice.
#include <atomic>
#include <fstream>

#include <gtest/gtest.h>

#include "facekit/error.hpp"
#include "facekit/gallery.hpp"
#include "gallery/enroll.hpp"
#include "support/gallery_test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit;
using namespace facekit::test;

namespace {

// Embeds a file as a few statistics of its bytes, counting every call. Files whose content starts
// with "noface" have no face.
struct CountingEmbedder {
  std::atomic<int> calls{0};

  EnrollPlan plan() {
    EnrollPlan p;
    p.space = test_space("fake", 4);
    p.detector = "none";
    p.alignment = "none";
    p.make_embedder = [this]() -> ImageEmbedder {
      return [this](const std::string& path) {
        ++calls;
        const std::string bytes = read_file(path);
        if (bytes.rfind("noface", 0) == 0) throw Error(ErrorCode::NoFace, path + ": no face found");
        NewFace f;
        f.embedding = {float(bytes.size()), float(bytes.front()), float(bytes.back()), float(bytes[bytes.size() / 2])};
        return std::vector<NewFace>{f};
      };
    };
    return p;
  }
};

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST(FolderMode, EmbedsOnlyNewOrChangedImages) {
  const auto dir = temp_dir("folder_mode");
  const fs::path images = dir / "db";
  for (int i = 0; i < 1000; ++i)
    write_text(images / ("person" + std::to_string(i % 10)) / ("img" + std::to_string(i) + ".png"),
               "image bytes " + std::to_string(i));
  write_text(images / "notes.txt", "not an image");
  write_text(images / "loner.jpg", "a lone image in the root is its own identity");
  Gallery gallery = Gallery::open_or_create(folder_gallery_path(images.string()));
  EXPECT_NO_THROW(Gallery::open_or_create(folder_gallery_path(images.string())));  // the second time: opened
  GalleryStore* store = &gallery.store();
  CountingEmbedder fake;
  const EnrollPlan plan = fake.plan();

  EnrollReport r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.files, 1001u);
  EXPECT_EQ(r.embedded, 1001u);
  EXPECT_EQ(r.added_faces, 1001u);
  EXPECT_EQ(fake.calls, 1001);
  EXPECT_EQ(store->identities().size(), 11u);  // ten folders + "loner"

  // Nothing changed: nothing is read beyond a stat.
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.embedded, 0u);
  EXPECT_EQ(fake.calls, 1001);

  // One new image: exactly one embedding.
  write_text(images / "person3" / "new.png", "a brand new image");
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.embedded, 1u);
  EXPECT_EQ(fake.calls, 1002);
  EXPECT_EQ(store->faces("person3").size(), 101u);

  // Touched but identical bytes: hashed, not embedded. Changed bytes: re-embedded, replaced.
  const fs::path touched = images / "person1" / "img1.png", changed = images / "person2" / "img2.png";
  fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(5));
  write_text(changed, "different bytes now");
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.embedded, 1u);
  EXPECT_EQ(fake.calls, 1003);
  EXPECT_EQ(store->stats().faces, 1002u);
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.embedded, 0u) << "the touched file's new mtime was not recorded";

  // Removed images leave the gallery; a faceless image is recorded once and not retried.
  fs::remove(images / "person4" / "img4.png");
  write_text(images / "person5" / "blank.png", "noface at all");
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.removed_faces, 1u);
  EXPECT_EQ(r.embedded, 1u);
  EXPECT_EQ(r.failed, 0u);
  r = sync_folder(*store, images.string(), plan, {});
  EXPECT_EQ(r.embedded, 0u);
  EXPECT_EQ(store->stats().faces, 1001u);
}

TEST(BulkEnrol, RerunAddsNothingTwiceAndFailuresAreReported) {
  const auto dir = temp_dir("bulk_enrol");
  auto store = create_sqlite_gallery((dir / "g.db").string());
  std::vector<EnrollJob> jobs;
  for (int i = 0; i < 40; ++i) {
    const fs::path p = dir / "in" / ("f" + std::to_string(i) + ".png");
    write_text(p, i == 7 ? "noface" : "content " + std::to_string(i % 30));  // 10 duplicates by content
    jobs.push_back({p.string(), p.string(), "someone", 0, ""});
  }
  jobs.push_back({(dir / "missing.png").string(), "missing.png", "someone", 0, ""});
  CountingEmbedder fake;
  EnrollOptions options;
  options.workers = 4;
  std::size_t progress_calls = 0;
  options.progress = [&](const EnrollProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.done, p.total);
  };
  EnrollReport r = enroll(*store, jobs, fake.plan(), options);
  // Contents 0..29 once each (content 7 only from file 37, file 7 is faceless); files 30..39 except
  // 37 repeat contents already seen.
  EXPECT_EQ(r.added_faces, 30u);
  EXPECT_EQ(r.skipped, 9u);
  EXPECT_EQ(r.failed, 2u);  // no face; missing file
  EXPECT_EQ(r.errors.size(), 2u);
  EXPECT_FALSE(r.interrupted);
  EXPECT_GT(progress_calls, 0u);

  // A rerun (as after an interruption) embeds only what failed before: the faceless file.
  const int calls_before = fake.calls;
  r = enroll(*store, jobs, fake.plan(), options);
  EXPECT_EQ(r.added_faces, 0u);
  EXPECT_EQ(r.skipped, 39u);
  EXPECT_EQ(fake.calls - calls_before, 1) << "everything enrolled must be skipped by hash";
  EXPECT_EQ(store->stats().faces, 30u);
}

TEST(BulkEnrol, CancelStopsEarlyAndKeepsWhatWasCommitted) {
  const auto dir = temp_dir("bulk_cancel");
  auto store = create_sqlite_gallery((dir / "g.db").string());
  std::vector<EnrollJob> jobs;
  for (int i = 0; i < 200; ++i) {
    const fs::path p = dir / "in" / ("f" + std::to_string(i) + ".png");
    write_text(p, "content " + std::to_string(i));
    jobs.push_back({p.string(), p.string(), "someone", 0, ""});
  }
  CountingEmbedder fake;
  std::atomic<bool> cancel{false}, armed{true};
  EnrollPlan plan = fake.plan();
  auto inner = plan.make_embedder;
  plan.make_embedder = [&, inner]() -> ImageEmbedder {
    ImageEmbedder embed = inner();
    return [&, embed](const std::string& path) {
      if (armed && fake.calls >= 50) cancel = true;  // "Ctrl-C" after about 50 files
      return embed(path);
    };
  };
  EnrollOptions options;
  options.workers = 2;
  options.cancel = &cancel;
  EnrollReport r = enroll(*store, jobs, plan, options);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(r.added_faces, 200u);
  EXPECT_EQ(store->stats().faces, r.added_faces);
  armed = false;
  cancel = false;
  r = enroll(*store, jobs, plan, options);  // resume
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(store->stats().faces, 200u);
}
