// ChatClientRepository — the chat clients of web chat (core/chat_client),
// one row each in `chat_clients` (migration 16).
//
// Names follow validate_name(); a taken name is Error(usage), an unknown one
// Error(not_found) naming `weir chat-client list`. The gateway is kept by id,
// so renaming the gateway keeps the client; removing the client removes its
// sessions with their conversations.
#pragma once

#include <string>
#include <vector>

#include "core/chat_client/chat_client.hpp"

namespace weir {

class Database;

class ChatClientRepository {
 public:
  explicit ChatClientRepository(Database& database) : database_(database) {}

  // Checks the settings; sets created_at and updated_at.
  void create(ChatClient& client);
  ChatClient get(const std::string& name);
  std::vector<ChatClient> list();
  // Saves gateway_id and settings of an existing client (checked); sets updated_at.
  void update(ChatClient& client);
  void remove(const std::string& name);

 private:
  Database& database_;
};

}  // namespace weir
