// SessionRepository — saved conversations: `weir chat --session NAME`, the
// last unnamed chat (core/engine/chat_start.hpp), `weir sessions`.
//
// A session is an ordered list of OpenAI messages, bound to the target it
// was last used with. A turn is appended in one transaction (the user
// message together with whatever the assistant said), so a failed or
// interrupted upstream call never leaves half a turn behind. "Last used" is
// the time of the last append (updated_at).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct SessionSummary {
  std::string name;
  std::string target;
  long long messages = 0;
  long long turns = 0;  // user messages
  long long created_at = 0;
  long long updated_at = 0;

  nlohmann::json to_json() const;
};

class SessionRepository {
 public:
  explicit SessionRepository(Database& database) : database_(database) {}

  // The conversation so far (empty for a new session).
  nlohmann::json messages(const std::string& name);
  // Appends messages, creating the session (bound to `target`) if needed.
  void append(const std::string& name, const std::string& target, const nlohmann::json& new_messages);
  // Replaces the session's whole conversation with `new_messages`, in one
  // transaction (the previous conversation is gone only once these are in).
  void replace(const std::string& name, const std::string& target, const nlohmann::json& new_messages);
  // Forgets the conversation but keeps nothing else; false if it did not exist.
  bool remove(const std::string& name);
  // Error(not_found) when `old_name` does not exist, Error(usage) when
  // `new_name` is taken or invalid.
  void rename(const std::string& old_name, const std::string& new_name);
  std::optional<SessionSummary> find(const std::string& name);
  // find(), or Error(not_found) naming the nearest sessions.
  SessionSummary resolve(const std::string& name);
  // The session appended to last, if any.
  std::optional<SessionSummary> most_recent();
  // Most recently used first.
  std::vector<SessionSummary> list();

 private:
  // Inside a transaction: creates the session if needed, stamps it used now.
  void insert_messages(const std::string& name, const std::string& target, const nlohmann::json& new_messages);

  Database& database_;
};

}  // namespace weir
