// IndexFollower against a real store: whatever was committed while it
// followed (inserts, a replacement, a deletion) is exactly what the index it
// saves holds, and an abandoned follower leaves the file alone.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "core/cancellation.hpp"
#include "core/rag/document_writer.hpp"
#include "core/rag/index_follower.hpp"
#include "core/rag/index_sync.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"
#include "core/store/paths.hpp"

using namespace weir;

namespace {
struct FollowedStore {
  std::filesystem::path directory;
  Paths paths;
  std::unique_ptr<Database> database;
  Collection collection;
  LocalEmbedder embedder{64};

  FollowedStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-follower-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    paths.home = directory.string();
    paths.database = (directory / "weir.db").string();
    paths.indexes = (directory / "indexes").string();
    database = std::make_unique<Database>(paths.database);
    collection = CollectionRepository(*database).create("kb", "local", 64, "");
  }
  ~FollowedStore() { std::filesystem::remove_all(directory); }

  // With a follower, waits every 200 documents until it has caught up with
  // what is committed, so it sees several generations go by rather than
  // only the last.
  void write(int first, int count, const std::string& text_prefix, IndexFollower* follower = nullptr) {
    DocumentWriter writer(*database, collection, embedder, CancelToken(), false, 64);
    for (int index = first; index < first + count; ++index) {
      Document document;
      document.docid = "doc-" + std::to_string(index);
      document.text = text_prefix + " number " + std::to_string(index) + " about topic " + std::to_string(index % 17);
      writer.upsert(std::move(document));
      if (follower && index % 200 == 0) {
        Collection committed = collection;
        CollectionRepository(*database).refresh(committed);
        REQUIRE(follower->wait_until_followed(committed.generation, std::chrono::seconds(60)));
      }
    }
    writer.flush();
  }

  int64_t id_of(const std::string& docid) { return DocumentRepository(*database).get(collection, docid).id; }
};
}  // namespace

TEST_CASE("index follower: the saved index holds exactly what was committed while it followed") {
  FollowedStore store;
  store.write(0, 100, "Seed");
  REQUIRE(open_current_index(*store.database, store.collection, store.paths.indexes).index->live_count() == 100);

  int64_t replaced_id = 0;
  {
    IndexFollower follower(*store.database, store.paths.indexes, store.collection);
    store.write(100, 1500, "Document", &follower);
    store.write(7, 1, "Rewritten");  // a new vector for an old docid: a new node, the old one a tombstone
    replaced_id = store.id_of("doc-7");
    DocumentWriter remover(*store.database, store.collection, store.embedder, CancelToken());
    REQUIRE(remover.remove("doc-3"));
    auto removed_id = store.id_of("doc-4");
    REQUIRE(remover.remove("doc-4"));

    auto opened = follower.finish(*store.database);
    CHECK(opened.index->live_count() == 1598);
    CHECK(opened.index->contains(replaced_id));
    CHECK_FALSE(opened.index->contains(removed_id));
    CollectionRepository(*store.database).refresh(store.collection);
    CHECK(opened.index->generation() == store.collection.generation);
  }
  auto reopened = open_current_index(*store.database, store.collection, store.paths.indexes);
  CHECK(reopened.how == IndexOpening::current);
  CHECK(reopened.index->live_count() == 1598);
  auto check = check_index(*store.database, store.collection, store.paths.indexes);
  CHECK(check.consistent());
}

TEST_CASE("index follower: abandoned, it saves nothing and the next open catches up") {
  FollowedStore store;
  store.write(0, 50, "Seed");
  open_current_index(*store.database, store.collection, store.paths.indexes);
  auto before = std::filesystem::last_write_time(index_path(store.paths.indexes, store.collection));
  {
    IndexFollower follower(*store.database, store.paths.indexes, store.collection);
    store.write(50, 300, "Later", &follower);
  }  // the import failed here: no finish()
  CHECK(std::filesystem::last_write_time(index_path(store.paths.indexes, store.collection)) == before);
  auto reopened = open_current_index(*store.database, store.collection, store.paths.indexes);
  CHECK(reopened.how == IndexOpening::caught_up);
  CHECK(reopened.index->live_count() == 350);
}

TEST_CASE("index follower: a missing index file is rebuilt alongside the import and recorded at finish") {
  FollowedStore store;
  store.write(0, 3000, "Seed");
  std::filesystem::remove(index_path(store.paths.indexes, store.collection));
  {
    IndexFollower follower(*store.database, store.paths.indexes, store.collection);
    store.write(3000, 400, "More", &follower);
    auto opened = follower.finish(*store.database);
    CHECK(opened.how == IndexOpening::rebuilt);
    CHECK(opened.index->live_count() == 3400);
  }
  // The rebuild was recorded: the floor is the saved generation.
  CollectionRepository(*store.database).refresh(store.collection);
  CHECK(store.collection.index_floor == store.collection.generation);
  auto reopened = open_current_index(*store.database, store.collection, store.paths.indexes);
  CHECK(reopened.how == IndexOpening::current);
  CHECK(reopened.index->live_count() == 3400);
}
