// SessionRepository — saved conversations for `weir chat --session NAME`.
//
// A session is an ordered list of OpenAI messages. A turn is appended in one
// transaction (the user message together with whatever the assistant said), so
// a failed or interrupted upstream call never leaves half a turn behind.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct SessionSummary {
  std::string name;
  std::string target;
  long long messages = 0;
  long long updated_at = 0;
};

class SessionRepository {
 public:
  explicit SessionRepository(Database& database) : database_(database) {}

  // The conversation so far (empty for a new session).
  nlohmann::json messages(const std::string& name);
  // Appends messages, creating the session (bound to `target`) if needed.
  void append(const std::string& name, const std::string& target, const nlohmann::json& new_messages);
  // Forgets the conversation but keeps nothing else; false if it did not exist.
  bool remove(const std::string& name);
  std::vector<SessionSummary> list();

 private:
  Database& database_;
};

}  // namespace weir
