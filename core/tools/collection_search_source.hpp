// Collection search — the tools the query_function strategy offers a model.
//
// One function tool per attached collection, named `<collection>_search`
// (characters outside [A-Za-z0-9_-] become '_', at most 64 characters), with
// input {search_terms: string[]} under the search-term rules of
// core/rag/search_terms.hpp (as the MCP `<name>_search` tool). weir runs the
// call itself with the gateway's top, min_score, reranker and
// include_references, and returns the documents in the block format of
// document_injection.hpp (or a sentence saying nothing matched). Bad
// arguments are a weir::Error(usage) whose message is fed back to the model so
// it can correct the call. Two collections whose tool names collide are
// Error(usage) at construction.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/gateway/gateway_config.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

std::string search_tool_name(const std::string& collection_name);

class CollectionSearchSource final : public ToolSource {
 public:
  // `searcher` must outlive the source.
  CollectionSearchSource(const RagSettings& settings, const std::vector<Collection>& collections, Searcher& searcher);

  std::string owner() const override { return "the gateway's collection search"; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

 private:
  RagSettings settings_;
  std::vector<Collection> collections_;
  Searcher& searcher_;
  std::map<std::string, size_t> by_tool_name_;  // tool name -> index in collections_
};

}  // namespace weir
