#include "mcp/serve_config.hpp"

#include <set>

#include "core/error.hpp"
#include "core/number_text.hpp"
#include "core/rag/fusion.hpp"
#include "mcp/tool_names.hpp"

namespace weir::mcp {

using json = nlohmann::json;

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t start = text.find_first_not_of(' ');
  while (start != std::string::npos) {
    auto end = text.find(' ', start);
    words.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? end : text.find_first_not_of(' ', end);
  }
  return words;
}

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw Error(ErrorKind::usage, source + ": " + message);
}

void check_keys(const json& object, const std::set<std::string>& known, const std::string& where) {
  if (!object.is_object()) fail(where, "must be a JSON object");
  for (const auto& item : object.items())
    if (!known.count(item.key())) {
      std::string list;
      for (const auto& key : known) list += (list.empty() ? "" : ", ") + key;
      fail(where, "unknown key '" + item.key() + "' (known: " + list + ")");
    }
}

template <typename Value>
void read(const json& object, const char* key, Value& value, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end()) return;
  try {
    value = found->get<Value>();
  } catch (const json::exception&) {
    fail(where, std::string("'") + key + "' has the wrong type: " + found->dump());
  }
}

}  // namespace

std::string GatewayToolConfig::name() const {
  return mcp::tool_name("invoke_", tool_name.empty() ? "ai_model" : tool_name, "");
}

std::string CollectionToolConfig::base_name() const {
  if (!tool_name.empty()) return tool_identifier(tool_name);
  std::string joined;
  for (const auto& collection : collections) joined += (joined.empty() ? "" : "_") + collection;
  return tool_identifier(joined);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto first = part.find_first_not_of(" \t");
    if (first != std::string::npos) part = part.substr(first, part.find_last_not_of(" \t") - first + 1);
    else part.clear();
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

McpServerSettings mcp_server_from_flag(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw Error(ErrorKind::usage, "--mcp-server takes NAME=URL or NAME='COMMAND ARG...', got '" + text + "'");
  McpServerSettings server;
  server.name = text.substr(0, equals);
  auto target = text.substr(equals + 1);
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    server.url = target;
    return server;
  }
  auto words = split_words(target);
  if (words.empty()) throw Error(ErrorKind::usage, "--mcp-server " + server.name + "= needs a command or a URL");
  server.command = words.front();
  server.args.assign(words.begin() + 1, words.end());
  return server;
}

void check_top_k(int top_k, std::string_view what) {
  if (top_k < 1 || top_k > 128)
    throw Error(ErrorKind::usage, std::string(what) + " must be 1..128, got " + std::to_string(top_k));
}

void check_min_score(double min_score, std::string_view what) {
  if (!(min_score >= 0.01 && min_score <= 0.99))
    throw Error(ErrorKind::usage, std::string(what) + " must be 0.01..0.99, got " + number_text(min_score));
}

void ServeConfig::add_json(const json& document, const std::string& source) {
  check_keys(document, {"gateways", "collections", "openapi", "mcp_servers", "tool_limits"}, source);
  if (document.contains("gateways")) {
    if (!document["gateways"].is_array()) fail(source, "'gateways' must be an array");
    size_t index = 0;
    for (const auto& entry : document["gateways"]) {
      auto where = source + ": gateways[" + std::to_string(index++) + "]";
      check_keys(entry, {"gateway", "tool_name", "tool_description", "tool_title"}, where);
      GatewayToolConfig gateway;
      read(entry, "gateway", gateway.gateway, where);
      read(entry, "tool_name", gateway.tool_name, where);
      read(entry, "tool_description", gateway.description, where);
      read(entry, "tool_title", gateway.title, where);
      if (gateway.gateway.empty()) fail(where, "'gateway' (the gateway to serve) is required");
      gateways.push_back(std::move(gateway));
    }
  }
  if (document.contains("collections")) {
    if (!document["collections"].is_array()) fail(source, "'collections' must be an array");
    size_t index = 0;
    for (const auto& entry : document["collections"]) {
      auto where = source + ": collections[" + std::to_string(index++) + "]";
      check_keys(entry,
                 {"collections", "tool_name", "top_k", "min_score", "reranker", "include_references", "allow_write"},
                 where);
      CollectionToolConfig set;
      if (entry.contains("collections") && entry["collections"].is_string())
        set.collections = split_list(entry["collections"].get<std::string>());
      else
        read(entry, "collections", set.collections, where);
      read(entry, "tool_name", set.tool_name, where);
      read(entry, "top_k", set.top_k, where);
      read(entry, "min_score", set.min_score, where);
      read(entry, "reranker", set.reranker, where);
      read(entry, "include_references", set.include_references, where);
      read(entry, "allow_write", set.allow_write, where);
      if (set.collections.empty()) fail(where, "'collections' must name at least one collection");
      collection_sets.push_back(std::move(set));
    }
  }
  ToolSources::add_json(document, source);
}

void ServeConfig::validate() const {
  if (gateways.empty() && collection_sets.empty() && openapi_services.empty() && mcp_servers.empty())
    throw Error(ErrorKind::usage, "nothing to serve: give --gateway G, --collections C1,C2, --openapi FILE|URL, "
                                  "--mcp-server NAME=COMMAND|URL, --toolset NAME or --config FILE (see `weir mcp serve --help`)");
  ToolSources::validate();
  std::set<std::string> names;
  auto claim = [&names](const std::string& name) {
    if (!names.insert(name).second)
      throw Error(ErrorKind::usage, "two tools would be named '" + name + "'; give them different tool names");
  };
  for (const auto& gateway : gateways) {
    if (gateway.gateway.empty()) throw Error(ErrorKind::usage, "a served gateway needs a name (--gateway G)");
    claim(gateway.name());
  }
  for (const auto& set : collection_sets) {
    if (set.collections.empty()) throw Error(ErrorKind::usage, "--collections needs at least one collection name");
    check_top_k(set.top_k, "top-k");
    check_min_score(set.min_score, "min-score");
    parse_reranker(set.reranker);  // throws naming the accepted values
    auto base = set.base_name();
    claim(tool_name("", base, "_search"));
    if (set.allow_write) {
      claim(tool_name("", base, "_upsert"));
      claim(tool_name("", base, "_delete"));
    }
  }
}

}  // namespace weir::mcp
