// Session transcript — a saved conversation as a person reads it.
//
// `weir sessions show` and `weir sessions export --format markdown` print
// this. Text content is kept as written; a part that is not text (an image,
// a file, audio) is named in brackets, never dumped; tool calls are named
// with their arguments. Used by the command line only to print.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/store/session_repository.hpp"

namespace weir {

// The text of one message's content: a string as it is, parts joined.
std::string transcript_text(const nlohmann::json& content);

// A Markdown document: a title with the session's name and target, then one
// section per message, headed by its role.
std::string session_markdown(const SessionSummary& session, const nlohmann::json& messages);

// The whole session as one JSON object: its summary and its messages.
nlohmann::json session_document(const SessionSummary& session, const nlohmann::json& messages);

}  // namespace weir
