// GalleryStore on SQLite: WAL journal (readers never block the enrolling writer), synchronous=FULL
// (a committed enrolment survives a crash or power loss), one transaction per batch.
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "facekit/error.hpp"
#include "gallery/gallery_store.hpp"
#include "gallery/sqlite_db.hpp"
#include "gallery/sqlite_schema.hpp"

namespace fs = std::filesystem;

namespace facekit {
namespace {

using sqlite::Statement;

// Columns read by read_face(), in order.
constexpr const char* kFaceColumns =
    "SELECT f.id, i.name, f.model, f.model_version, s.detector, s.alignment, s.path, s.file_hash, s.file_mtime_ns, "
    "f.box_x, f.box_y, f.box_w, f.box_h, f.left_eye_x, f.left_eye_y, f.right_eye_x, f.right_eye_y, "
    "f.detector_score, f.face_index, f.created_at, f.metadata "
    "FROM faces f JOIN sources s ON s.id = f.source_id JOIN identities i ON i.id = f.identity_id ";

GalleryFace read_face(const Statement& q) {
  GalleryFace f;
  f.id = q.int64(0);
  f.identity = q.text(1);
  f.model = q.text(2);
  f.model_version = q.text(3);
  f.detector = q.text(4);
  f.alignment = q.text(5);
  f.source_path = q.text(6);
  f.file_hash = q.text(7);
  f.file_mtime_ns = q.int64(8);
  f.box = {int(q.int64(9)), int(q.int64(10)), int(q.int64(11)), int(q.int64(12)), std::nullopt, std::nullopt};
  if (!q.is_null(13)) f.box.left_eye = Point{q.real(13), q.real(14)};
  if (!q.is_null(15)) f.box.right_eye = Point{q.real(15), q.real(16)};
  f.detector_score = q.real(17);
  f.face_index = int(q.int64(18));
  f.created_at = q.text(19);
  f.metadata = q.text(20);
  return f;
}

std::vector<float> read_embedding(const Statement& q, int col, const std::string& where) {
  const auto blob = q.blob(col);
  if (blob.size() % sizeof(float) != 0)
    throw Error(ErrorCode::DecodeFailed, where + ": stored embedding has a partial float");
  std::vector<float> v(blob.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), blob.data(), blob.size());
  return v;
}

class SqliteStore final : public GalleryStore {
 public:
  explicit SqliteStore(const std::string& path)
      : db_((sqlite_gallery::check_gallery_file(path), path), SQLITE_OPEN_READWRITE) {
    db_.exec("PRAGMA foreign_keys = ON");
    db_.exec("PRAGMA synchronous = FULL");
    sqlite_gallery::check_and_migrate(db_);
    auto mode = db_.prepare("PRAGMA journal_mode");
    if (mode.step() && mode.text(0) != "wal") {
      mode.reset();
      db_.exec("PRAGMA journal_mode = WAL");
    }
    auto meta = db_.prepare("SELECT value FROM facekit_meta WHERE key = 'gallery_id'");
    if (!meta.step()) throw Error(ErrorCode::DecodeFailed, path + ": gallery has no id (damaged?)");
    gallery_id_ = meta.text(0);
  }

  std::string location() const override { return db_.path(); }
  std::string gallery_id() const override { return gallery_id_; }

