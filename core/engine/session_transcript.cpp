#include "core/engine/session_transcript.hpp"

#include "core/gateway/identifiers.hpp"

namespace weir {

std::string transcript_text(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return "";
  std::string text;
  for (const auto& part : content) {
    std::string piece;
    auto type = part.value("type", "");
    if (type == "text")
      piece = part.value("text", "");
    else if (type == "file" && part.contains("file") && part["file"].contains("filename"))
      piece = "[file " + part["file"].value("filename", "") + "]";
    else
      piece = "[" + (type.empty() ? std::string("part") : type) + "]";
    text += (text.empty() ? "" : "\n\n") + piece;
  }
  return text;
}

std::string session_markdown(const SessionSummary& session, const nlohmann::json& messages) {
  std::string text = "# " + session.name + "\n\n";
  text += "Target: `" + session.target + "` · " + std::to_string(session.turns) + " turn" +
          (session.turns == 1 ? "" : "s") + " · last used " + format_timestamp(session.updated_at) + "\n";
  for (const auto& message : messages) {
    text += "\n## " + message.value("role", std::string("message")) + "\n\n";
    std::string body = transcript_text(message.contains("content") ? message["content"] : nlohmann::json());
    if (auto calls = message.find("tool_calls"); calls != message.end() && calls->is_array())
      for (const auto& call : *calls)
        if (call.contains("function"))
          body += (body.empty() ? "" : "\n\n") + std::string("[tool call ") +
                  call["function"].value("name", "") + " " + call["function"].value("arguments", "") + "]";
    text += body + (body.empty() || body.back() == '\n' ? "" : "\n");
  }
  return text;
}

nlohmann::json session_document(const SessionSummary& session, const nlohmann::json& messages) {
  auto document = session.to_json();
  document["messages"] = messages;
  return document;
}

}  // namespace weir
