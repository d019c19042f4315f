// ChatClient — a gateway dressed as a chat page for end users (DESIGN.md
// "HTTP": web chat sessions), as `weir chat-client create` stores it.
//
// The settings are what the page shows (title, subtitle, accent colour,
// placeholder, suggestions, whether tool activity and sources are shown) and
// the limits every session of the client obeys: `messages_per_hour` prompts
// in any rolling hour and `max_messages` prompts in its whole life (clearing
// the conversation resets neither), and the `history` window of messages a
// prompt takes to the model. check() refuses anything the page could
// not show safely or a limit out of range, with Error(usage) naming the flag.
// The page takes these values as data (textContent, CSSOM), never as markup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

constexpr int kDefaultHistory = 40;

struct ChatClientSettings {
  std::string title;        // "" : the client's name
  std::string subtitle;
  std::string color = "#2563eb";  // #rgb or #rrggbb
  std::string placeholder = "Ask a question";
  std::vector<std::string> suggestions;
  std::optional<int> messages_per_hour;  // none: unlimited
  std::optional<int> max_messages;       // none: unlimited
  // How many of the conversation's latest messages go to the model with a
  // prompt: a long session neither grows without bound nor outgrows the
  // model's context (the gateway's max_context_tokens still applies).
  int history = kDefaultHistory;
  bool show_tools = false;
  bool show_sources = false;

  void check() const;  // Error(usage) naming the flag at fault
  nlohmann::json to_json() const;
  // From to_json()'s shape; unknown keys are ignored (a newer weir's store).
  static ChatClientSettings from_json(const nlohmann::json& value);
};

struct ChatClient {
  std::string name;
  std::string gateway_id;
  ChatClientSettings settings;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  // What the page shows as its title.
  std::string display_title() const { return settings.title.empty() ? name : settings.title; }
};

}  // namespace weir
