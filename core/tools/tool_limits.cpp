#include "core/tools/tool_limits.hpp"

#include <atomic>
#include <charconv>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

constexpr const char* kToolLimitFields[] = {"requests_per_minute", "requests_per_hour", "requests_per_day",
                                            "concurrent_requests"};

bool is_tool_limit_field(const std::string& name) {
  for (const auto* field : kToolLimitFields)
    if (name == field) return true;
  return false;
}

// Each admission's lease needs an id of its own within the process.
std::string next_call_id() {
  static std::atomic<unsigned long long> calls{0};
  return "tool-call-" + std::to_string(++calls);
}

}  // namespace

void check_tool_limits(const json& value, const std::string& source) {
  if (!value.is_object())
    throw Error(ErrorKind::usage, source + ": 'tool_limits' must be an object of tool names, each "
                                           "{\"requests_per_minute\": N, ...}");
  for (const auto& [tool, limits] : value.items()) {
    auto where = source + ": tool_limits." + tool;
    if (!limits.is_object() || limits.empty())
      throw Error(ErrorKind::usage, where + " must be an object of limits, e.g. {\"requests_per_minute\": 60}");
    for (const auto& [name, limit] : limits.items())
      if (!is_tool_limit_field(name))
        throw Error(ErrorKind::usage, where + " has '" + name +
                                          "'; a tool takes requests_per_minute, requests_per_hour, requests_per_day "
                                          "and concurrent_requests");
    try {
      check_field_value("limits", *find_field_schema("limits"), limits);
    } catch (const Error& error) {
      throw Error(ErrorKind::usage, where + ": " + error.what());
    }
  }
}

void merge_tool_limits(json& into, const json& from) {
  if (!into.is_object()) into = json::object();
  for (const auto& [tool, limits] : from.items()) {
    auto& kept = into[tool];
    if (!kept.is_object()) kept = json::object();
    for (const auto& [field, value] : limits.items())
      if (!kept.contains(field) || value.get<long long>() < kept[field].get<long long>()) kept[field] = value;
  }
}

std::pair<std::string, json> parse_tool_limit_argument(const std::string& text) {
  auto fail = [&]() -> std::pair<std::string, json> {
    throw Error(ErrorKind::usage, "--tool-limit '" + text +
                                      "' is not TOOL=N/minute (or N/hour, N/day, N/concurrent), e.g. getBook=60/minute");
  };
  auto equals = text.rfind('=');
  auto slash = text.rfind('/');
  if (equals == std::string::npos || equals == 0 || slash == std::string::npos || slash < equals) return fail();
  auto tool = text.substr(0, equals);
  auto number = text.substr(equals + 1, slash - equals - 1);
  auto unit = text.substr(slash + 1);
  long long count = 0;
  auto [end, problem] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (problem != std::errc() || end != number.data() + number.size() || count < 1) return fail();
  const char* field = unit == "minute"       ? "requests_per_minute"
                      : unit == "hour"       ? "requests_per_hour"
                      : unit == "day"        ? "requests_per_day"
                      : unit == "concurrent" ? "concurrent_requests"
                                             : nullptr;
  if (!field) return fail();
  json limits = {{field, count}};
  check_tool_limits(json{{tool, limits}}, "--tool-limit");
  return {tool, limits};
}

ToolCallLimiter::ToolCallLimiter(Database& database, const std::string& tool, const std::string& source,
                                 const std::string& name_at_source, const json& limits)
    : ledger_(std::make_shared<LimitLedger>(database)) {
  scope_.id = "tool:" + source + "/" + name_at_source;
  scope_.label = "tool '" + tool + "'";
  scope_.limits = LimitSettings::from_json(limits);
}

ToolCallLimiter::Admitted ToolCallLimiter::admit() const {
  return Admitted(ledger_, ledger_->admit({scope_}, next_call_id(), 0));
}

ToolCallLimiter::Admitted::~Admitted() {
  if (!ledger_ || !admission_.active()) return;
  try {
    ledger_->settle(admission_, 0, [](const LimitScope&) { return 0.0; });
  } catch (const std::exception&) {
    // The lease is taken back once its expiry passes; nothing else is owed.
  }
}

}  // namespace weir
