#include "gallery/sqlite_schema.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "facekit/error.hpp"

namespace fs = std::filesystem;

namespace facekit::sqlite_gallery {
namespace {

// Schema history: step i turns version i into version i + 1. A step that has shipped is never
// edited; a schema change appends a step, and every older gallery is upgraded on open.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> steps = {
      // 0 -> 1: the initial schema.
      R"SQL(
CREATE TABLE facekit_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE identities(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  metadata TEXT);
-- One row per enrolled image file and embedding space, also when no face was found in it.
CREATE TABLE sources(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  path TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  file_mtime_ns INTEGER NOT NULL,
  file_size INTEGER NOT NULL,
  detector TEXT NOT NULL,
  alignment TEXT NOT NULL,
  face_count INTEGER NOT NULL,
  note TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE(model, model_version, path));
CREATE INDEX sources_by_hash ON sources(model, model_version, file_hash);
CREATE INDEX sources_by_identity ON sources(identity_id);
-- AUTOINCREMENT: ids are never reused, so index files can refer to faces by id across deletions.
CREATE TABLE faces(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  dim INTEGER NOT NULL,
  embedding BLOB NOT NULL,  -- dim float32 values, little-endian
  box_x INTEGER, box_y INTEGER, box_w INTEGER, box_h INTEGER,
  left_eye_x REAL, left_eye_y REAL, right_eye_x REAL, right_eye_y REAL,
  detector_score REAL,
  face_index INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
  CHECK (length(embedding) = 4 * dim));
CREATE INDEX faces_by_space ON faces(model, model_version, id);
CREATE INDEX faces_by_source ON faces(source_id);
CREATE INDEX faces_by_identity ON faces(identity_id);
-- Deletion log, so that an index file can catch up with removals without a full rebuild.
CREATE TABLE face_deletions(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  face_id INTEGER NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL);
CREATE INDEX face_deletions_by_space ON face_deletions(model, model_version, seq);
CREATE TRIGGER faces_log_deletion AFTER DELETE ON faces BEGIN
  INSERT INTO face_deletions(face_id, model, model_version) VALUES (old.id, old.model, old.model_version);
END;
)SQL",
  };
  return steps;
}

std::string random_id() {
  std::random_device rd;
  char buf[33];
  for (int i = 0; i < 4; ++i) std::snprintf(buf + 8 * i, 9, "%08x", unsigned(rd()));
  return buf;
}

std::uint32_t read_be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

}  // namespace

int current_schema_version() { return int(migrations().size()); }

void check_gallery_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status))
    throw Error(ErrorCode::FileNotFound,
                path + ": no such gallery (make one with `facekit gallery create " + path + "`)");
  if (!fs::is_regular_file(status)) throw Error(ErrorCode::InvalidArgument, path + ": not a gallery file");
  const auto size = fs::file_size(path, ec);
  if (!ec && size == 0)
    throw Error(ErrorCode::DecodeFailed, path + ": empty file, not a facekit gallery (left untouched)");
  unsigned char header[100] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::FileNotFound, path + ": cannot read the gallery file");
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (in.gcount() < std::streamsize(sizeof header) || std::memcmp(header, "SQLite format 3", 16) != 0)
    throw Error(ErrorCode::DecodeFailed, path + ": not a facekit gallery (not an SQLite database; left untouched)");
  const std::uint32_t app = read_be32(header + 68);
  if (app != kApplicationId) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", app);
    throw Error(ErrorCode::DecodeFailed, path + ": an SQLite database but not a facekit gallery (application_id " +
                                             hex + "); facekit leaves it untouched");
  }
}

void create_gallery_file(const std::string& path) {
  if (fs::exists(fs::symlink_status(path)))
    throw Error(ErrorCode::InvalidArgument, path + ": already exists; facekit never replaces a file");
  const fs::path folder = fs::absolute(path).parent_path();
  if (!fs::is_directory(folder))
    throw Error(ErrorCode::FileNotFound, path + ": folder " + folder.string() + " does not exist");
  const std::string tmp = path + ".creating." + std::to_string(::getpid());
  fs::remove(tmp);
  try {
    {
      sqlite::Database db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
      db.exec("PRAGMA journal_mode = WAL");  // persistent: stored in the file header
      sqlite::Transaction tx(db);
      db.exec("CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0);");
      tx.commit();
      check_and_migrate(db);
      db.exec("INSERT INTO facekit_meta(key, value) VALUES ('gallery_id', '" + random_id() +
              "'), ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    }  // closing checkpoints the WAL into the file and removes it
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      throw Error(err == EEXIST ? ErrorCode::InvalidArgument : ErrorCode::FileNotFound,
                  path + (err == EEXIST ? ": already exists; facekit never replaces a file"
                                        : ": cannot create the gallery (" + std::string(std::strerror(err)) + ")"));
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  fs::remove(tmp);
}

int check_and_migrate(sqlite::Database& db) {
  // A damaged file fails here with the "damaged" error; a foreign one has no schema_version table.
  auto has_table = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  int version = -1;
  if (has_table.step() && has_table.int64(0) == 1) {
    auto q = db.prepare("SELECT version FROM schema_version");
    if (q.step()) version = int(q.int64(0));
  }
  if (version < 0)
    throw Error(ErrorCode::DecodeFailed, db.path() + ": not a facekit gallery (no schema version); left untouched");
  const int current = current_schema_version();
  if (version > current)
    throw Error(ErrorCode::Unsupported, db.path() + ": gallery schema version " + std::to_string(version) +
                                            " is newer than this facekit understands (" + std::to_string(current) +
                                            "); upgrade facekit");
  if (version == current) return version;
  // All steps in one transaction: a migration interrupted halfway leaves the old version intact.
  sqlite::Transaction tx(db);
  for (int v = version; v < current; ++v) db.exec(migrations()[std::size_t(v)]);
  db.exec("UPDATE schema_version SET version = " + std::to_string(current));
  tx.commit();
  return current;
}

}  // namespace facekit::sqlite_gallery
