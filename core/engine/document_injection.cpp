#include "core/engine/document_injection.hpp"

namespace weir {

namespace {
std::string attribute(const char* name, const std::string& value) {
  return std::string(" ") + name + "=" + nlohmann::json(value).dump();
}
}  // namespace

std::string format_documents(const std::vector<SearchHit>& hits, const std::string& preamble) {
  if (hits.empty()) return {};
  std::string block = "<retrieved_documents>\n";
  if (!preamble.empty()) block += preamble + "\n";
  for (const auto& hit : hits) {
    block += "<document" + attribute("collection", hit.collection) + attribute("docid", hit.document.docid);
    if (hit.document.ref) block += attribute("ref", *hit.document.ref);
    block += ">\n" + hit.document.text;
    if (!hit.document.text.empty() && hit.document.text.back() != '\n') block += "\n";
    block += "</document>\n";
  }
  block += "</retrieved_documents>";
  return block;
}

void inject_documents(nlohmann::json& messages, const std::string& block) {
  if (block.empty()) return;
  for (size_t index = messages.size(); index-- > 0;) {
    auto& message = messages[index];
    if (message.value("role", "") != "user") continue;
    auto& content = message["content"];
    if (content.is_array()) {
      content.insert(content.begin(), nlohmann::json{{"type", "text"}, {"text", block + "\n\n"}});
    } else {
      std::string text = content.is_string() ? content.get<std::string>() : std::string();
      content = block + "\n\n" + text;
    }
    return;
  }
}

void append_to_system(nlohmann::json& messages, const std::string& text) {
  if (text.empty()) return;
  if (!messages.empty() && messages[0].value("role", "") == "system" && messages[0]["content"].is_string()) {
    auto current = messages[0]["content"].get<std::string>();
    messages[0]["content"] = current.empty() ? text : current + "\n\n" + text;
    return;
  }
  messages.insert(messages.begin(), nlohmann::json{{"role", "system"}, {"content", text}});
}

}  // namespace weir
