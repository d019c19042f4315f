#include "core/gateway/function_fields.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/json_schema.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway field '" + path + "' " + why);
}

void check_function_name(const std::string& path, const json& value) {
  const auto name = value.get<std::string>();
  bool well_formed = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char character) {
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
           (character >= '0' && character <= '9') || character == '_' || character == '-';
  });
  if (!well_formed) invalid(path, "must be 1 to 64 of A-Z a-z 0-9 _ -, got '" + name + "'");
}

void check_function_url(const std::string& path, const json& value) {
  auto text = value.get<std::string>();
  if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
    invalid(path, "must be an http:// or https:// URL, got '" + text + "'");
}

void check_parameters(const std::string& path, const json& value) {
  try {
    JsonSchema::compile(value, "gateway field '" + path + "'");
  } catch (const Error& error) {
    throw Error(ErrorKind::usage, error.what());
  }
  if (value.contains("type") && value["type"] != "object")
    invalid(path, "must describe an object (\"type\": \"object\"): a function's arguments are a JSON object");
}

void check_headers(const std::string& path, const json& value) {
  for (const auto& [name, header_value] : value.items()) {
    if (name.empty() || name.find_first_of(": \r\n") != std::string::npos)
      invalid(path, "has a header name that is not valid: '" + name + "'");
    if (!header_value.is_string()) invalid(path + "." + name, "must be a string, got " + header_value.dump());
    if (header_value.get<std::string>().find_first_of("\r\n") != std::string::npos)
      invalid(path + "." + name, "must not contain a line break");
  }
}

}  // namespace

const std::vector<FieldSchema>& http_function_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "name", .type = FieldType::text, .help = "The tool name the model calls", .required = true,
       .check = check_function_name},
      {.name = "description", .type = FieldType::text, .help = "What the function does, for the model",
       .default_value = ""},
      {.name = "parameters", .type = FieldType::object,
       .help = "JSON Schema of the arguments (checked before every call)",
       .default_value = {{"type", "object"}, {"properties", json::object()}}, .check = check_parameters},
      {.name = "url", .type = FieldType::text, .help = "Where the call is POSTed (signed)", .required = true,
       .check = check_function_url},
      {.name = "headers", .type = FieldType::object, .help = "Headers sent with each call (${NAME}: an environment variable)",
       .default_value = json::object(), .check = check_headers},
      {.name = "timeout_ms", .type = FieldType::integer, .help = "Longest a call may take",
       .default_value = kDefaultFunctionTimeoutMs, .minimum = 100, .maximum = 600'000},
  };
  return table;
}

void check_function_list(const std::string& path, const json& value) {
  std::set<std::string> names;
  for (size_t index = 0; index < value.size(); ++index) {
    auto name = value[index].value("name", std::string());
    if (!names.insert(name).second)
      invalid(path + "[" + std::to_string(index) + "]", "repeats the function name '" + name + "'; names must be unique");
  }
}

void check_function_record(const std::string& path, const json& record) {
  if (!record.is_object()) invalid(path, "must be an object, got " + record.dump());
  check_field_value(path, FieldSchema{.name = "function", .type = FieldType::block, .fields = &http_function_schema()},
                    record);
}

json with_tool_secrets_redacted(json config) {
  if (auto functions = config.find("functions"); functions != config.end() && functions->is_array())
    for (auto& function : *functions) {
      if (!function.is_object() || !function.contains("headers") || !function["headers"].is_object()) continue;
      for (auto& [name, value] : function["headers"].items())
        if (value.is_string()) value = redact_header_value(name, value.get<std::string>());
    }
  if (auto hooks = config.find("hooks"); hooks != config.end() && hooks->is_array())
    for (auto& hook : *hooks) {
      if (!hook.is_object()) continue;
      if (auto secret = hook.find("secret"); secret != hook.end() && secret->is_string() &&
                                             secret->get<std::string>().rfind("${", 0) != 0)
        *secret = std::string(kRedacted);
      if (auto url = hook.find("url"); url != hook.end() && url->is_string()) *url = redact_url(url->get<std::string>());
    }
  if (auto servers = config.find("mcp_servers"); servers != config.end() && servers->is_array())
    for (auto& server : *servers) {
      if (!server.is_object()) continue;
      if (auto url = server.find("url"); url != server.end() && url->is_string()) *url = redact_url(url->get<std::string>());
      // "Name: value" headers and "NAME=value" variables (tokens, as often as not).
      if (auto headers = server.find("headers"); headers != server.end() && headers->is_array())
        for (auto& entry : *headers) {
          if (!entry.is_string()) continue;
          auto text = entry.get<std::string>();
          auto colon = text.find(':');
          if (colon == std::string::npos) continue;
          auto value = text.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          entry = text.substr(0, colon) + ": " + redact_header_value(text.substr(0, colon), value);
        }
      if (auto environment = server.find("env"); environment != server.end() && environment->is_array())
        for (auto& entry : *environment) {
          if (!entry.is_string()) continue;
          auto text = entry.get<std::string>();
          auto equals = text.find('=');
          if (equals != std::string::npos && equals + 1 < text.size()) entry = text.substr(0, equals + 1) + std::string(kRedacted);
        }
    }
  return config;
}

}  // namespace weir
