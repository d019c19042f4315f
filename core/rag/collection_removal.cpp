#include "core/rag/collection_removal.hpp"

#include <filesystem>

#include "core/rag/index_sync.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/gateway_references.hpp"

namespace weir {

void delete_collection(Database& database, const Collection& collection, const std::string& indexes_directory,
                       bool force) {
  ensure_unused("collection", collection.name, gateways_using_collection(database, collection), force);
  CollectionRepository(database).remove(collection);
  remove_index_files(collection, indexes_directory);
}

void remove_index_files(const Collection& collection, const std::string& indexes_directory) {
  std::error_code ignored;
  auto path = index_path(indexes_directory, collection);
  std::filesystem::remove(path, ignored);
  // VectorIndex::save writes PATH.tmp-PID and renames it; a crash leaves it.
  auto prefix = std::filesystem::path(path).filename().string() + ".tmp-";
  for (std::filesystem::directory_iterator entry(indexes_directory, ignored), end; !ignored && entry != end;
       entry.increment(ignored))
    if (entry->path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(entry->path(), ignored);
}

}  // namespace weir
