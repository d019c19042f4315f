// Collection removal — deleting a collection and everything derived from it.
//
// delete_collection() refuses, unless `force`, when a saved gateway lists the
// collection (the rule in core/store/gateway_references.hpp, shared with
// provider removal); otherwise it deletes the collection's rows in one
// transaction and then its index files (the HNSW cache and any temporary file
// a crashed save left behind). The files go after the commit: a crash in
// between leaves only an orphaned cache file, never a collection without its
// index.
#pragma once

#include <string>

namespace weir {

class Database;
struct Collection;

void delete_collection(Database& database, const Collection& collection, const std::string& indexes_directory,
                       bool force);

// Removes the collection's index files; missing files are fine. Used after the
// rows are gone (delete) or emptied (reset).
void remove_index_files(const Collection& collection, const std::string& indexes_directory);

}  // namespace weir
