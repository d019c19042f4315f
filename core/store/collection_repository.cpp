#include "core/store/collection_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
constexpr const char* kColumns =
    "SELECT id, name, embedder, dimension, context, generation, index_floor, created_at, updated_at "
    "FROM collections ";

Collection read_collection(Statement& row) {
  Collection collection;
  collection.id = row.text(0);
  collection.name = row.text(1);
  collection.embedder = row.text(2);
  collection.dimension = static_cast<int>(row.integer(3));
  collection.context = row.text(4);
  collection.generation = row.integer(5);
  collection.index_floor = row.integer(6);
  collection.created_at = row.integer(7);
  collection.updated_at = row.integer(8);
  return collection;
}
}  // namespace

Collection CollectionRepository::create(const std::string& name, const std::string& embedder, int dimension,
                                        const std::string& context) {
  validate_name(name, "collection name");
  if (find(name))
    throw Error(ErrorKind::usage, "a collection named '" + name + "' already exists; choose another name or `weir "
                                  "collection reset " + name + "` to empty it");
  Collection collection;
  collection.id = new_uuid_v7();
  collection.name = name;
  collection.embedder = embedder;
  collection.dimension = dimension;
  collection.context = context;
  collection.created_at = collection.updated_at = now_milliseconds();
  database_
      .prepare("INSERT INTO collections(id, name, embedder, dimension, context, created_at, updated_at) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)")
      .bind(1, collection.id)
      .bind(2, name)
      .bind(3, embedder)
      .bind(4, dimension)
      .bind(5, context)
      .bind(6, collection.created_at)
      .run();
  return collection;
}

std::optional<Collection> CollectionRepository::find(const std::string& name_or_id) {
  auto query = database_.prepare(std::string(kColumns) + (is_uuid(name_or_id) ? "WHERE id = ?1" : "WHERE name = ?1"));
  query.bind(1, name_or_id);
  if (!query.step()) return std::nullopt;
  return read_collection(query);
}

Collection CollectionRepository::get(const std::string& name_or_id) {
  if (auto collection = find(name_or_id)) return *collection;
  std::string known;
  for (const auto& collection : list()) known += (known.empty() ? "" : ", ") + collection.name;
  throw Error(ErrorKind::not_found, "no collection '" + name_or_id + "'" +
                                        (known.empty() ? "; none exists yet. Create one with `weir collection create NAME`"
                                                       : "; existing: " + known));
}

std::vector<Collection> CollectionRepository::list() {
  std::vector<Collection> collections;
  auto query = database_.prepare(std::string(kColumns) + "ORDER BY name");
  while (query.step()) collections.push_back(read_collection(query));
  return collections;
}

void CollectionRepository::remove(const Collection& collection) {
  database_.transaction([&] {
    database_.prepare("DELETE FROM deleted_documents WHERE collection_id = ?1").bind(1, collection.id).run();
    database_.prepare("DELETE FROM documents WHERE collection_id = ?1").bind(1, collection.id).run();
    database_.prepare("DELETE FROM collections WHERE id = ?1").bind(1, collection.id).run();
  });
}

void CollectionRepository::reset(const Collection& collection) {
  database_.transaction([&] {
    auto generation = next_generation(collection);
    database_.prepare("DELETE FROM documents WHERE collection_id = ?1").bind(1, collection.id).run();
    database_.prepare("DELETE FROM deleted_documents WHERE collection_id = ?1").bind(1, collection.id).run();
    // Every older index is now useless: it must be rebuilt, not caught up.
    database_.prepare("UPDATE collections SET index_floor = ?2 WHERE id = ?1")
        .bind(1, collection.id)
        .bind(2, generation)
        .run();
  });
}

void CollectionRepository::set_context(const Collection& collection, const std::string& context) {
  database_.prepare("UPDATE collections SET context = ?2, updated_at = ?3 WHERE id = ?1")
      .bind(1, collection.id)
      .bind(2, context)
      .bind(3, now_milliseconds())
      .run();
}

CollectionStatistics CollectionRepository::statistics(const Collection& collection) {
  auto query = database_.prepare(
      "SELECT count(*), coalesce(sum(state = 'queued'), 0), coalesce(sum(length(CAST(text AS BLOB))), 0), "
      "count(DISTINCT ref) FROM documents WHERE collection_id = ?1");
  query.bind(1, collection.id);
  query.step();
  return {query.integer(0), query.integer(1), query.integer(2), query.integer(3)};
}

void CollectionRepository::refresh(Collection& collection) {
  auto query = database_.prepare("SELECT generation, index_floor FROM collections WHERE id = ?1");
  query.bind(1, collection.id);
  if (!query.step()) throw Error(ErrorKind::not_found, "collection '" + collection.name + "' no longer exists");
  collection.generation = query.integer(0);
  collection.index_floor = query.integer(1);
}

void CollectionRepository::touch(const Collection& collection) {
  database_.prepare("UPDATE collections SET updated_at = max(?2, updated_at + 1) WHERE id = ?1")
      .bind(1, collection.id)
      .bind(2, now_milliseconds())
      .run();
}

int64_t CollectionRepository::next_generation(const Collection& collection) {
  auto query = database_.prepare(
      "UPDATE collections SET generation = generation + 1, updated_at = ?2 WHERE id = ?1 RETURNING generation");
  query.bind(1, collection.id).bind(2, now_milliseconds());
  if (!query.step()) throw Error(ErrorKind::not_found, "collection '" + collection.name + "' no longer exists");
  auto generation = query.integer(0);
  query.step();
  return generation;
}

nlohmann::json collection_to_json(const Collection& collection, const CollectionStatistics& statistics) {
  return {{"id", collection.id},
          {"name", collection.name},
          {"embedder", collection.embedder},
          {"dimension", collection.dimension},
          {"context", collection.context},
          {"documents", statistics.documents},
          {"queued", statistics.queued},
          {"text_bytes", statistics.text_bytes},
          {"references", statistics.references},
          {"generation", collection.generation},
          {"created_at", format_timestamp(collection.created_at)},
          {"updated_at", format_timestamp(collection.updated_at)}};
}

}  // namespace weir
