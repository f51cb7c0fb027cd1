// The SQLite gallery store: round trip, model separation, removal, refusing foreign and damaged
// files without touching them, and durability under SIGKILL.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "facekit/error.hpp"
#include "gallery/gallery_store.hpp"
#include "support/gallery_test_support.hpp"

namespace fs = std::filesystem;
using namespace facekit;
using namespace facekit::test;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs SQL on a file with plain SQLite (to make foreign databases and tamper with galleries).
void raw_sql(const fs::path& p, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

}  // namespace

TEST(GalleryStore, RoundTrip) {
  const auto dir = temp_dir("gallery_round_trip");
  const std::string path = (dir / "g.db").string();
  const auto space = test_space();
  std::mt19937 rng(1);
  std::vector<std::vector<float>> vectors;
  std::vector<std::int64_t> ids;
  {
    auto store = create_sqlite_gallery(path);
    std::vector<Enrollment> batch;
    for (int i = 0; i < 3; ++i) {
      vectors.push_back(random_vector(rng, space.dim));
      batch.push_back(one_face(i < 2 ? "alice" : "bob", "/img/" + std::to_string(i) + ".jpg", vectors.back()));
    }
    store->add(space, batch);
    for (const auto& e : batch) ids.insert(ids.end(), e.face_ids.begin(), e.face_ids.end());
  }
  auto store = open_sqlite_gallery(path);
  const auto identities = store->identities();
  ASSERT_EQ(identities.size(), 2u);
  EXPECT_EQ(identities[0].name, "alice");
  EXPECT_EQ(identities[0].faces, 2u);
  EXPECT_EQ(identities[1].faces, 1u);

  const auto faces = store->faces_by_id(ids);
  ASSERT_EQ(faces.size(), 3u);
  EXPECT_EQ(faces[2].identity, "bob");
  EXPECT_EQ(faces[2].source_path, "/img/2.jpg");
  EXPECT_EQ(faces[2].file_hash, "hash-of-/img/2.jpg");
  EXPECT_EQ(faces[2].model, "fake-model");
  EXPECT_EQ(faces[2].detector, "ssd");
  EXPECT_EQ(faces[2].alignment, "5point");
  EXPECT_EQ(faces[2].box.w, 30);
  ASSERT_TRUE(faces[2].box.left_eye.has_value());
  EXPECT_DOUBLE_EQ(faces[2].box.left_eye->x, 15);
  EXPECT_EQ(faces[2].metadata, R"({"note":"test"})");
  EXPECT_FALSE(faces[2].created_at.empty());
  EXPECT_EQ(store->embeddings(ids), vectors);  // bit-exact float32

  const GalleryStats stats = store->stats();
  EXPECT_EQ(stats.faces, 3u);
  EXPECT_EQ(stats.identities, 2u);
  EXPECT_EQ(stats.schema_version, 1);
  ASSERT_EQ(stats.models.size(), 1u);
  EXPECT_EQ(stats.models[0].dim, space.dim);
  EXPECT_TRUE(store->check_integrity().empty());
}

TEST(GalleryStore, ModelsNeverMix) {
  const auto dir = temp_dir("gallery_models");
  auto store = create_sqlite_gallery((dir / "g.db").string());
  const auto a = test_space("model-a", 8), a2 = EmbeddingSpace{"model-a", "v2", 8}, b = test_space("model-b", 4);
  std::mt19937 rng(2);
  const auto id_a = add_one(*store, a, one_face("alice", "/x.jpg", random_vector(rng, 8)));
  const auto id_a2 = add_one(*store, a2, one_face("alice", "/x.jpg", random_vector(rng, 8)));
  const auto id_b = add_one(*store, b, one_face("alice", "/x.jpg", random_vector(rng, 4)));
  std::vector<std::int64_t> seen;
  store->scan_embeddings(a, 0, store->sync_point(a).max_face_id,
                         [&](std::span<const std::int64_t> ids, const float*) { seen.assign(ids.begin(), ids.end()); });
  EXPECT_EQ(seen, id_a);  // not model-a v2, not model-b
  EXPECT_EQ(store->sources(a2).size(), 1u);
  EXPECT_EQ(store->sync_point(b).max_face_id, id_b[0]);
  // The same file enrolled for three spaces is three sources; removing one face leaves the others.
  store->remove_faces(id_a2);
  EXPECT_EQ(store->sources(a).size(), 1u);
  EXPECT_TRUE(store->sources(a2).empty());
  EXPECT_EQ(store->deleted_faces(a2, 0, store->sync_point(a2).deletion_seq), id_a2);
  EXPECT_TRUE(store->deleted_faces(a, 0, store->sync_point(a).deletion_seq).empty());
  // A wrong-sized embedding for a space is refused, not stored.
  EXPECT_THROW(add_one(*store, b, one_face("bob", "/y.jpg", random_vector(rng, 8))), Error);
  EXPECT_EQ(store->stats().faces, 2u);
}

TEST(GalleryStore, RemoveIdentityCascadesAndIsLogged) {
  const auto dir = temp_dir("gallery_remove");
  auto store = create_sqlite_gallery((dir / "g.db").string());
  const auto space = test_space();
  std::mt19937 rng(3);
  std::vector<std::int64_t> alice;
  for (int i = 0; i < 3; ++i) {
    const auto ids = add_one(*store, space, one_face("alice", "/a" + std::to_string(i), random_vector(rng, 8)));
    alice.insert(alice.end(), ids.begin(), ids.end());
  }
  add_one(*store, space, one_face("bob", "/b", random_vector(rng, 8)));
  EXPECT_EQ(store->remove_identity("alice"), 3u);
  EXPECT_EQ(store->identities().size(), 1u);
  EXPECT_TRUE(store->faces_by_id(alice).empty());
  auto deleted = store->deleted_faces(space, 0, store->sync_point(space).deletion_seq);
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, alice);  // the log the index catches up from
  // Enrolling the same file again works after removal (nothing stale blocks it).
  add_one(*store, space, one_face("alice", "/a0", random_vector(rng, 8)));
  EXPECT_EQ(store->faces("alice").size(), 1u);
  EXPECT_TRUE(store->check_integrity().empty());
}

