#include "mcp/http_session_config.hpp"

#include <charconv>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/rag/fusion.hpp"
#include "mcp/tool_names.hpp"

namespace weir::mcp {

namespace {

[[noreturn]] void fail(const std::string& header, const std::string& problem) {
  throw Error(ErrorKind::usage, header + ": " + problem);
}

std::string header_or_empty(const protocol::HttpRequestView& request, std::string_view lower_case_name) {
  auto value = request.header(lower_case_name);
  return value ? *value : std::string();
}

template <typename Number>
bool parse_number(const std::string& text, Number& value) {
  auto end = text.data() + text.size();
  auto [stop, problem] = std::from_chars(text.data(), end, value);
  return problem == std::errc() && stop == end;
}

int read_top_k(const std::string& text) {
  int value = 0;
  if (!parse_number(text, value)) fail("X-Mcp-Top-K", "must be a whole number 1..128, got '" + text + "'");
  check_top_k(value, "X-Mcp-Top-K");
  return value;
}

double read_min_score(const std::string& text) {
  double value = 0;
  if (!parse_number(text, value)) fail("X-Mcp-Min-Score", "must be a number 0.01..0.99, got '" + text + "'");
  check_min_score(value, "X-Mcp-Min-Score");
  return value;
}

bool read_flag(const std::string& header, const std::string& text) {
  std::string lower = ascii_lowercase(text);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  fail(header, "must be true or false, got '" + text + "'");
}

// Runs `check` and names `header` in the error it throws.
template <typename Check>
void blame(const std::string& header, Check check) {
  try {
    check();
  } catch (const Error& error) {
    fail(header, error.what());
  }
}

GatewayToolConfig gateway_from_headers(const protocol::HttpRequestView& request) {
  GatewayToolConfig gateway;
  gateway.gateway = header_or_empty(request, "x-mcp-model-name");
  if (gateway.gateway.empty())
    throw Error(ErrorKind::usage,
                "send the X-Mcp-Model-Name header: the gateway (id, slug or name) that answers the invoke tool");
  if (auto name = request.header("x-mcp-tool-name")) gateway.tool_name = *name;
  gateway.description = header_or_empty(request, "x-mcp-tool-description");
  gateway.title = header_or_empty(request, "x-mcp-tool-title");
  blame("X-Mcp-Tool-Name", [&] { (void)gateway.name(); });
  return gateway;
}

CollectionToolConfig collections_from_headers(const protocol::HttpRequestView& request) {
  CollectionToolConfig set;
  set.collections = split_list(header_or_empty(request, "x-mcp-collection-id"));
  for (auto& name : split_list(header_or_empty(request, "x-mcp-collection-name"))) set.collections.push_back(name);
  if (set.collections.empty())
    throw Error(ErrorKind::usage,
                "send the X-Mcp-Collection-Name header (collection names, comma-separated) or X-Mcp-Collection-Id "
                "(collection ids): the collections the search tool searches");
  set.tool_name = header_or_empty(request, "x-mcp-tool-name");
  if (auto value = request.header("x-mcp-top-k")) set.top_k = read_top_k(*value);
  if (auto value = request.header("x-mcp-min-score")) set.min_score = read_min_score(*value);
  if (auto value = request.header("x-mcp-reranker")) {
    set.reranker = *value;
    blame("X-Mcp-Reranker", [&] { parse_reranker(set.reranker); });
  }
  if (auto value = request.header("x-mcp-use-references"))
    set.include_references = read_flag("X-Mcp-Use-References", *value);
  if (auto value = request.header("x-mcp-allow-write")) set.allow_write = read_flag("X-Mcp-Allow-Write", *value);
  // _upsert and _delete are as long as _search.
  blame("X-Mcp-Tool-Name", [&] { (void)tool_name("", set.base_name(), "_search"); });
  return set;
}

}  // namespace

HttpSessionConfig session_config_from_headers(HttpEndpoint endpoint, const protocol::HttpRequestView& request) {
  HttpSessionConfig config;
  config.user = header_or_empty(request, "x-mcp-user");
  if (endpoint == HttpEndpoint::inference)
    config.tools.gateways.push_back(gateway_from_headers(request));
  else
    config.tools.collection_sets.push_back(collections_from_headers(request));
  config.tools.validate();
  return config;
}

}  // namespace weir::mcp
