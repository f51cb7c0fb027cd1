#include "gallery/gallery_index.hpp"

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "facekit/error.hpp"

namespace facekit {
namespace {

std::string file_safe(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

void normalise_rows(float* rows, std::size_t n, int dim) {
  for (std::size_t i = 0; i < n; ++i) {
    float* r = rows + i * std::size_t(dim);
    double sq = 0;
    for (int j = 0; j < dim; ++j) sq += double(r[j]) * r[j];
    if (sq == 0) continue;  // a zero vector has no direction; leave it (it matches nothing well)
    const float inv = float(1.0 / std::sqrt(sq));
    for (int j = 0; j < dim; ++j) r[j] *= inv;
  }
}

}  // namespace

std::string gallery_index_path(const std::string& gallery, const EmbeddingSpace& space, const std::string& spec,
                               bool unit_vectors) {
  const std::string kind = spec.substr(0, spec.find(':'));
  return gallery + ".index." + file_safe(space.model) + "." + file_safe(kind) + (unit_vectors ? ".unit" : "");
}

GalleryIndex::GalleryIndex(const GalleryStore& store, EmbeddingSpace space, std::string spec, bool unit_vectors)
    : store_(store), space_(std::move(space)), unit_(unit_vectors) {
  // The canonical spelling (all parameters) decides whether a stored file was built the same way.
  spec_ = create_index(spec, space_.dim, IndexMetric::L2)->spec();
  path_ = gallery_index_path(store.location(), space_, spec_, unit_);
}

std::string GalleryIndex::metadata() const {
  return nlohmann::json{{"gallery_id", store_.gallery_id()},
                        {"model", space_.model},
                        {"model_version", space_.version},
                        {"dim", space_.dim},
                        {"unit_vectors", unit_},
                        {"spec", spec_},
                        {"max_face_id", synced_.max_face_id},
                        {"deletion_seq", synced_.deletion_seq}}
      .dump();
}

void GalleryIndex::sync() {
  rebuilt_ = false;
  const SyncPoint now = store_.sync_point(space_);
  if (!loaded_) {
    loaded_ = true;
    try {
      std::string text;
      auto index = read_index(path_, &text);
      const auto meta = nlohmann::json::parse(text);
      // Anything else (another gallery, model version or parameters) is a stale file: rebuild.
      if (meta.at("gallery_id") == store_.gallery_id() && meta.at("model") == space_.model &&
          meta.at("model_version") == space_.version && meta.at("dim") == space_.dim &&
          meta.at("unit_vectors") == unit_ && meta.at("spec") == spec_) {
        index_ = std::move(index);
        synced_ = {meta.at("max_face_id").get<std::int64_t>(), meta.at("deletion_seq").get<std::int64_t>()};
      }
    } catch (const Error&) {
      // Missing or damaged: the store has everything needed to rebuild.
    } catch (const nlohmann::json::exception&) {
    }
  }
  // A deletion log shorter than the file's: the gallery was restored from an older copy.
  if (!index_ || now.deletion_seq < synced_.deletion_seq) {
    rebuild();
    return;
  }
  if (now.max_face_id == synced_.max_face_id && now.deletion_seq == synced_.deletion_seq) return;
  catch_up(now);
}

void GalleryIndex::rebuild() {
  const SyncPoint now = store_.sync_point(space_);
  index_ = create_index(spec_, space_.dim, IndexMetric::L2);
  // Faces deleted before now are absent from the scan; those deleted during it appear in the log
  // after now.deletion_seq and are removed by the next catch-up.
  synced_ = {0, now.deletion_seq};
  rebuilt_ = true;
  catch_up(now);
}

void GalleryIndex::catch_up(const SyncPoint& to) {
  // One add() for everything new: indexes that train on their first add (Faiss IVF, PQ) see the
  // whole gallery, not a slice of it.
  std::vector<std::int64_t> ids;
  std::vector<float> rows;
  store_.scan_embeddings(space_, synced_.max_face_id, to.max_face_id,
                         [&](std::span<const std::int64_t> batch_ids, const float* batch_rows) {
                           ids.insert(ids.end(), batch_ids.begin(), batch_ids.end());
                           rows.insert(rows.end(), batch_rows, batch_rows + batch_ids.size() * std::size_t(space_.dim));
                         });
  if (unit_) normalise_rows(rows.data(), ids.size(), space_.dim);
  index_->add(ids, rows.data());
  index_->remove(store_.deleted_faces(space_, synced_.deletion_seq, to.deletion_seq));
  synced_ = {std::max(synced_.max_face_id, to.max_face_id), to.deletion_seq};
  // Removed-but-held vectors slow every search; past a quarter of the index, start afresh.
  if (index_->tombstones() > std::max<std::size_t>(64, index_->size() / 4)) return rebuild();
  try {
    write_index(*index_, path_, metadata());
  } catch (const std::exception&) {
    // Best effort (read-only directory, disk full): the index is a cache; the next run catches up.
  }
}

SearchResults GalleryIndex::search(const float* queries, std::size_t nq, std::size_t k) const {
  if (!unit_) return index_->search(queries, nq, k);
  std::vector<float> unit(queries, queries + nq * std::size_t(space_.dim));
  normalise_rows(unit.data(), nq, space_.dim);
  return index_->search(unit.data(), nq, k);
}

}  // namespace facekit
