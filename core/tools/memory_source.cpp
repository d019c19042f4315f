#include "core/tools/memory_source.hpp"

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

nlohmann::json tool(const char* name, const char* description, nlohmann::json properties,
                    std::vector<std::string> required) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", description},
            {"parameters", {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}}}}}};
}

[[noreturn]] void bad_argument(const std::string& tool_name, const std::string& why) {
  throw Error(ErrorKind::usage, tool_name + ": " + why);
}

std::string text_argument(const nlohmann::json& arguments, const std::string& tool_name, const char* key) {
  auto it = arguments.find(key);
  if (it == arguments.end() || !it->is_string()) bad_argument(tool_name, std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

int64_t id_argument(const nlohmann::json& arguments, const std::string& tool_name) {
  auto it = arguments.find("id");
  if (it == arguments.end() || !it->is_number_integer())
    bad_argument(tool_name, "\"id\" must be the integer id memory_search or memory_save returned");
  return it->get<int64_t>();
}

nlohmann::json brief(const Memory& memory) {
  return {{"id", memory.id},
          {"text", memory.text},
          {"shared", !memory.gateway_id.has_value()},
          {"saved_at", memory.to_json()["created_at"]},
          {"expires_at", memory.to_json()["expires_at"]}};
}

}  // namespace

MemorySource::MemorySource(Database& database, std::string user, std::string gateway_id, MillisecondClock clock)
    : database_(database), clock_(std::move(clock)) {
  scope_.user = std::move(user);
  if (!gateway_id.empty()) scope_.gateway_id = std::move(gateway_id);
}

nlohmann::json MemorySource::definitions() const {
  auto tools = nlohmann::json::array();
  tools.push_back(tool("memory_save",
                       "Remember something about the user for later conversations (at most 10 KB). Save facts and "
                       "preferences the user would expect you to remember; returns the memory's id.",
                       {{"text", {{"type", "string"}, {"description", "What to remember, self-contained"}}},
                        {"retention_days",
                         {{"type", "integer"},
                          {"minimum", 1},
                          {"maximum", kLongestMemoryRetentionDays},
                          {"description", "How many days to keep it (default 30)"}}},
                        {"shared",
                         {{"type", "boolean"},
                          {"description", "Also visible to the user's other assistants (default false)"}}}},
                       {"text"}));
  tools.push_back(tool("memory_search",
                       "Search what you remember about the user, newest first. Every word of the query must appear; "
                       "an empty query lists the latest memories.",
                       {{"query", {{"type", "string"}, {"description", "Words to look for"}}}}, {"query"}));
  tools.push_back(tool("memory_update", "Replace the text of a memory (its id from memory_search).",
                       {{"id", {{"type", "integer"}}}, {"text", {{"type", "string"}}}}, {"id", "text"}));
  tools.push_back(tool("memory_delete", "Forget a memory (its id from memory_search).", {{"id", {{"type", "integer"}}}},
                       {"id"}));
  return tools;
}

ToolOutput MemorySource::run(const ToolCall& call, const ToolCallContext& context) {
  if (context.cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
  if (scope_.user.empty())
    throw Error(ErrorKind::usage,
                call.name + " is unavailable: the request names no user, so there is no one to remember for. The "
                            "caller must send `user` in the request body, the X-Mcp-User header or `weir chat --user "
                            "NAME`; answer without memory");
  auto read = read_json(call.arguments.empty() ? "{}" : call.arguments);
  if (!read.ok()) bad_argument(call.name, "the arguments are not acceptable JSON: " + read.problem->description);
  const auto& arguments = read.value;
  if (!arguments.is_object()) bad_argument(call.name, "the arguments must be a JSON object");
  MemoryRepository memories(database_, clock_);

  if (call.name == "memory_save") {
    auto text = text_argument(arguments, call.name, "text");
    int retention = kDefaultMemoryRetentionDays;
    if (auto it = arguments.find("retention_days"); it != arguments.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kLongestMemoryRetentionDays)
        bad_argument(call.name, "\"retention_days\" must be an integer from 1 to 365");
      retention = it->get<int>();
    }
    bool shared = false;
    if (auto it = arguments.find("shared"); it != arguments.end() && !it->is_null()) {
      if (!it->is_boolean()) bad_argument(call.name, "\"shared\" must be true or false");
      shared = it->get<bool>();
    }
    try {
      auto memory = memories.save(scope_, text, retention, shared);
      return nlohmann::json{{"saved", brief(memory)}}.dump();
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::usage) throw;
      bad_argument(call.name, error.what());
    }
  }
  if (call.name == "memory_search") {
    auto query = text_argument(arguments, call.name, "query");
    auto found = memories.search(scope_, query);
    auto list = nlohmann::json::array();
    for (const auto& memory : found) list.push_back(brief(memory));
    return nlohmann::json{{"memories", list}}.dump();
  }
  if (call.name == "memory_update") {
    auto id = id_argument(arguments, call.name);
    auto text = text_argument(arguments, call.name, "text");
    bool updated = false;
    try {
      updated = memories.update(scope_, id, text);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::usage) throw;
      bad_argument(call.name, error.what());
    }
    if (!updated)
      bad_argument(call.name, "there is no memory " + std::to_string(id) + " for this user; find it with memory_search");
    // It may have expired or been deleted by another conversation since.
    auto memory = memories.find(scope_, id);
    if (!memory)
      bad_argument(call.name, "the memory " + std::to_string(id) + " is gone (expired or deleted) since the update");
    return nlohmann::json{{"updated", brief(*memory)}}.dump();
  }
  if (call.name == "memory_delete") {
    auto id = id_argument(arguments, call.name);
    if (!memories.remove(scope_, id))
      bad_argument(call.name, "there is no memory " + std::to_string(id) + " for this user; find it with memory_search");
    return nlohmann::json{{"deleted", id}}.dump();
  }
  throw Error(ErrorKind::usage, "there is no tool named '" + call.name + "'");
}

}  // namespace weir