  void add(const EmbeddingSpace& space, std::vector<Enrollment>& batch) override {
    if (batch.empty()) return;
    sqlite::Transaction tx(db_);
    auto replace = db_.prepare("DELETE FROM sources WHERE model = ?1 AND model_version = ?2 AND path = ?3");
    auto insert_source = db_.prepare(
        "INSERT INTO sources(identity_id, model, model_version, path, file_hash, file_mtime_ns, file_size, detector, "
        "alignment, face_count, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    auto insert_face = db_.prepare(
        "INSERT INTO faces(source_id, identity_id, model, model_version, dim, embedding, box_x, box_y, box_w, box_h, "
        "left_eye_x, left_eye_y, right_eye_x, right_eye_y, detector_score, face_index, metadata) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
    for (Enrollment& e : batch) {
      const std::int64_t identity = identity_id(e.identity);
      replace.bind(1, space.model).bind(2, space.version).bind(3, e.source.path).run();
      insert_source.bind(1, identity).bind(2, space.model).bind(3, space.version).bind(4, e.source.path);
      insert_source.bind(5, e.source.hash).bind(6, e.source.mtime_ns).bind(7, e.source.size).bind(8, e.detector);
      insert_source.bind(9, e.alignment).bind(10, std::int64_t(e.faces.size()));
      e.note.empty() ? insert_source.bind_null(11) : insert_source.bind(11, e.note);
      insert_source.run();
      const std::int64_t source_id = db_.last_insert_id();
      e.face_ids.clear();
      for (const NewFace& f : e.faces) {
        if (int(f.embedding.size()) != space.dim)
          throw Error(ErrorCode::InvalidArgument, e.source.path + ": embedding has " +
                                                      std::to_string(f.embedding.size()) + " values, model " +
                                                      space.model + " makes " + std::to_string(space.dim));
        insert_face.bind(1, source_id).bind(2, identity).bind(3, space.model).bind(4, space.version);
        insert_face.bind(5, space.dim).bind_blob(6, f.embedding.data(), f.embedding.size() * sizeof(float));
        insert_face.bind(7, f.box.x).bind(8, f.box.y).bind(9, f.box.w).bind(10, f.box.h);
        bind_point(insert_face, 11, f.box.left_eye);
        bind_point(insert_face, 13, f.box.right_eye);
        insert_face.bind(15, f.detector_score).bind(16, f.face_index);
        f.metadata.empty() ? insert_face.bind_null(17) : insert_face.bind(17, f.metadata);
        insert_face.run();
        e.face_ids.push_back(db_.last_insert_id());
      }
    }
    tx.commit();
  }

  std::size_t remove_identity(const std::string& name) override {
    sqlite::Transaction tx(db_);
    auto count =
        db_.prepare("SELECT count(*) FROM faces WHERE identity_id = (SELECT id FROM identities WHERE name = ?1)");
    count.bind(1, name);
    const std::size_t faces = count.step() ? std::size_t(count.int64(0)) : 0;
    db_.prepare("DELETE FROM identities WHERE name = ?1").bind(1, name).run();  // cascades to sources, faces
    tx.commit();
    return faces;
  }

  std::size_t remove_faces(std::span<const std::int64_t> ids) override {
    sqlite::Transaction tx(db_);
    auto del = db_.prepare("DELETE FROM faces WHERE id = ?1");
    std::size_t removed = 0;
    for (std::int64_t id : ids) {
      del.bind(1, id).run();
      removed += std::size_t(db_.changes());
    }
    // A file whose faces were all removed is forgotten, so that enrolling it again works.
    db_.exec(
        "DELETE FROM sources WHERE face_count > 0 AND NOT EXISTS (SELECT 1 FROM faces WHERE source_id = sources.id)");
    drop_empty_identities();
    tx.commit();
    return removed;
  }

  std::size_t remove_sources(std::span<const std::int64_t> source_ids) override {
    sqlite::Transaction tx(db_);
    auto count = db_.prepare("SELECT count(*) FROM faces WHERE source_id = ?1");
    auto del = db_.prepare("DELETE FROM sources WHERE id = ?1");
    std::size_t removed = 0;
    for (std::int64_t id : source_ids) {
      count.bind(1, id);
      if (count.step()) removed += std::size_t(count.int64(0));
      count.reset();
      del.bind(1, id).run();
    }
    drop_empty_identities();
    tx.commit();
    return removed;
  }

  void touch_source(std::int64_t source_id, std::int64_t mtime_ns) override {
    db_.prepare("UPDATE sources SET file_mtime_ns = ?2 WHERE id = ?1").bind(1, source_id).bind(2, mtime_ns).run();
  }

  std::vector<StoredSource> sources(const EmbeddingSpace& space) const override {
    auto q = db_.prepare(
        "SELECT s.id, i.name, s.path, s.file_hash, s.file_mtime_ns, s.file_size, s.face_count FROM sources s "
        "JOIN identities i ON i.id = s.identity_id WHERE s.model = ?1 AND s.model_version = ?2 ORDER BY s.id");
    q.bind(1, space.model).bind(2, space.version);
    std::vector<StoredSource> out;
    while (q.step())
      out.push_back({q.int64(0), q.text(1), {q.text(2), q.text(3), q.int64(4), q.int64(5)}, std::size_t(q.int64(6))});
    return out;
  }

  std::vector<IdentityInfo> identities() const override {
    auto q = db_.prepare(
        "SELECT i.name, (SELECT count(*) FROM faces f WHERE f.identity_id = i.id), i.created_at FROM identities i "
        "ORDER BY i.name");
    std::vector<IdentityInfo> out;
    while (q.step()) out.push_back({q.text(0), std::size_t(q.int64(1)), q.text(2)});
    return out;
  }

  std::vector<GalleryFace> faces(const std::string& identity) const override {
    auto q = db_.prepare(std::string(kFaceColumns) + (identity.empty() ? "" : "WHERE i.name = ?1 ") + "ORDER BY f.id");
    if (!identity.empty()) q.bind(1, identity);
    std::vector<GalleryFace> out;
    while (q.step()) out.push_back(read_face(q));
    return out;
  }

  std::vector<GalleryFace> faces_by_id(std::span<const std::int64_t> ids) const override {
    auto q = db_.prepare(std::string(kFaceColumns) + "WHERE f.id = ?1");
    std::vector<GalleryFace> out;
    for (std::int64_t id : ids) {
      q.bind(1, id);
      if (q.step()) out.push_back(read_face(q));
      q.reset();
    }
    return out;
  }

  std::vector<std::vector<float>> embeddings(std::span<const std::int64_t> ids) const override {
    auto q = db_.prepare("SELECT embedding FROM faces WHERE id = ?1");
    std::vector<std::vector<float>> out;
    for (std::int64_t id : ids) {
      q.bind(1, id);
      out.push_back(q.step() ? read_embedding(q, 0, db_.path()) : std::vector<float>());
      q.reset();
    }
    return out;
  }

  GalleryStats stats() const override;

  std::vector<std::string> check_integrity() const override {
    std::vector<std::string> problems;
    auto integrity = db_.prepare("PRAGMA integrity_check");
    while (integrity.step())
      if (integrity.text(0) != "ok") problems.push_back("integrity_check: " + integrity.text(0));
    auto foreign = db_.prepare("PRAGMA foreign_key_check");
    while (foreign.step())
      problems.push_back("foreign key: row " + std::to_string(foreign.int64(1)) + " of " + foreign.text(0) +
                         " refers to a missing " + foreign.text(2));
    return problems;
  }

  std::vector<EmbeddingSpace> spaces() const override {
    auto q = db_.prepare("SELECT model, model_version, max(dim) FROM faces GROUP BY model, model_version");
    std::vector<EmbeddingSpace> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), int(q.int64(2))});
    return out;
  }

  SyncPoint sync_point(const EmbeddingSpace& space) const override {
    sqlite::Transaction snapshot(db_, false);  // both numbers from one snapshot
    auto faces = db_.prepare("SELECT coalesce(max(id), 0) FROM faces WHERE model = ?1 AND model_version = ?2");
    faces.bind(1, space.model).bind(2, space.version);
    auto deletions = db_.prepare("SELECT coalesce(max(seq), 0) FROM face_deletions");
    SyncPoint p;
    if (faces.step()) p.max_face_id = faces.int64(0);
    if (deletions.step()) p.deletion_seq = deletions.int64(0);
    return p;
  }

  void scan_embeddings(const EmbeddingSpace& space, std::int64_t after_id, std::int64_t up_to_id,
                       const std::function<void(std::span<const std::int64_t>, const float*)>& batch) const override {
    auto q = db_.prepare(
        "SELECT id, embedding FROM faces WHERE model = ?1 AND model_version = ?2 AND id > ?3 AND id <= ?4 ORDER BY id");
    q.bind(1, space.model).bind(2, space.version).bind(3, after_id).bind(4, up_to_id);
    constexpr std::size_t kBatch = 8192;
    std::vector<std::int64_t> ids;
    std::vector<float> rows;
    auto flush = [&] {
      if (!ids.empty()) batch(ids, rows.data());
      ids.clear();
      rows.clear();
    };
    while (q.step()) {
      const auto blob = q.blob(1);
      if (blob.size() != std::size_t(space.dim) * sizeof(float))
        throw Error(ErrorCode::DecodeFailed, db_.path() + ": face " + std::to_string(q.int64(0)) + " has " +
                                                 std::to_string(blob.size() / sizeof(float)) + " values, expected " +
                                                 std::to_string(space.dim));
      ids.push_back(q.int64(0));
      rows.resize(rows.size() + std::size_t(space.dim));
      std::memcpy(rows.data() + rows.size() - std::size_t(space.dim), blob.data(), blob.size());
      if (ids.size() == kBatch) flush();
    }
    flush();
  }

  std::vector<std::int64_t> deleted_faces(const EmbeddingSpace& space, std::int64_t after_seq,
                                          std::int64_t up_to_seq) const override {
    auto q = db_.prepare(
        "SELECT face_id FROM face_deletions WHERE model = ?1 AND model_version = ?2 AND seq > ?3 AND seq <= ?4");
    q.bind(1, space.model).bind(2, space.version).bind(3, after_seq).bind(4, up_to_seq);
    std::vector<std::int64_t> out;
    while (q.step()) out.push_back(q.int64(0));
    return out;
  }

 private:
  static void bind_point(Statement& s, int col, const std::optional<Point>& p) {
    if (p) {
      s.bind(col, p->x).bind(col + 1, p->y);
    } else {
      s.bind_null(col).bind_null(col + 1);
    }
  }

  std::int64_t identity_id(const std::string& name) {
    if (name.empty()) throw Error(ErrorCode::InvalidArgument, "an identity needs a name");
    db_.prepare("INSERT INTO identities(name) VALUES (?1) ON CONFLICT(name) DO NOTHING").bind(1, name).run();
    auto q = db_.prepare("SELECT id FROM identities WHERE name = ?1");
    q.bind(1, name);
    if (!q.step()) throw Error(ErrorCode::Internal, "identity " + name + " vanished");
    return q.int64(0);
  }

  void drop_empty_identities() {
    db_.exec("DELETE FROM identities WHERE NOT EXISTS (SELECT 1 FROM sources WHERE identity_id = identities.id)");
  }

  // SQLite statements are not const operations in the C++ sense, but reads do not change the gallery.
  mutable sqlite::Database db_;
  std::string gallery_id_;
};