TEST(GalleryStore, CreateNeverReplacesAFile) {
  const auto dir = temp_dir("gallery_create");
  const fs::path existing = dir / "notes.txt";
  write_bytes(existing, "my notes");
  EXPECT_THROW(create_sqlite_gallery(existing.string()), Error);
  EXPECT_EQ(file_bytes(existing), "my notes");
  const fs::path gallery = dir / "g.db";
  create_sqlite_gallery(gallery.string());
  const std::string before = file_bytes(gallery);
  EXPECT_THROW(create_sqlite_gallery(gallery.string()), Error);
  EXPECT_EQ(file_bytes(gallery), before);
}

// Every kind of file that is not a usable gallery: a clear error naming it, and not one byte changed.
TEST(GalleryStore, RefusesForeignAndDamagedFilesUntouched) {
  const auto dir = temp_dir("gallery_foreign");
  std::vector<fs::path> files;
  files.push_back(dir / "empty.db");
  write_bytes(files.back(), "");
  files.push_back(dir / "text.db");
  write_bytes(files.back(), "this is not a database, just some text that is long enough to have a header\n");
  files.push_back(dir / "random.db");
  {
    std::mt19937 rng(4);
    std::string bytes(20000, '\0');
    for (auto& c : bytes) c = char(rng());
    write_bytes(files.back(), bytes);
  }
  files.push_back(dir / "foreign.sqlite");
  raw_sql(files.back(), "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES ('x');");
  // Facekit galleries damaged after the header: garbage pages, and cut short.
  const fs::path good = dir / "good.db";
  {
    auto store = create_sqlite_gallery(good.string());
    std::mt19937 rng(5);
    for (int i = 0; i < 50; ++i)
      add_one(*store, test_space(), one_face("p", "/" + std::to_string(i), random_vector(rng, 8)));
  }
  const std::string intact = file_bytes(good);
  ASSERT_GT(intact.size(), 8192u);
  files.push_back(dir / "garbage_pages.db");
  {
    std::string bytes = intact;
    std::mt19937 rng(6);
    for (std::size_t i = 100; i < bytes.size(); ++i) bytes[i] = char(rng());
    write_bytes(files.back(), bytes);
  }
  files.push_back(dir / "truncated.db");
  write_bytes(files.back(), intact.substr(0, 3000));
  files.push_back(dir / "future.db");
  write_bytes(files.back(), intact);
  raw_sql(files.back(), "UPDATE schema_version SET version = 99");

  for (const auto& f : files) {
    const std::string before = file_bytes(f);
    try {
      open_sqlite_gallery(f.string());
      ADD_FAILURE() << f << " opened as a gallery";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(file_bytes(f), before) << f << " was modified";
    EXPECT_FALSE(fs::exists(f.string() + "-journal")) << f;
  }
}

// A child process enrols faces in a loop and reports each id once add() returned; it is killed with
// SIGKILL at a random moment. The gallery must open, pass the integrity check and hold every
// acknowledged face. Repeated, so that kills land in different phases of a commit.
TEST(GalleryStore, SurvivesSigkillDuringBulkAdd) {
  const auto dir = temp_dir("gallery_sigkill");
  const std::string path = (dir / "g.db").string();
  create_sqlite_gallery(path);
  const auto space = test_space();
  std::mt19937 rng(7);
  std::set<std::int64_t> acknowledged;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      try {
        auto store = open_sqlite_gallery(path);
        std::mt19937 child_rng(unsigned(100 + round));
        for (int i = 0;; ++i) {
          std::vector<Enrollment> batch;
          for (int j = 0; j < 1 + i % 4; ++j)
            batch.push_back(one_face("p" + std::to_string(i % 7),
                                     "/r" + std::to_string(round) + "/" + std::to_string(i) + "_" + std::to_string(j),
                                     random_vector(child_rng, space.dim)));
          store->add(space, batch);
          for (const auto& e : batch)
            if (::write(fds[1], e.face_ids.data(), e.face_ids.size() * sizeof(std::int64_t)) < 0) ::_exit(3);
        }
      } catch (...) {
        ::_exit(2);
      }
    }
    ::close(fds[1]);
    // Kill at a random moment after the child's first acknowledged add (so that it got going
    // however loaded the machine is), in the middle of a later commit or between two.
    std::int64_t id;
    std::size_t this_round = 0;
    if (::read(fds[0], &id, sizeof id) == sizeof id) {
      acknowledged.insert(id);
      ++this_round;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 100000)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with status " << WEXITSTATUS(status);
    while (::read(fds[0], &id, sizeof id) == sizeof id) {
      acknowledged.insert(id);
      ++this_round;
    }
    ::close(fds[0]);
    ASSERT_GT(this_round, 0u) << "round " << round << ": the child enrolled nothing";

    auto store = open_sqlite_gallery(path);
    EXPECT_TRUE(store->check_integrity().empty());
    const std::vector<std::int64_t> wanted(acknowledged.begin(), acknowledged.end());
    EXPECT_EQ(store->faces_by_id(wanted).size(), wanted.size()) << "round " << round << ": acknowledged faces lost";
  }
}
