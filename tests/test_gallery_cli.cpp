// `facekit gallery ...` and `facekit find` end to end on the face-api.js example crops (8 people x
// 5 pre-aligned 150x150 crops): enrol four crops per person, identify the held-out fifth.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gallery/index.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using facekit::test::cli_path;
using facekit::test::run_command;
using facekit::test::shared_dir;
using facekit::test::temp_dir;

namespace {

const char* kPeople[] = {"amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"};
// Pre-aligned crops: the whole image is the face, used as it is.
const std::string kCrops = " --detector none --align none";

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

fs::path examples() { return shared_dir() / "data/faces/faceapi-js/examples/images"; }

// DIR/<person>/<person>1..4.png (symlinks into ../shared): the enrolment folder, crop 5 held out.
fs::path enrolment_folder(const fs::path& dir) {
  const fs::path db = dir / "db";
  for (const char* person : kPeople) {
    fs::create_directories(db / person);
    for (int i = 1; i <= 4; ++i) {
      const std::string name = std::string(person) + std::to_string(i) + ".png";
      fs::create_symlink(examples() / person / name, db / person / name);
    }
  }
  return db;
}

fs::path held_out(const char* person) { return examples() / person / (std::string(person) + "5.png"); }

nlohmann::json run_json(const std::string& cmd) {
  const auto r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.err;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << cmd << ": output is not JSON: " << r.out;
    return {};
  }
}

}  // namespace

TEST(GalleryCli, EnrolFromFolderThenFindTheHeldOutCrop) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto dir = temp_dir("gallery_cli");
  const fs::path db = enrolment_folder(dir), gallery = dir / "people.gallery";
  const std::string cli = cli_path();

  ASSERT_EQ(run_command(cli + " gallery create " + q(gallery)).status, 0);
  auto added = run_json(cli + " gallery add " + q(gallery) + " --from-folder " + q(db) + kCrops + " --json --quiet");
  EXPECT_EQ(added["added_faces"], 32);
  EXPECT_EQ(added["failed"], 0);
  // Enrolling again adds nothing: every file is recognised by its content.
  added = run_json(cli + " gallery add " + q(gallery) + " --from-folder " + q(db) + kCrops + " --json --quiet");
  EXPECT_EQ(added["added_faces"], 0);
  EXPECT_EQ(added["skipped"], 32);

  const auto list = run_json(cli + " gallery list " + q(gallery) + " --json");
  ASSERT_EQ(list.size(), 8u);
  EXPECT_EQ(list[0]["identity"], "amy");
  EXPECT_EQ(list[0]["faces"], 4);
  const auto stats = run_json(cli + " gallery stats " + q(gallery) + " --json");
  EXPECT_EQ(stats["faces"], 32);
  ASSERT_EQ(stats["models"].size(), 1u);
  EXPECT_EQ(stats["models"][0]["model"], "faceapi-resnet");

  for (const std::string index : {"exact", "hnsw"}) {
    for (const char* person : kPeople) {
      const auto found = run_json(cli + " find " + q(held_out(person)) + " --gallery " + q(gallery) + kCrops +
                                  " --index " + index + " --k 3 --json");
      ASSERT_EQ(found["results"].size(), 1u);
      const auto& matches = found["results"][0]["matches"];
      ASSERT_EQ(matches.size(), 3u);
      EXPECT_EQ(matches[0]["identity"], person) << index << ": " << matches.dump();
      EXPECT_TRUE(matches[0]["verified"].get<bool>()) << matches[0].dump();
      EXPECT_LE(matches[0]["distance"].get<double>(), matches[1]["distance"].get<double>());
      EXPECT_GT(matches[0]["confidence"].get<double>(), 50.0);
      EXPECT_TRUE(fs::exists(matches[0]["source"].get<std::string>()));
    }
  }

  // Removing an identity: it is never found again (the index file catches up).
  const auto removed = run_json(cli + " gallery remove " + q(gallery) + " --identity raj --json");
  EXPECT_EQ(removed["removed_faces"], 4);
  const auto found = run_json(cli + " find " + q(held_out("raj")) + " --gallery " + q(gallery) + kCrops + " --json");
  for (const auto& m : found["results"][0]["matches"]) EXPECT_NE(m["identity"], "raj");
  EXPECT_EQ(run_command(cli + " gallery check " + q(gallery)).status, 0);
}

TEST(GalleryCli, FindInAFolderCachesEmbeddings) {
  FACEKIT_REQUIRE_SHARED_DIR();
  const auto dir = temp_dir("gallery_cli_db");
  const fs::path db = enrolment_folder(dir);
  const std::string find = cli_path() + " find " + q(held_out("penny")) + " --db " + q(db) + kCrops + " --json --quiet";
  auto first = run_json(find);
  EXPECT_EQ(first["refresh"]["embedded"], 32);
  EXPECT_EQ(first["results"][0]["matches"][0]["identity"], "penny");
  EXPECT_TRUE(fs::exists(db / ".facekit-gallery"));
  auto second = run_json(find);
  EXPECT_EQ(second["refresh"]["embedded"], 0);
  EXPECT_EQ(second["results"][0]["matches"][0]["identity"], "penny");
}

TEST(GalleryCli, ClearErrors) {
  const auto dir = temp_dir("gallery_cli_errors");
  const std::string cli = cli_path();
  const fs::path text = dir / "notes.txt";
  std::ofstream(text) << "not a gallery";
  auto r = run_command(cli + " gallery stats " + q(text));
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("not a facekit gallery"), std::string::npos) << r.err;
  r = run_command(cli + " gallery create " + q(text));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  r = run_command(cli + " gallery list " + q(dir / "missing.gallery"));
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("gallery create"), std::string::npos) << r.err;
  ASSERT_EQ(run_command(cli + " gallery create " + q(dir / "g")).status, 0);
  r = run_command(cli + " gallery remove " + q(dir / "g") + " --identity nobody");
  EXPECT_EQ(r.status, 2);
  r = run_command(cli + " find x.jpg --gallery " + q(dir / "g") + " --index annoy");
  EXPECT_EQ(r.status, 2);
}

// Both help pages name every index kind the binary can build (faiss ones only when built with Faiss).
TEST(GalleryCli, HelpListsEveryIndexKind) {
  const std::string cli = cli_path();
  std::vector<std::string> kinds = {"exact:", "exact:int8", "hnsw[:M="};
  if (facekit::faiss_available()) kinds.insert(kinds.end(), {"faiss:<factory string>", "ivfpq[:nlist="});
  for (const std::string page : {" find --help", " gallery --help"}) {
    const auto r = run_command(cli + page);
    EXPECT_EQ(r.status, 0) << page << "\n" << r.err;
    for (const auto& kind : kinds) EXPECT_NE(r.out.find(kind), std::string::npos) << page << " lacks " << kind << ":\n" << r.out;
  }
}
