#include "core/store/chat_client_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr const char* kColumns = "name, gateway_id, settings, created_at, updated_at";

ChatClient read_client(Statement& row) {
  ChatClient client;
  client.name = row.text(0);
  client.gateway_id = row.text(1);
  client.settings = ChatClientSettings::from_json(nlohmann::json::parse(row.text(2), nullptr, false));
  client.created_at = row.integer(3);
  client.updated_at = row.integer(4);
  return client;
}

}  // namespace

void ChatClientRepository::create(ChatClient& client) {
  validate_name(client.name, "chat client name");
  client.settings.check();
  auto exists = database_.prepare("SELECT 1 FROM chat_clients WHERE name = ?1");
  exists.bind(1, client.name);
  if (exists.step())
    throw Error(ErrorKind::usage, "a chat client named '" + client.name + "' exists; pick another name or `weir chat-client update " +
                                      client.name + "`");
  client.created_at = client.updated_at = now_milliseconds();
  auto insert = database_.prepare("INSERT INTO chat_clients (" + std::string(kColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, client.name).bind(2, client.gateway_id).bind(3, client.settings.to_json().dump());
  insert.bind(4, client.created_at).bind(5, client.updated_at);
  insert.run();
}

ChatClient ChatClientRepository::get(const std::string& name) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM chat_clients WHERE name = ?1");
  query.bind(1, name);
  if (!query.step())
    throw Error(ErrorKind::not_found, "no chat client named '" + name + "'; see `weir chat-client list`");
  return read_client(query);
}

std::vector<ChatClient> ChatClientRepository::list() {
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM chat_clients ORDER BY name");
  std::vector<ChatClient> clients;
  while (query.step()) clients.push_back(read_client(query));
  return clients;
}

void ChatClientRepository::update(ChatClient& client) {
  client.settings.check();
  client.updated_at = now_milliseconds();
  auto update = database_.prepare("UPDATE chat_clients SET gateway_id = ?2, settings = ?3, updated_at = ?4 WHERE name = ?1");
  update.bind(1, client.name).bind(2, client.gateway_id).bind(3, client.settings.to_json().dump()).bind(4, client.updated_at);
  update.run();
  if (database_.changes() == 0)
    throw Error(ErrorKind::not_found, "no chat client named '" + client.name + "'; see `weir chat-client list`");
}

void ChatClientRepository::remove(const std::string& name) {
  auto erase = database_.prepare("DELETE FROM chat_clients WHERE name = ?1");
  erase.bind(1, name);
  erase.run();
  if (database_.changes() == 0)
    throw Error(ErrorKind::not_found, "no chat client named '" + name + "'; see `weir chat-client list`");
}

}  // namespace weir
