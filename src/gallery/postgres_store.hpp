// A GalleryStore kept in PostgreSQL (libpqxx), so that several servers share one gallery: the
// store of record holds identities, sources, faces with their embeddings and model versions, and a
// deletion log; every server's in-memory index catches up from it by face id and deletion sequence.
#pragma once
#include <memory>
#include <string>

#include "gallery/gallery_store.hpp"

namespace facekit {

// `url`: a libpq connection URI (postgresql://user@host:port/db). Creates the schema when absent.
// Throws facekit::Error naming the server and what failed.
std::unique_ptr<GalleryStore> open_postgres_gallery(const std::string& url);

}  // namespace facekit
