#include "core/store/key_repository.hpp"

#include <charconv>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/policy/limit_settings.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

ApiKey read_key(Statement& row) {
  ApiKey key;
  key.id = row.text(0);
  key.name = row.text(1);
  key.is_public = row.text(2) == "public";
  key.hash = row.text(3);
  key.prefix = row.text(4);
  if (!row.is_null(5)) key.rpm = static_cast<int>(row.integer(5));
  if (!row.is_null(6)) key.expires_at = row.integer(6);
  key.created_at = row.integer(7);
  if (!row.is_null(8)) {
    key.limits = nlohmann::json::parse(row.text(8), nullptr, false);
    if (key.limits.is_discarded()) key.limits = nullptr;
  }
  if (!row.is_null(9)) {
    auto toolsets = nlohmann::json::parse(row.text(9), nullptr, false);
    if (toolsets.is_array())
      for (const auto& name : toolsets)
        if (name.is_string()) key.toolsets.push_back(name.get<std::string>());
  }
  return key;
}

constexpr const char* kColumns = "id, name, kind, hash, prefix, rpm, expires_at, created_at, limits, toolsets";

}  // namespace

nlohmann::json ApiKey::to_json() const {
  return {{"id", id},
          {"name", name},
          {"kind", is_public ? "public" : "private"},
          {"prefix", prefix},
          {"rpm", rpm ? nlohmann::json(*rpm) : nlohmann::json(nullptr)},
          {"expires_at", expires_at ? nlohmann::json(*expires_at) : nlohmann::json(nullptr)},
          {"created_at", created_at},
          {"limits", limits.is_object() ? limits.value("limits", nlohmann::json(nullptr)) : nlohmann::json(nullptr)},
          {"budget", limits.is_object() ? limits.value("budget", nlohmann::json(nullptr)) : nlohmann::json(nullptr)},
          {"toolsets", toolsets.empty() ? nlohmann::json(nullptr) : nlohmann::json(toolsets)}};
}

NewKey KeyRepository::create(const std::string& name, bool is_public, std::optional<int> rpm,
                             std::optional<int64_t> expires_at, const nlohmann::json& limits,
                             const std::vector<std::string>& toolsets) {
  validate_name(name, "key");
  for (const auto& toolset : toolsets) validate_name(toolset, "tool set");
  if (is_public && !toolsets.empty())
    throw Error(ErrorKind::usage, "a public key reaches no tool set; --toolsets is for private keys");
  check_limit_blocks(limits);
  if (rpm && (*rpm < 1 || *rpm > 100'000))
    throw Error(ErrorKind::usage, "--rpm must be between 1 and 100000 requests per minute, got " +
                                      std::to_string(*rpm) + "; leave --rpm out for no limit");
  NewKey made;
  made.text = std::string(is_public ? "weir_pk_" : "weir_sk_") + random_token(32);
  auto& key = made.key;
  key.id = new_uuid_v7();
  key.name = name;
  key.is_public = is_public;
  key.hash = sha256_hex(made.text);
  key.prefix = made.text.substr(0, 12);
  key.rpm = rpm;
  key.expires_at = expires_at;
  key.created_at = now_milliseconds();
  if (limits.is_object() && !limits.empty()) key.limits = limits;
  auto exists = database_.prepare("SELECT 1 FROM keys WHERE name = ?1");
  exists.bind(1, name);
  if (exists.step())
    throw Error(ErrorKind::usage, "a key named '" + name + "' exists; pick another name or `weir key revoke " + name + "` first");
  auto insert = database_.prepare("INSERT INTO keys (" + std::string(kColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  insert.bind(1, key.id).bind(2, key.name).bind(3, is_public ? "public" : "private").bind(4, key.hash).bind(5, key.prefix);
  if (rpm) insert.bind(6, *rpm); else insert.bind_null(6);
  if (expires_at) insert.bind(7, *expires_at); else insert.bind_null(7);
  insert.bind(8, key.created_at);
  if (key.limits.is_null()) insert.bind_null(9); else insert.bind(9, key.limits.dump());
  key.toolsets = toolsets;
  if (toolsets.empty()) insert.bind_null(10); else insert.bind(10, nlohmann::json(toolsets).dump());
  insert.run();
  return made;
}

std::vector<ApiKey> KeyRepository::list() {
  std::vector<ApiKey> keys;
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM keys ORDER BY created_at");
  while (query.step()) keys.push_back(read_key(query));
  return keys;
}

std::optional<ApiKey> KeyRepository::by_id(const std::string& id) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM keys WHERE id = ?1");
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return read_key(query);
}

void KeyRepository::revoke(const std::string& name) {
  database_.transaction([&] {
    // The web chat sessions the key opened end with it (their conversations
    // go with the ended sessions, a week on).
    database_.prepare(
                 "UPDATE chat_sessions SET expires_at = min(expires_at, ?2)"
                 " WHERE opened_by_key = (SELECT id FROM keys WHERE name = ?1)")
        .bind(1, name)
        .bind(2, now_milliseconds())
        .run();
    database_.prepare("DELETE FROM keys WHERE name = ?1").bind(1, name).run();
    if (database_.changes() == 0)
      throw Error(ErrorKind::not_found, "no key named '" + name + "'; `weir key list` shows the keys");
  });
}

int64_t parse_duration_milliseconds(const std::string& text) {
  int64_t number = 0;
  auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  if (problem != std::errc() || end == text.data() || scale == 0 || number <= 0 || number > 36'500LL * 86'400)
    throw Error(ErrorKind::usage, "bad duration '" + text + "': use a positive number with s, m, h or d (e.g. 30d)");
  return number * scale;
}

}  // namespace weir
