#include "core/gateway/hook_fields.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace weir {

namespace {

[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway field '" + path + "' " + why);
}

// The same rule as an HTTP function's url: the hook is the owner's own service.
void check_hook_url(const std::string& path, const json& value) {
  auto text = value.get<std::string>();
  if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
    invalid(path, "must be an http:// or https:// URL, got '" + text + "'");
}

void check_hook_events(const std::string& path, const json& value) {
  if (value.empty()) invalid(path, "must name at least one event: message.received, tool.called");
  const auto& known = hook_event_names();
  std::set<std::string> seen;
  for (const auto& event : value) {
    auto name = event.get<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end())
      invalid(path, "has an unknown event '" + name + "'; use message.received or tool.called");
    if (!seen.insert(name).second) invalid(path, "repeats the event '" + name + "'");
  }
}

}  // namespace

const std::vector<std::string_view>& hook_event_names() {
  static const std::vector<std::string_view> names = {"message.received", "tool.called"};
  return names;
}

const std::vector<FieldSchema>& hook_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "name", .type = FieldType::text, .help = "The hook's name in errors and the request log"},
      {.name = "url", .type = FieldType::text, .help = "Where each event is POSTed (signed)", .required = true,
       .check = check_hook_url},
      {.name = "events", .type = FieldType::text_list, .help = "message.received, tool.called", .required = true,
       .check = check_hook_events},
      {.name = "timeout_ms", .type = FieldType::integer, .help = "Longest a call may take; past it the request stops",
       .default_value = kDefaultHookTimeoutMs, .minimum = 50, .maximum = 60'000},
      {.name = "secret", .type = FieldType::text,
       .help = "Signature key (${NAME}: an environment variable); default: the home's hook key"},
  };
  return table;
}

void check_hook_list(const std::string& path, const json& value) {
  std::set<std::string> names;
  for (size_t index = 0; index < value.size(); ++index) {
    auto name = value[index].value("name", "hook_" + std::to_string(index + 1));
    if (!names.insert(name).second)
      invalid(path + "[" + std::to_string(index) + "]", "repeats the hook name '" + name + "'; names must be unique");
  }
}

}  // namespace weir
