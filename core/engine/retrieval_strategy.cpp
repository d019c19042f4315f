#include "core/engine/retrieval_strategy.hpp"

#include <vector>

#include "core/error.hpp"

namespace weir {

namespace {

constexpr const char* kRewriteInstruction =
    "You turn the latest request of a conversation into one standalone search query for a document search "
    "engine. Resolve pronouns and references using the earlier messages, keep the important names and terms, "
    "and leave out greetings and filler. Answer with the query alone on one line: no quotes, no explanation.";

std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Indexes of the last `count` messages whose role is in `roles`, oldest first.
std::vector<size_t> last_messages(const json& messages, size_t count, bool both_roles) {
  std::vector<size_t> picked;
  for (size_t index = messages.size(); index-- > 0 && picked.size() < count;) {
    auto role = messages[index].value("role", "");
    bool wanted = role == "user" || (both_roles && role == "assistant");
    if (!wanted || trim(message_text(messages[index])).empty()) continue;
    picked.insert(picked.begin(), index);
  }
  return picked;
}

}  // namespace

RetrievalStrategy parse_retrieval_strategy(std::string_view text) {
  if (text == "plain") return RetrievalStrategy::plain;
  if (text == "concatenate") return RetrievalStrategy::concatenate;
  if (text == "user_rewrite") return RetrievalStrategy::user_rewrite;
  if (text == "full_rewrite") return RetrievalStrategy::full_rewrite;
  if (text == "query_function") return RetrievalStrategy::query_function;
  throw Error(ErrorKind::usage, "unknown retrieval strategy '" + std::string(text) +
                                    "'; use plain, concatenate, user_rewrite, full_rewrite or query_function");
}

std::string_view to_string(RetrievalStrategy strategy) {
  switch (strategy) {
    case RetrievalStrategy::plain: return "plain";
    case RetrievalStrategy::concatenate: return "concatenate";
    case RetrievalStrategy::user_rewrite: return "user_rewrite";
    case RetrievalStrategy::full_rewrite: return "full_rewrite";
    case RetrievalStrategy::query_function: return "query_function";
  }
  return "plain";
}

bool is_rewrite(RetrievalStrategy strategy) {
  return strategy == RetrievalStrategy::user_rewrite || strategy == RetrievalStrategy::full_rewrite;
}

std::string message_text(const json& message) {
  auto it = message.find("content");
  if (it == message.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  std::string text;
  if (it->is_array())
    for (const auto& part : *it)
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
        text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
  return text;
}

std::string plain_query(const json& messages) { return concatenated_query(messages, 1); }

std::string concatenated_query(const json& messages, int window) {
  std::string query;
  for (auto index : last_messages(messages, static_cast<size_t>(std::max(window, 1)), false))
    query += (query.empty() ? "" : "\n") + trim(message_text(messages[index]));
  return query;
}

ChatRequest rewrite_request(const json& messages, RetrievalStrategy strategy, int window, const std::string& model) {
  bool both_roles = strategy == RetrievalStrategy::full_rewrite;
  size_t count = static_cast<size_t>(std::max(window, 1)) * (both_roles ? 2 : 1);
  std::string excerpt;
  for (auto index : last_messages(messages, count, both_roles))
    excerpt += (excerpt.empty() ? "" : "\n") + messages[index].value("role", "") + ": " +
               trim(message_text(messages[index]));
  ChatRequest request;
  request.model = model;
  request.stream = false;
  request.messages = json::array({{{"role", "system"}, {"content", kRewriteInstruction}},
                                  {{"role", "user"}, {"content", "Conversation:\n" + excerpt + "\n\nSearch query:"}}});
  return request;
}

std::string rewritten_query(const Completion& completion) {
  std::string text = completion.content;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto line = trim(text.substr(start, end - start));
    start = end + 1;
    for (const char* label : {"Search query:", "search query:", "Query:", "query:"})
      if (line.rfind(label, 0) == 0) line = trim(line.substr(std::string(label).size()));
    while (line.size() >= 2 && (line.front() == '"' || line.front() == '\'' || line.front() == '`') &&
           line.back() == line.front())
      line = trim(line.substr(1, line.size() - 2));
    if (!line.empty()) return line;
    if (end == text.size()) break;
  }
  throw Error(ErrorKind::upstream, "the rewrite model answered with no search query");
}

}  // namespace weir
