#include "core/chat_client/chat_client.hpp"

#include <cctype>

#include "core/error.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxSuggestions = 8;

void check_text(const std::string& value, size_t most, const char* flag) {
  if (value.size() > most)
    throw Error(ErrorKind::usage, std::string(flag) + " must be at most " + std::to_string(most) + " bytes, got " +
                                      std::to_string(value.size()));
  for (unsigned char c : value)
    if (c < 0x20 && c != '\t')
      throw Error(ErrorKind::usage, std::string(flag) + " must be one line of text without control characters");
}

bool is_hex_colour(const std::string& value) {
  if (value.size() != 4 && value.size() != 7) return false;
  if (value[0] != '#') return false;
  for (size_t index = 1; index < value.size(); ++index)
    if (!std::isxdigit(static_cast<unsigned char>(value[index]))) return false;
  return true;
}

void check_range(const std::optional<int>& value, int most, const char* flag) {
  if (value && (*value < 1 || *value > most))
    throw Error(ErrorKind::usage, std::string(flag) + " must be 1.." + std::to_string(most) + ", got " +
                                      std::to_string(*value) + "; leave it out for no limit");
}

json optional_number(const std::optional<int>& value) { return value ? json(*value) : json(nullptr); }

std::optional<int> read_optional(const json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<int>();
}

}  // namespace

void ChatClientSettings::check() const {
  check_text(title, 200, "--title");
  check_text(subtitle, 500, "--subtitle");
  check_text(placeholder, 200, "--placeholder");
  if (!is_hex_colour(color))
    throw Error(ErrorKind::usage, "--color must be a hex colour such as #2563eb or #25e, got '" + color + "'");
  if (suggestions.size() > kMaxSuggestions)
    throw Error(ErrorKind::usage, "at most " + std::to_string(kMaxSuggestions) + " --suggestion, got " +
                                      std::to_string(suggestions.size()));
  for (const auto& suggestion : suggestions) {
    if (suggestion.empty()) throw Error(ErrorKind::usage, "--suggestion must not be empty");
    check_text(suggestion, 300, "--suggestion");
  }
  check_range(messages_per_hour, 10'000, "--messages-per-hour");
  check_range(max_messages, 100'000, "--max-messages");
  if (history < 0 || history > 1000)
    throw Error(ErrorKind::usage, "--history must be 0..1000 messages (0: each prompt alone), got " + std::to_string(history));
}

json ChatClientSettings::to_json() const {
  return {{"title", title},
          {"subtitle", subtitle},
          {"color", color},
          {"placeholder", placeholder},
          {"suggestions", suggestions},
          {"messages_per_hour", optional_number(messages_per_hour)},
          {"max_messages", optional_number(max_messages)},
          {"history", history},
          {"show_tools", show_tools},
          {"show_sources", show_sources}};
}

ChatClientSettings ChatClientSettings::from_json(const json& value) {
  ChatClientSettings settings;
  if (!value.is_object()) return settings;
  settings.title = value.value("title", "");
  settings.subtitle = value.value("subtitle", "");
  settings.color = value.value("color", settings.color);
  settings.placeholder = value.value("placeholder", settings.placeholder);
  if (auto found = value.find("suggestions"); found != value.end() && found->is_array())
    for (const auto& suggestion : *found)
      if (suggestion.is_string()) settings.suggestions.push_back(suggestion.get<std::string>());
  settings.messages_per_hour = read_optional(value, "messages_per_hour");
  settings.max_messages = read_optional(value, "max_messages");
  settings.history = read_optional(value, "history").value_or(kDefaultHistory);
  settings.show_tools = value.value("show_tools", false);
  settings.show_sources = value.value("show_sources", false);
  return settings;
}

}  // namespace weir