GalleryStats SqliteStore::stats() const {
  GalleryStats s;
  s.path = db_.path();
  s.gallery_id = gallery_id_;
  auto scalar = [&](const std::string& sql) {
    auto q = db_.prepare(sql);
    return q.step() ? q.int64(0) : 0;
  };
  sqlite::Transaction snapshot(db_, false);
  s.schema_version = int(scalar("SELECT version FROM schema_version"));
  s.identities = std::size_t(scalar("SELECT count(*) FROM identities"));
  s.faces = std::size_t(scalar("SELECT count(*) FROM faces"));
  s.files = std::size_t(scalar("SELECT count(*) FROM sources"));
  auto created = db_.prepare("SELECT value FROM facekit_meta WHERE key = 'created_at'");
  if (created.step()) s.created_at = created.text(0);
  // Per space, from the sources table (which also holds the files without a face).
  std::map<std::pair<std::string, std::string>, GalleryModelStats> models;
  auto files = db_.prepare(
      "SELECT model, model_version, count(*), sum(face_count = 0) FROM sources GROUP BY model, model_version");
  while (files.step()) {
    auto& m = models[{files.text(0), files.text(1)}];
    m.model = files.text(0);
    m.model_version = files.text(1);
    m.files = std::size_t(files.int64(2));
    m.files_without_face = std::size_t(files.int64(3));
  }
  auto faces = db_.prepare(
      "SELECT model, model_version, max(dim), count(*), count(DISTINCT identity_id) FROM faces "
      "GROUP BY model, model_version");
  while (faces.step()) {
    auto& m = models[{faces.text(0), faces.text(1)}];
    m.dim = int(faces.int64(2));
    m.faces = std::size_t(faces.int64(3));
    m.identities = std::size_t(faces.int64(4));
  }
  for (auto& [key, m] : models) s.models.push_back(m);
  std::error_code ec;
  for (const std::string& f : {s.path, s.path + "-wal"}) {
    const auto bytes = fs::file_size(f, ec);
    if (!ec) s.file_bytes += bytes;
  }
  return s;
}

}  // namespace

std::unique_ptr<GalleryStore> open_sqlite_gallery(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

std::unique_ptr<GalleryStore> create_sqlite_gallery(const std::string& path) {
  sqlite_gallery::create_gallery_file(path);
  return open_sqlite_gallery(path);
}

}  // namespace facekit
