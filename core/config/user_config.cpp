#include "core/config/user_config.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/rag/index_file.hpp"
#include "core/store/paths.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {

std::string key_list() {
  std::string names;
  for (const auto& key : known_config_keys()) names += (names.empty() ? "" : ", ") + std::string(key.name);
  return names;
}

std::string choice_list(const ConfigKey& key) {
  std::string text;
  for (size_t index = 0; index < key.choices.size(); ++index)
    text += (index == 0 ? "" : index + 1 == key.choices.size() ? " or " : ", ") + std::string(key.choices[index]);
  return text;
}

// A target as `weir chat` takes it: a gateway name, slug or id, or
// @provider/model. Whether it exists is the store's question
// (chat_target.hpp), asked when the value is set and when it is used.
void validate_target(const std::string& value) {
  if (value.empty()) throw Error(ErrorKind::usage, "default-gateway cannot be empty; `weir config unset default-gateway` removes it");
  for (unsigned char character : value)
    if (character <= ' ' || character == 0x7f)
      throw Error(ErrorKind::usage, "default-gateway '" + value +
                                        "' holds a space or a control character; give a gateway name, slug or id, "
                                        "or @provider/model");
  if (value.front() == '@') {
    auto slash = value.find('/');
    if (slash == std::string::npos || slash == 1 || slash + 1 == value.size())
      throw Error(ErrorKind::usage, "a bare model target is written @provider/model, got '" + value + "'");
  }
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

}  // namespace

std::string config_path(const Paths& paths) {
  if (paths.home_source == "--home" || paths.home_source == "WEIR_HOME") return paths.home + "/config.json";
  if (auto xdg_config = environment("XDG_CONFIG_HOME"); !xdg_config.empty()) return xdg_config + "/weir/config.json";
  if (auto user_home = environment("HOME"); !user_home.empty()) return user_home + "/.config/weir/config.json";
  return paths.home + "/config.json";
}

const std::vector<ConfigKey>& known_config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"default-gateway",
       "the gateway (name, slug or id) or @provider/model that `weir chat` talks to when none is named",
       {},
       ""},
      {"output", "how `weir chat` prints an answer on a terminal: markdown (styled) or raw (as the model wrote it)",
       {"markdown", "raw"},
       "markdown"},
      {"color",
       "colour and Markdown styling: auto (a terminal without NO_COLOR), on (also when piped, for less -R), off",
       {"auto", "on", "off"},
       "auto"},
  };
  return keys;
}

const ConfigKey& config_key(std::string_view name) {
  for (const auto& key : known_config_keys())
    if (key.name == name) return key;
  throw Error(ErrorKind::usage, "unknown config key '" + std::string(name) + "'; the keys are: " + key_list());
}

void validate_config_value(const ConfigKey& key, const std::string& value) {
  if (key.choices.empty()) {
    validate_target(value);
    return;
  }
  for (auto choice : key.choices)
    if (choice == value) return;
  throw Error(ErrorKind::usage,
              "invalid value '" + value + "' for " + std::string(key.name) + ": use " + choice_list(key));
}

UserConfig UserConfig::load(const std::string& path) {
  UserConfig config;
  config.path_ = path;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::error_code error;
    if (!std::filesystem::exists(path, error) && !error) return config;
    throw Error(ErrorKind::runtime, "cannot read the config file " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  auto fix = " (fix it, or delete it to start again: `weir config path` names it)";
  auto parsed = read_json(text.str());
  if (!parsed.ok())
    throw Error(ErrorKind::usage, "the config file " + path + " is not valid JSON: " + parsed.problem->description + fix);
  if (!parsed.value.is_object())
    throw Error(ErrorKind::usage, "the config file " + path + " must hold one JSON object" + fix);
  for (const auto& [name, value] : parsed.value.items()) {
    try {
      const auto& key = config_key(name);
      if (!value.is_string())
        throw Error(ErrorKind::usage, "the value of " + name + " must be a string");
      validate_config_value(key, value.get<std::string>());
    } catch (const Error& error) {
      throw Error(ErrorKind::usage, "the config file " + path + ": " + error.what() + fix);
    }
  }
  config.values_ = std::move(parsed.value);
  return config;
}

std::optional<std::string> UserConfig::get(std::string_view key) const {
  config_key(key);
  auto found = values_.find(std::string(key));
  if (found == values_.end()) return std::nullopt;
  return found->get<std::string>();
}

std::string UserConfig::value_or_fallback(std::string_view key) const {
  if (auto value = get(key)) return *value;
  return std::string(config_key(key).fallback);
}

void UserConfig::set(std::string_view key, const std::string& value) {
  validate_config_value(config_key(key), value);
  values_[std::string(key)] = value;
}

bool UserConfig::unset(std::string_view key) {
  config_key(key);
  return values_.erase(std::string(key)) > 0;
}

void UserConfig::save() const {
  auto directory = std::filesystem::path(path_).parent_path();
  if (!directory.empty())
    if (auto error = create_private_directories(directory.string()))
      throw Error(ErrorKind::runtime,
                  "cannot create the config directory " + directory.string() + ": " + error.message());
  // Keys in the table's order, so the file reads like `weir config list`.
  nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
  for (const auto& key : known_config_keys())
    if (auto found = values_.find(std::string(key.name)); found != values_.end())
      ordered[std::string(key.name)] = found->get<std::string>();
  auto text = ordered.dump(2) + "\n";
  replace_file_atomically(path_, {{text.data(), text.size()}}, "the config file");
}

}  // namespace weir
