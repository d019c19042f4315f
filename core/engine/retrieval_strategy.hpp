// Retrieval strategies — what a gateway with collections searches for.
//
// Step 4 of the engine pipeline (DESIGN.md). The `rag.strategy` of a gateway
// decides the search query:
//   plain          the last user message
//   concatenate    the last `window` user messages, oldest first, joined by newlines
//   user_rewrite   the rewrite model turns the last `window` user messages into
//                  one standalone search query
//   full_rewrite   the same from the last `window` × 2 messages of both roles
//   query_function no query: the model is offered one search tool per
//                  collection (collection_search_tools.hpp) and searches itself
// A rewrite is one non-streamed call to `rag.rewrite_model` (the gateway's own
// model when unset); its usage is billed as its own "query rewrite" lines.
// The engine falls back to `plain` when a rewrite fails (the reason is kept in
// generation_context.retrieval.rewrite_error and the request log).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/provider/chat.hpp"

namespace weir {

enum class RetrievalStrategy { plain, concatenate, user_rewrite, full_rewrite, query_function };

// Error(usage) naming the strategies.
RetrievalStrategy parse_retrieval_strategy(std::string_view text);
std::string_view to_string(RetrievalStrategy strategy);
bool is_rewrite(RetrievalStrategy strategy);

// The text of a message: its string content, or its text parts joined by newlines.
std::string message_text(const json& message);

// The query of `plain` (the last user message; "" when there is none).
std::string plain_query(const json& messages);
// The query of `concatenate`.
std::string concatenated_query(const json& messages, int window);

// The request that asks `model` for a standalone search query: a fixed system
// instruction and one user message holding the conversation excerpt the
// strategy reads (user messages only for user_rewrite, both roles for
// full_rewrite), each line prefixed by its role. Not streamed.
ChatRequest rewrite_request(const json& messages, RetrievalStrategy strategy, int window, const std::string& model);

// The query in a rewrite answer: the first non-empty line, without quotes or
// a "Query:" label. Error(upstream) when there is none.
std::string rewritten_query(const Completion& completion);

}  // namespace weir
