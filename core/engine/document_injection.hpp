// Document injection — how retrieved documents reach a model that did not ask.
//
// The injection strategies (every strategy but query_function) put the
// retrieved documents in one delimited block at the start of the last user
// message, so the model reads them right before the question:
//
//   <retrieved_documents>
//   Documents retrieved from the knowledge collections for the message below. ...
//   <document collection="docs" docid="guide.md#2" ref="guide.md">
//   ...text...
//   </document>
//   </retrieved_documents>
//
//   <the user's message>
//
// Attribute values are JSON strings (quotes and backslashes escaped); `ref`
// is left out when a document has none. No documents: nothing is injected.
// The same block format is what the search tools of query_function return.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rag/search.hpp"

namespace weir {

// The block for these hits (an empty string for none).
std::string format_documents(const std::vector<SearchHit>& hits, const std::string& preamble);
// Puts `block` and a blank line before the text of the last user message (as
// a leading text part when its content is a list of parts). No user message,
// or an empty block: nothing changes.
void inject_documents(nlohmann::json& messages, const std::string& block);
// Appends `text` to the system instructions (creating a leading system
// message when there is none), after a blank line.
void append_to_system(nlohmann::json& messages, const std::string& text);

}  // namespace weir
