// Collection search tools — what the query_function strategy offers a model.
//
// One function tool per attached collection, named `<collection>_search`
// (characters outside [A-Za-z0-9_-] become '_', at most 64 characters), with
// input {search_terms: string[]} — at most 10 terms, 500 characters in all,
// as the MCP `<name>_search` tool of DESIGN.md. weir runs the call itself
// with the gateway's top, min_score, reranker and include_references, and
// returns the documents in the block format of document_injection.hpp (or a
// sentence saying nothing matched). Bad arguments are a weir::Error(usage)
// whose message is fed back to the model so it can correct the call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/provider/chat.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"

namespace weir {

std::string search_tool_name(const std::string& collection_name);

class CollectionSearchTools {
 public:
  CollectionSearchTools(const RagSettings& settings, const std::vector<Collection>& collections);

  // OpenAI `tools` entries, one per collection, in the gateway's order.
  nlohmann::json definitions() const;
  bool handles(const std::string& tool_name) const;
  // Runs one call; the tool message content.
  std::string run(const ToolCall& call, Searcher& searcher, const CancelToken& cancel) const;

 private:
  RagSettings settings_;
  std::vector<Collection> collections_;
  std::map<std::string, size_t> by_tool_name_;  // tool name -> index in collections_
};

}  // namespace weir
