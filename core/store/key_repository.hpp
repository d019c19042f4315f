// KeyRepository — the API keys of `weir serve` (DESIGN.md "HTTP").
//
// create() makes a random key, stores only its SHA-256 (and a short prefix
// for `key list`), and returns the key text: the one time it exists outside
// the caller's hands. Private keys (`weir_sk_...`) may use any target and
// server-side tools; public keys (`weir_pk_...`) are meant to be shipped in
// client apps, so they must name a gateway's full id and get no tools.
// Names are unique; Error(usage) for a taken or invalid name, Error(not_found)
// for revoking an unknown one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct ApiKey {
  std::string id;
  std::string name;
  bool is_public = false;
  std::string hash;    // SHA-256 hex of the key text
  std::string prefix;  // the key's first 12 characters
  std::optional<int> rpm;              // requests per minute; none: unlimited
  std::optional<int64_t> expires_at;   // unix milliseconds; none: never
  int64_t created_at = 0;
  // {"limits": {...}, "budget": {...}} as a gateway's blocks (limit_settings.hpp); null: none.
  nlohmann::json limits;
  // The tool sets it may use at /v1/mcp/toolsets/NAME; empty: every one.
  std::vector<std::string> toolsets;

  bool expired(int64_t now_milliseconds) const { return expires_at && *expires_at <= now_milliseconds; }
  nlohmann::json to_json() const;  // never the key, never the hash
};

struct NewKey {
  ApiKey key;
  std::string text;  // the key itself, shown once
};

class KeyRepository {
 public:
  explicit KeyRepository(Database& database) : database_(database) {}

  // `limits`: null, or the blocks checked by check_limit_blocks().
  NewKey create(const std::string& name, bool is_public, std::optional<int> rpm, std::optional<int64_t> expires_at,
                const nlohmann::json& limits = nullptr, const std::vector<std::string>& toolsets = {});
  std::vector<ApiKey> list();
  std::optional<ApiKey> by_id(const std::string& id);  // nullopt: revoked (or never made)
  void revoke(const std::string& name);

 private:
  Database& database_;
};

// "30d", "12h", "90m", "3600s" (or a bare number of seconds) in milliseconds;
// Error(usage) for anything else.
int64_t parse_duration_milliseconds(const std::string& text);

}  // namespace weir
