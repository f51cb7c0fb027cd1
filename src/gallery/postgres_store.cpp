// GalleryStore on PostgreSQL (libpqxx): the same tables as the SQLite store, so that several
// `facekit serve` processes share one gallery. Index sync relies on face ids and deletion sequence
// numbers growing in commit order; PostgreSQL sequences do not promise that across concurrent
// transactions, so every write takes one transaction-scoped advisory lock first (writes are
// serialised; reads never wait). A server's index polls sync_point() before each search.
#include "gallery/postgres_store.hpp"

#include <pqxx/pqxx>

#include <cstring>
#include <map>
#include <random>
#include <type_traits>

#include "facekit/error.hpp"

namespace facekit {
namespace {

constexpr long long kWriteLock = 0x66616365'6b697401;  // "facekit" + 1: the gallery's writer lock
constexpr int kSchemaVersion = 1;

const char* kSchema = R"SQL(
CREATE TABLE facekit_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE identities(
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  metadata TEXT);
CREATE TABLE sources(
  id BIGSERIAL PRIMARY KEY,
  identity_id BIGINT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  path TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  file_mtime_ns BIGINT NOT NULL,
  file_size BIGINT NOT NULL,
  detector TEXT NOT NULL,
  alignment TEXT NOT NULL,
  face_count INTEGER NOT NULL,
  note TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE(model, model_version, path));
CREATE INDEX sources_by_hash ON sources(model, model_version, file_hash);
CREATE INDEX sources_by_identity ON sources(identity_id);
CREATE TABLE faces(
  id BIGSERIAL PRIMARY KEY,
  source_id BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  identity_id BIGINT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  dim INTEGER NOT NULL,
  embedding BYTEA NOT NULL,  -- dim float32 values, little-endian
  box_x INTEGER, box_y INTEGER, box_w INTEGER, box_h INTEGER,
  left_eye_x DOUBLE PRECISION, left_eye_y DOUBLE PRECISION, right_eye_x DOUBLE PRECISION, right_eye_y DOUBLE PRECISION,
  detector_score DOUBLE PRECISION,
  face_index INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  metadata TEXT,
  CHECK (length(embedding) = 4 * dim));
CREATE INDEX faces_by_space ON faces(model, model_version, id);
CREATE INDEX faces_by_source ON faces(source_id);
CREATE INDEX faces_by_identity ON faces(identity_id);
CREATE TABLE face_deletions(
  seq BIGSERIAL PRIMARY KEY,
  face_id BIGINT NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL);
CREATE INDEX face_deletions_by_space ON face_deletions(model, model_version, seq);
CREATE FUNCTION facekit_log_face_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO face_deletions(face_id, model, model_version) VALUES (OLD.id, OLD.model, OLD.model_version);
  RETURN OLD;
END $$;
CREATE TRIGGER faces_log_deletion AFTER DELETE ON faces FOR EACH ROW EXECUTE FUNCTION facekit_log_face_deletion();
)SQL";

// ISO 8601 UTC with milliseconds, as the SQLite store writes it.
std::string iso(const char* column) {
  return std::string("to_char(") + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

const std::string kFaceColumns =
    "SELECT f.id, i.name, f.model, f.model_version, s.detector, s.alignment, s.path, s.file_hash, s.file_mtime_ns, "
    "f.box_x, f.box_y, f.box_w, f.box_h, f.left_eye_x, f.left_eye_y, f.right_eye_x, f.right_eye_y, "
    "f.detector_score, f.face_index, " + iso("f.created_at") + ", coalesce(f.metadata, '') "
    "FROM faces f JOIN sources s ON s.id = f.source_id JOIN identities i ON i.id = f.identity_id ";

GalleryFace read_face(const pqxx::row& r) {
  GalleryFace f;
  f.id = r[0].as<std::int64_t>();
  f.identity = r[1].as<std::string>();
  f.model = r[2].as<std::string>();
  f.model_version = r[3].as<std::string>();
  f.detector = r[4].as<std::string>();
  f.alignment = r[5].as<std::string>();
  f.source_path = r[6].as<std::string>();
  f.file_hash = r[7].as<std::string>();
  f.file_mtime_ns = r[8].as<std::int64_t>();
  f.box = {r[9].as<int>(0), r[10].as<int>(0), r[11].as<int>(0), r[12].as<int>(0), std::nullopt, std::nullopt};
  if (!r[13].is_null()) f.box.left_eye = Point{r[13].as<double>(), r[14].as<double>()};
  if (!r[15].is_null()) f.box.right_eye = Point{r[15].as<double>(), r[16].as<double>()};
  f.detector_score = r[17].as<double>(0.0);
  f.face_index = r[18].as<int>();
  f.created_at = r[19].as<std::string>();
  f.metadata = r[20].as<std::string>();
  return f;
}

std::vector<float> floats_of(const pqxx::field& field) {
  const pqxx::binarystring blob(field);
  std::vector<float> v(blob.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), blob.data(), v.size() * sizeof(float));
  return v;
}

std::string optional_number(const std::optional<Point>& p, bool x) {
  return p ? std::to_string(x ? p->x : p->y) : std::string();
}

std::string random_id() {
  std::random_device rd;
  char buf[33];
  for (int i = 0; i < 4; ++i) std::snprintf(buf + 8 * i, 9, "%08x", unsigned(rd()));
  return buf;
}

// The URL without its password, for messages.
std::string redacted(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

class PostgresStore final : public GalleryStore {
 public:
  explicit PostgresStore(const std::string& url) : location_(redacted(url)) {
    try {
      conn_ = std::make_unique<pqxx::connection>(url);
      pqxx::work tx(*conn_);
      // Two servers starting at once: one creates the schema, the other waits and then sees it.
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kWriteLock);
      const bool exists = tx.exec1("SELECT to_regclass('facekit_meta') IS NOT NULL")[0].as<bool>();
      if (!exists) {
        tx.exec(kSchema);
        tx.exec_params("INSERT INTO facekit_meta(key, value) VALUES ('gallery_id', $1), ('schema_version', $2), "
                       "('created_at', " + iso("now()") + ")",
                       random_id(), std::to_string(kSchemaVersion));
      }
      const auto version = tx.exec1("SELECT value FROM facekit_meta WHERE key = 'schema_version'")[0].as<int>();
      if (version > kSchemaVersion)
        throw Error(ErrorCode::Unsupported, location_ + ": gallery schema version " + std::to_string(version) +
                                                " is newer than this facekit understands; upgrade facekit");
      gallery_id_ = tx.exec1("SELECT value FROM facekit_meta WHERE key = 'gallery_id'")[0].as<std::string>();
      tx.commit();
    } catch (const pqxx::failure& e) {
      throw Error(ErrorCode::FileNotFound, location_ + ": cannot open the PostgreSQL gallery (" + trimmed(e.what()) + ")");
    } catch (const pqxx::usage_error& e) {
      throw Error(ErrorCode::InvalidArgument, location_ + ": " + trimmed(e.what()));
    }
  }

  std::string location() const override { return location_; }
  std::string gallery_id() const override { return gallery_id_; }

  void add(const EmbeddingSpace& space, std::vector<Enrollment>& batch) override {
    if (batch.empty()) return;
    write([&](pqxx::work& tx) {
      for (Enrollment& e : batch) {
        const std::int64_t identity = identity_id(tx, e.identity);
        tx.exec_params("DELETE FROM sources WHERE model = $1 AND model_version = $2 AND path = $3", space.model,
                       space.version, e.source.path);
        const std::int64_t source_id =
            tx.exec_params1("INSERT INTO sources(identity_id, model, model_version, path, file_hash, file_mtime_ns, "
                            "file_size, detector, alignment, face_count, note) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, '')) RETURNING id",
                            identity, space.model, space.version, e.source.path, e.source.hash, e.source.mtime_ns,
                            e.source.size, e.detector, e.alignment, int(e.faces.size()), e.note)[0]
                .as<std::int64_t>();
        e.face_ids.clear();
        for (const NewFace& f : e.faces) {
          if (int(f.embedding.size()) != space.dim)
            throw Error(ErrorCode::InvalidArgument, e.source.path + ": embedding has " +
                                                        std::to_string(f.embedding.size()) + " values, model " +
                                                        space.model + " makes " + std::to_string(space.dim));
          const pqxx::binarystring blob(f.embedding.data(), f.embedding.size() * sizeof(float));
          e.face_ids.push_back(
              tx.exec_params1(
                    "INSERT INTO faces(source_id, identity_id, model, model_version, dim, embedding, box_x, box_y, "
                    "box_w, box_h, left_eye_x, left_eye_y, right_eye_x, right_eye_y, detector_score, face_index, "
                    "metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, '')::float8, "
                    "NULLIF($12, '')::float8, NULLIF($13, '')::float8, NULLIF($14, '')::float8, $15, $16, "
                    "NULLIF($17, '')) RETURNING id",
                    source_id, identity, space.model, space.version, space.dim, blob, f.box.x, f.box.y, f.box.w,
                    f.box.h, optional_number(f.box.left_eye, true), optional_number(f.box.left_eye, false),
                    optional_number(f.box.right_eye, true), optional_number(f.box.right_eye, false),
                    f.detector_score, f.face_index, f.metadata)[0]
                  .as<std::int64_t>());
        }
      }
    });
  }

  std::size_t remove_identity(const std::string& name) override {
    std::size_t faces = 0;
    write([&](pqxx::work& tx) {
      faces = tx.exec_params1("SELECT count(*) FROM faces f JOIN identities i ON i.id = f.identity_id WHERE i.name = $1",
                              name)[0]
                  .as<std::size_t>();
      tx.exec_params("DELETE FROM identities WHERE name = $1", name);  // cascades to sources and faces
    });
    return faces;
  }

  std::size_t remove_faces(std::span<const std::int64_t> ids) override {
    std::size_t removed = 0;
    write([&](pqxx::work& tx) {
      for (std::int64_t id : ids) removed += tx.exec_params("DELETE FROM faces WHERE id = $1", id).affected_rows();
      // A file whose faces were all removed is forgotten, so that enrolling it again works.
      tx.exec("DELETE FROM sources s WHERE face_count > 0 AND NOT EXISTS (SELECT 1 FROM faces WHERE source_id = s.id)");
      drop_empty_identities(tx);
    });
    return removed;
  }

  std::size_t remove_sources(std::span<const std::int64_t> source_ids) override {
    std::size_t removed = 0;
    write([&](pqxx::work& tx) {
      for (std::int64_t id : source_ids) {
        removed += tx.exec_params1("SELECT count(*) FROM faces WHERE source_id = $1", id)[0].as<std::size_t>();
        tx.exec_params("DELETE FROM sources WHERE id = $1", id);
      }
      drop_empty_identities(tx);
    });
    return removed;
  }

  void touch_source(std::int64_t source_id, std::int64_t mtime_ns) override {
    write([&](pqxx::work& tx) {
      tx.exec_params("UPDATE sources SET file_mtime_ns = $2 WHERE id = $1", source_id, mtime_ns);
    });
  }

  std::vector<StoredSource> sources(const EmbeddingSpace& space) const override {
    return read([&](pqxx::work& tx) {
      std::vector<StoredSource> out;
      for (const auto& r : tx.exec_params(
               "SELECT s.id, i.name, s.path, s.file_hash, s.file_mtime_ns, s.file_size, s.face_count FROM sources s "
               "JOIN identities i ON i.id = s.identity_id WHERE s.model = $1 AND s.model_version = $2 ORDER BY s.id",
               space.model, space.version))
        out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(),
                       {r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::int64_t>(), r[5].as<std::int64_t>()},
                       r[6].as<std::size_t>()});
      return out;
    });
  }

  std::vector<IdentityInfo> identities() const override {
    return read([&](pqxx::work& tx) {
      std::vector<IdentityInfo> out;
      for (const auto& r : tx.exec("SELECT i.name, (SELECT count(*) FROM faces f WHERE f.identity_id = i.id), " +
                                   iso("i.created_at") + " FROM identities i ORDER BY i.name"))
        out.push_back({r[0].as<std::string>(), r[1].as<std::size_t>(), r[2].as<std::string>()});
      return out;
    });
  }

  std::vector<GalleryFace> faces(const std::string& identity) const override {
    return read([&](pqxx::work& tx) {
      std::vector<GalleryFace> out;
      const pqxx::result rows = identity.empty() ? tx.exec(kFaceColumns + "ORDER BY f.id")
                                                 : tx.exec_params(kFaceColumns + "WHERE i.name = $1 ORDER BY f.id", identity);
      for (const auto& r : rows) out.push_back(read_face(r));
      return out;
    });
  }

  std::vector<GalleryFace> faces_by_id(std::span<const std::int64_t> ids) const override {
    return read([&](pqxx::work& tx) {
      std::vector<GalleryFace> out;
      for (std::int64_t id : ids)
        for (const auto& r : tx.exec_params(kFaceColumns + "WHERE f.id = $1", id)) out.push_back(read_face(r));
      return out;
    });
  }

  std::vector<std::vector<float>> embeddings(std::span<const std::int64_t> ids) const override {
    return read([&](pqxx::work& tx) {
      std::vector<std::vector<float>> out;
      for (std::int64_t id : ids) {
        const auto rows = tx.exec_params("SELECT embedding FROM faces WHERE id = $1", id);
        out.push_back(rows.empty() ? std::vector<float>() : floats_of(rows[0][0]));
      }
      return out;
    });
  }

  GalleryStats stats() const override {
    return read([&](pqxx::work& tx) {
      GalleryStats s;
      s.path = location_;
      s.gallery_id = gallery_id_;
      s.schema_version = tx.exec1("SELECT value FROM facekit_meta WHERE key = 'schema_version'")[0].as<int>();
      s.created_at = tx.exec1("SELECT value FROM facekit_meta WHERE key = 'created_at'")[0].as<std::string>();
      s.identities = tx.exec1("SELECT count(*) FROM identities")[0].as<std::size_t>();
      s.faces = tx.exec1("SELECT count(*) FROM faces")[0].as<std::size_t>();
      s.files = tx.exec1("SELECT count(*) FROM sources")[0].as<std::size_t>();
      s.file_bytes = tx.exec1("SELECT pg_total_relation_size('faces') + pg_total_relation_size('sources')")[0]
                         .as<std::uint64_t>();
      std::map<std::pair<std::string, std::string>, GalleryModelStats> models;
      for (const auto& r : tx.exec("SELECT model, model_version, count(*), count(*) FILTER (WHERE face_count = 0) "
                                   "FROM sources GROUP BY model, model_version")) {
        auto& m = models[{r[0].as<std::string>(), r[1].as<std::string>()}];
        m.model = r[0].as<std::string>();
        m.model_version = r[1].as<std::string>();
        m.files = r[2].as<std::size_t>();
        m.files_without_face = r[3].as<std::size_t>();
      }
      for (const auto& r : tx.exec("SELECT model, model_version, max(dim), count(*), count(DISTINCT identity_id) "
                                   "FROM faces GROUP BY model, model_version")) {
        auto& m = models[{r[0].as<std::string>(), r[1].as<std::string>()}];
        m.dim = r[2].as<int>();
        m.faces = r[3].as<std::size_t>();
        m.identities = r[4].as<std::size_t>();
      }
      for (auto& [key, m] : models) s.models.push_back(m);
      return s;
    });
  }

  std::vector<std::string> check_integrity() const override {
    return read([&](pqxx::work& tx) {
      std::vector<std::string> problems;
      for (const auto& r : tx.exec("SELECT id FROM faces WHERE length(embedding) <> 4 * dim"))
        problems.push_back("face " + r[0].as<std::string>() + ": embedding length does not match its dim");
      return problems;
    });
  }

  std::vector<EmbeddingSpace> spaces() const override {
    return read([&](pqxx::work& tx) {
      std::vector<EmbeddingSpace> out;
      for (const auto& r : tx.exec("SELECT model, model_version, max(dim) FROM faces GROUP BY model, model_version"))
        out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int>()});
      return out;
    });
  }

  SyncPoint sync_point(const EmbeddingSpace& space) const override {
    return read([&](pqxx::work& tx) {
      // One statement, one snapshot: both numbers describe the same committed state.
      const auto r = tx.exec_params1(
          "SELECT (SELECT coalesce(max(id), 0) FROM faces WHERE model = $1 AND model_version = $2), "
          "(SELECT coalesce(max(seq), 0) FROM face_deletions)",
          space.model, space.version);
      return SyncPoint{r[0].as<std::int64_t>(), r[1].as<std::int64_t>()};
    });
  }

  void scan_embeddings(const EmbeddingSpace& space, std::int64_t after_id, std::int64_t up_to_id,
                       const std::function<void(std::span<const std::int64_t>, const float*)>& batch) const override {
    constexpr long long kBatch = 8192;
    for (std::int64_t from = after_id; from < up_to_id;) {
      std::vector<std::int64_t> ids;
      std::vector<float> rows;
      read([&](pqxx::work& tx) {
        for (const auto& r : tx.exec_params("SELECT id, embedding FROM faces WHERE model = $1 AND model_version = $2 "
                                            "AND id > $3 AND id <= $4 ORDER BY id LIMIT $5",
                                            space.model, space.version, from, up_to_id, kBatch)) {
          const std::vector<float> v = floats_of(r[1]);
          if (int(v.size()) != space.dim)
            throw Error(ErrorCode::DecodeFailed, location_ + ": face " + r[0].as<std::string>() + " has " +
                                                     std::to_string(v.size()) + " values, expected " +
                                                     std::to_string(space.dim));
          ids.push_back(r[0].as<std::int64_t>());
          rows.insert(rows.end(), v.begin(), v.end());
        }
        return 0;
      });
      if (ids.empty()) break;
      batch(ids, rows.data());
      from = ids.back();
    }
  }

  std::vector<std::int64_t> deleted_faces(const EmbeddingSpace& space, std::int64_t after_seq,
                                          std::int64_t up_to_seq) const override {
    return read([&](pqxx::work& tx) {
      std::vector<std::int64_t> out;
      for (const auto& r : tx.exec_params("SELECT face_id FROM face_deletions WHERE model = $1 AND model_version = $2 "
                                          "AND seq > $3 AND seq <= $4",
                                          space.model, space.version, after_seq, up_to_seq))
        out.push_back(r[0].as<std::int64_t>());
      return out;
    });
  }

 private:
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // Runs `body` in a transaction that holds the gallery's writer lock, committed before returning:
  // a write that returns is durable (synchronous_commit is PostgreSQL's default, on).
  template <typename Body>
  void write(Body body) {
    guarded([&] {
      pqxx::work tx(*conn_);
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kWriteLock);
      body(tx);
      tx.commit();
      return 0;
    });
  }

  template <typename Body>
  std::invoke_result_t<Body, pqxx::work&> read(Body body) const {
    return guarded([&] {
      pqxx::work tx(*conn_);
      return body(tx);
    });
  }

  // Database errors become facekit::Error naming the gallery; a dropped connection is reopened once.
  template <typename Fn>
  std::invoke_result_t<Fn> guarded(Fn fn) const {
    try {
      return fn();
    } catch (const pqxx::broken_connection& e) {
      throw Error(ErrorCode::Internal, location_ + ": connection to PostgreSQL lost (" + trimmed(e.what()) + ")");
    } catch (const pqxx::sql_error& e) {
      throw Error(ErrorCode::Internal, location_ + ": PostgreSQL error: " + trimmed(e.what()));
    }
  }

  std::int64_t identity_id(pqxx::work& tx, const std::string& name) {
    if (name.empty()) throw Error(ErrorCode::InvalidArgument, "an identity needs a name");
    tx.exec_params("INSERT INTO identities(name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name);
    return tx.exec_params1("SELECT id FROM identities WHERE name = $1", name)[0].as<std::int64_t>();
  }

  static void drop_empty_identities(pqxx::work& tx) {
    tx.exec("DELETE FROM identities i WHERE NOT EXISTS (SELECT 1 FROM sources WHERE identity_id = i.id)");
  }

  std::string location_;
  std::string gallery_id_;
  std::unique_ptr<pqxx::connection> conn_;  // one connection: callers serialise (the server's gallery lock)
};

}  // namespace

std::unique_ptr<GalleryStore> open_postgres_gallery(const std::string& url) { return std::make_unique<PostgresStore>(url); }

}  // namespace facekit
