// The collection tools of one collection set: `<name>_search`, and with
// allow_write `<name>_upsert` and `<name>_delete`.
//
// `_search` takes {search_terms: string[]} (1..10 terms, 500 characters in
// all), searches every collection of the set with the set's top-k, min score,
// reranker and references, and answers with the results as text (docid,
// collection, score, text) and as structuredContent matching its declared
// outputSchema ({results: [...]}, the fields of `weir collection search --json`).
// The set shares one Searcher behind a lock (a Searcher is not thread-safe),
// opened on the first search, so indexes load once per server, not per call.
// `_upsert` takes {docid, text, ref?, tags?, meta?} and `_delete` {docid};
// with several collections in the set they take a `collection` as well.
// Every failure is an isError result saying what to change.
#pragma once

#include "core/store/database_pool.hpp"
#include "mcp/protocol/server.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

void add_collection_tools(protocol::Server& server, const CollectionToolConfig& config, DatabasePool& pool);

// The limits on search_terms.
inline constexpr size_t kMaxSearchTerms = 10;
inline constexpr size_t kMaxSearchCharacters = 500;

}  // namespace weir::mcp
