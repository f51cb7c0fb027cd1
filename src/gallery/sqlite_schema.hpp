// The SQLite gallery's file format: how a file is recognised as a facekit gallery, how a new one
// is made, and how an older schema is migrated to the current one.
#pragma once
#include <cstdint>
#include <string>

#include "gallery/sqlite_db.hpp"

namespace facekit::sqlite_gallery {

// Stored in the SQLite header (PRAGMA application_id): "FKGL". Lets open() recognise a gallery
// from the first 100 bytes, before SQLite opens (and could write to) the file.
constexpr std::uint32_t kApplicationId = 0x464B474C;

int current_schema_version();

// Reads only the file header. Throws facekit::Error naming the file when it is missing, empty,
// not SQLite, or SQLite but not a facekit gallery.
void check_gallery_file(const std::string& path);

// Creates a gallery at `path`; never replaces an existing file (built under a temporary name,
// then hard-linked into place, which fails if the name is taken).
void create_gallery_file(const std::string& path);

// Version stored in the file; migrates it to the current version (one transaction) when older.
// Throws Unsupported for a file from a newer facekit.
int check_and_migrate(sqlite::Database& db);

}  // namespace facekit::sqlite_gallery
