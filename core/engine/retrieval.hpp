// Retrieval — step 4 of the engine pipeline for a gateway with collections.
//
// retrieve() loads the gateway's collections (Error(not_found) naming a
// missing one), picks the query by strategy (retrieval_strategy.hpp), sends
// the rewrite when the strategy asks for one and `rewrite_cancel` is given,
// and searches. A failed rewrite (any weir::Error but interrupted: the
// rewrite model unknown, unreachable, or answering nothing) falls back to the
// plain query and says why in `rewrite_error`. query_function does not
// search here (the engine offers the collections' search tools instead),
// unless the model cannot call tools or answers from retrieved documents
// alone (the extractive provider), or the caller may not use tools: then it
// searches like plain.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/engine/prices.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/provider/provider.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"

namespace weir {

class Database;

struct RetrievalInput {
  RagSettings settings;
  nlohmann::json conversation;   // the client's messages, before any template
  ProviderConfig main_provider;  // the gateway's provider and model
  std::string main_model;
  ProviderCapabilities main_capabilities;
  bool tools_allowed = true;     // false: the caller may not use tools (caller_policy.hpp)
  const ProviderFactory* providers = nullptr;   // for the rewrite's adapter
  const CancelToken* rewrite_cancel = nullptr;  // null: send no rewrite (dry run)
  const PriceTable* prices = nullptr;           // for the rewrite's usage lines
};

struct RetrievalResult {
  std::string strategy;  // the effective one
  std::string query;     // what was searched; "" when nothing was
  std::string rewrite_error;
  nlohmann::json rewrite_usage_lines = nlohmann::json::array();
  std::vector<Collection> collections;
  std::vector<SearchHit> hits;
  bool offer_search_tools = false;  // query_function: search tools instead of injected documents
};

RetrievalResult retrieve(const RetrievalInput& input, Database& database, Searcher& searcher,
                         const CancelToken& cancel);

}  // namespace weir
