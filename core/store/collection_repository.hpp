// CollectionRepository — knowledge collections (`weir collection ...`).
//
// A collection fixes its embedder spec and dimension at creation; its
// generation counts vector changes so the HNSW cache can tell how far behind
// it is (see migrations.cpp, migration 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct Collection {
  std::string id;
  std::string name;
  std::string embedder;  // "local" or "provider/model"
  int dimension = 0;
  std::string context;   // appended to the instructions of gateways that use it
  int64_t generation = 0;
  int64_t index_floor = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct CollectionStatistics {
  int64_t documents = 0;
  int64_t queued = 0;  // without a vector yet
  int64_t text_bytes = 0;
  int64_t references = 0;  // distinct refs
};

class CollectionRepository {
 public:
  explicit CollectionRepository(Database& database) : database_(database) {}

  Collection create(const std::string& name, const std::string& embedder, int dimension, const std::string& context);
  std::optional<Collection> find(const std::string& name_or_id);
  // find(), or Error(not_found) listing the collections.
  Collection get(const std::string& name_or_id);
  std::vector<Collection> list();
  void remove(const Collection& collection);
  // Deletes every document; the collection (and its embedder) stays.
  void reset(const Collection& collection);
  void set_context(const Collection& collection, const std::string& context);
  CollectionStatistics statistics(const Collection& collection);
  // Reads the current generation and floor (they move while imports run).
  void refresh(Collection& collection);

  // Bumps and returns the collection's generation; call inside a transaction.
  int64_t next_generation(const Collection& collection);
  // Moves updated_at forward (always to a new value) for a change that does
  // not move the generation (documents' ref, tags or meta), so what depends
  // on the collection's contents (a response cache key) sees it changed.
  void touch(const Collection& collection);

 private:
  Database& database_;
};

nlohmann::json collection_to_json(const Collection& collection, const CollectionStatistics& statistics);

}  // namespace weir
