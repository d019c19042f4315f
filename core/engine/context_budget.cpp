#include "core/engine/context_budget.hpp"

#include "core/error.hpp"

namespace weir {

namespace {
constexpr long long kTokensPerMessage = 4;

long long text_tokens(const nlohmann::json& value) {
  if (value.is_string()) return (static_cast<long long>(value.get_ref<const std::string&>().size()) + 3) / 4;
  if (value.is_array()) {
    long long total = 0;
    for (const auto& part : value) total += part.contains("text") ? text_tokens(part["text"]) : 85;
    return total;
  }
  if (value.is_null()) return 0;
  return (static_cast<long long>(value.dump().size()) + 3) / 4;
}

long long message_tokens(const nlohmann::json& message) {
  long long total = kTokensPerMessage;
  if (auto it = message.find("content"); it != message.end()) total += text_tokens(*it);
  if (auto it = message.find("tool_calls"); it != message.end()) total += text_tokens(*it);
  return total;
}
}  // namespace

long long estimate_tokens(const nlohmann::json& messages) {
  long long total = 3;  // every reply is primed with a few tokens
  for (const auto& message : messages) total += message_tokens(message);
  return total;
}

int fit_context(nlohmann::json& messages, long long budget, const std::string& on_overflow) {
  long long needed = estimate_tokens(messages);
  if (needed <= budget) return 0;
  auto overflow = [&](const std::string& detail) {
    return Error(ErrorKind::usage,
                 "the conversation needs about " + std::to_string(needed) + " tokens but the gateway allows " +
                     std::to_string(budget) + " for the prompt" + detail +
                     (on_overflow == "truncate"
                          // Truncating already ran: what is left is the system text and the last message.
                          ? "; shorten the system instructions or the last message, or raise max_context_tokens"
                          : "; shorten it, raise max_context_tokens, or set on_overflow to truncate"),
                 "context_length_exceeded");
  };
  if (on_overflow != "truncate") throw overflow("");

  // Protected: system messages, the last user message and anything after it
  // (a trailing prefill).
  size_t last_user = messages.size();
  for (size_t index = messages.size(); index-- > 0;)
    if (messages[index].value("role", "") == "user") {
      last_user = index;
      break;
    }
  int dropped = 0;
  for (size_t index = 0; index < messages.size() && index < last_user && needed > budget;) {
    if (messages[index].value("role", "") == "system") {
      ++index;
      continue;
    }
    needed -= message_tokens(messages[index]);
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(index));
    --last_user;
    ++dropped;
    // A tool result without the assistant message that asked for it is
    // rejected by upstreams: drop orphans together with their call.
    while (index < last_user && messages[index].value("role", "") == "tool") {
      needed -= message_tokens(messages[index]);
      messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(index));
      --last_user;
      ++dropped;
    }
  }
  if (needed > budget) throw overflow(" even after dropping older messages");
  return dropped;
}

}  // namespace weir
