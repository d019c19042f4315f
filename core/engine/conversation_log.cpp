#include "core/engine/conversation_log.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "core/policy/guardrails.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

// Inline data is kept only as what it was and how big.
constexpr size_t kShortestDataUrlKept = 256;

// Each original the guardrails masked becomes its placeholder again, longest
// first so an original holding a shorter one is replaced whole.
std::string mask_again(std::string text, const GuardrailRun* guardrails) {
  if (!guardrails || guardrails->originals().empty()) return text;
  std::vector<std::pair<std::string_view, std::string_view>> originals;  // original, placeholder
  for (const auto& [placeholder, original] : guardrails->originals())
    if (!original.empty()) originals.emplace_back(original, placeholder);
  std::sort(originals.begin(), originals.end(),
            [](const auto& left, const auto& right) { return left.first.size() > right.first.size(); });
  for (const auto& [original, placeholder] : originals) {
    std::string replaced;
    size_t from = 0;
    for (auto found = text.find(original); found != std::string::npos; found = text.find(original, from)) {
      replaced.append(text, from, found - from);
      replaced += placeholder;
      from = found + original.size();
    }
    if (from == 0) continue;
    replaced.append(text, from, std::string::npos);
    text = std::move(replaced);
  }
  return text;
}

void bound_strings(json& value) {
  if (value.is_object() || value.is_array()) {
    for (auto& item : value) bound_strings(item);
    return;
  }
  if (!value.is_string()) return;
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > kShortestDataUrlKept && text.rfind("data:", 0) == 0) {
    auto end_of_type = text.find_first_of(";,");
    value = text.substr(0, std::min(end_of_type, size_t{80})) + " (" + std::to_string(text.size()) +
            " bytes of inline data, not logged)";
    return;
  }
  if (text.size() <= kConversationMaxStringBytes) return;
  auto kept = utf8_prefix(text, kConversationMaxStringBytes).size();
  value = text.substr(0, kept) + "… (" + std::to_string(text.size() - kept) + " more bytes not logged)";
}

}  // namespace

json conversation_for_log(const json& messages, const Completion& answer, const json& functions,
                          const GuardrailRun* guardrails) {
  json tool_calls = json::array();
  for (const auto& call : answer.tool_calls) {
    auto object = call.to_json();
    object["function"]["arguments"] = mask_again(call.arguments, guardrails);
    tool_calls.push_back(std::move(object));
  }
  json conversation = {{"messages", messages.is_array() ? messages : json::array()},
                       {"answer", mask_again(answer.content, guardrails)}};
  if (!tool_calls.empty()) conversation["tool_calls"] = std::move(tool_calls);
  if (functions.is_array() && !functions.empty()) conversation["functions"] = functions;
  bound_strings(conversation);
  // Whole messages go, oldest first, until the row fits.
  auto dumped_size = [](const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace).size(); };
  size_t size = dumped_size(conversation);
  if (size <= kConversationMaxBytes) return conversation;
  auto& kept = conversation["messages"];
  size_t omitted = 0;
  while (omitted < kept.size() && size > kConversationMaxBytes) size -= dumped_size(kept[omitted++]) + 1;
  kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(omitted));
  conversation["omitted_messages"] = omitted;
  return conversation;
}

}  // namespace weir
