// UserConfig — the user's defaults for the command line (`weir config`).
//
// One JSON object in one file (config_path()): every key is one of
// known_config_keys(), every value a string that key accepts. The table of
// keys is the whole rule: a key's meaning, its accepted values and its
// default live in one row, and `weir config list`, the error texts and the
// README read from it. JSON, not TOML: nlohmann/json is already weir's, and
// the file is rewritten by `weir config set`, which a JSON object survives
// exactly (Debian 12's only C++ TOML parser, cpptoml, is unmaintained and
// cannot write).
//
// Contract:
// - load() reads the file; a missing file is an empty config. A file that is
//   not a JSON object, or holds an unknown key or an invalid value, is
//   Error(usage) naming the file and what to fix; nothing is guessed.
// - set()/unset() validate and change the object in memory; save() writes it
//   atomically (a temporary file renamed over the old one, mode 0600), so a
//   crash leaves the old file or the new one, never half of one.
// - An unknown key is Error(usage) listing the known ones; an invalid value
//   is Error(usage) saying what the key accepts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct Paths;

// The file: $XDG_CONFIG_HOME/weir/config.json (else ~/.config/weir/...),
// except when the home was chosen explicitly (--home or WEIR_HOME): then it
// is home/config.json, because its default-gateway names that store's
// gateways (and a test's or a project's home never reads the user's file).
std::string config_path(const Paths& paths);

struct ConfigKey {
  std::string_view name;         // "default-gateway"
  std::string_view description;  // one line, for `weir config list` and the README
  std::vector<std::string_view> choices;  // the accepted values; empty: any target text
  std::string_view fallback;     // the value when unset ("" : none)
};

// The keys, in the order `weir config list` shows them.
const std::vector<ConfigKey>& known_config_keys();
// The row of `name`, or Error(usage) naming the known keys.
const ConfigKey& config_key(std::string_view name);
// Error(usage) unless `value` is one `key` accepts.
void validate_config_value(const ConfigKey& key, const std::string& value);

class UserConfig {
 public:
  // Reads `path` (missing: empty).
  static UserConfig load(const std::string& path);

  // The value set for `key` (validated name), or nullopt.
  std::optional<std::string> get(std::string_view key) const;
  // The value set, else the key's fallback.
  std::string value_or_fallback(std::string_view key) const;
  void set(std::string_view key, const std::string& value);
  // False when the key was not set.
  bool unset(std::string_view key);
  // The keys set, as stored.
  const nlohmann::json& values() const { return values_; }
  const std::string& path() const { return path_; }

  // Writes the file atomically, creating its directory (0700) if needed.
  void save() const;

 private:
  std::string path_;
  nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace weir
