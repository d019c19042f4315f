// The collection tools of one collection set: `<name>_search`, and with
// allow_write `<name>_upsert` and `<name>_delete`.
//
// `_search` takes {search_terms: string[]} (1..10 terms, 500 characters in
// all), searches every collection of the set with the set's top-k, min score,
// reranker and references, and answers with the results as text (docid,
// collection, score, text) and as structuredContent matching its declared
// outputSchema ({results: [...]}, the fields of `weir collection search --json`).
// Searches go through the server's SharedSearcher (core/rag/shared_searcher.hpp),
// so indexes load once per server, not per call or per session; it must
// outlive the tools.
// `_upsert` takes {docid, text, ref?, tags?, meta?} and `_delete` {docid};
// with several collections in the set they take a `collection` as well.
// Every failure is an isError result saying what to change.
#pragma once

#include "core/rag/shared_searcher.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

void add_collection_tools(protocol::ToolSet& tools, const CollectionToolConfig& config, DatabasePool& pool,
                          SharedSearcher& searcher);

}  // namespace weir::mcp
