#include "gallery/sqlite_db.hpp"

#include <sqlite3.h>

#include "facekit/error.hpp"

namespace facekit::sqlite {

Database::Database(const std::string& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::FileNotFound, path + ": cannot open gallery (" + message + ")");
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process enrolling at the same time holds the write lock for one batch; wait for it.
  sqlite3_busy_timeout(db_, 10000);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(int rc, const std::string& what) const {
  const std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw Error(ErrorCode::DecodeFailed, path_ + ": the gallery file is damaged (" + detail + " while " + what +
                                               "); `facekit gallery check` reports what is wrong");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(ErrorCode::Internal, path_ + ": the gallery is locked by another process (" + what + ")");
    case SQLITE_FULL:
      throw Error(ErrorCode::Internal, path_ + ": disk full while " + what);
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      throw Error(ErrorCode::FileNotFound, path_ + ": cannot write the gallery (" + detail + ")");
    default:
      throw Error(ErrorCode::Internal, path_ + ": SQLite error while " + what + ": " + detail);
  }
}

void Database::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) fail(rc, "running " + sql.substr(0, sql.find_first_of("(\n")));
}

Statement Database::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), int(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, "preparing " + sql.substr(0, 60));
  return Statement(*this, stmt);
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) db_->fail(rc, "binding a parameter");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) db_->fail(rc, "binding a parameter");
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  if (int rc = sqlite3_bind_text(stmt_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); rc != SQLITE_OK)
    db_->fail(rc, "binding a parameter");
  return *this;
}
Statement& Statement::bind_blob(int i, const void* data, std::size_t bytes) {
  if (int rc = sqlite3_bind_blob64(stmt_, i, data, bytes, SQLITE_TRANSIENT); rc != SQLITE_OK)
    db_->fail(rc, "binding a parameter");
  return *this;
}
Statement& Statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) db_->fail(rc, "binding a parameter");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_);
  sqlite3_reset(stmt_);
  db_->fail(rc, "running " + sql.substr(0, 60));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), std::size_t(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::span<const unsigned char> Statement::blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
  return {p, std::size_t(sqlite3_column_bytes(stmt_, col))};
}
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Transaction::Transaction(Database& db, bool write) : db_(db) { db_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN"); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
    // Rollback fails only when SQLite already rolled back (e.g. after SQLITE_FULL); nothing to undo.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace facekit::sqlite
