// POST /v1/collections/search — `weir collection search` over HTTP:
//   {"collections": ["docs"] | "docs,faq", "terms": ["..."] | "query": "...",
//    "top": 5, "min_score": 0.2, "reranker": "lexical", "mode": "hybrid",
//    "include_references": false, "tags": ["..."]}
// answers {"results": [{collection, docid, ref, tags, meta, text, score}]},
// best first — the same document as `collection search --json`.
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "http/api_routes.hpp"
#include "core/rag/search.hpp"
#include "core/rag/search_terms.hpp"
#include "core/rag/shared_searcher.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

std::vector<std::string> string_list(const json& value, const char* field, bool split_commas) {
  std::vector<std::string> list;
  auto add = [&](const std::string& text) {
    if (!split_commas) {
      list.push_back(text);
      return;
    }
    for (auto& name : split_collection_names(text)) list.push_back(std::move(name));
  };
  if (value.is_string()) {
    add(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (!item.is_string()) throw Error(ErrorKind::usage, std::string("\"") + field + "\" must hold strings only");
      add(item.get<std::string>());
    }
  } else {
    throw Error(ErrorKind::usage, std::string("\"") + field + "\" must be a string or an array of strings");
  }
  return list;
}

template <typename Number>
Number number_field(const json& body, const char* field, Number fallback) {
  auto found = body.find(field);
  if (found == body.end() || found->is_null()) return fallback;
  if (!found->is_number()) throw Error(ErrorKind::usage, std::string("\"") + field + "\" must be a number");
  return found->get<Number>();
}

}  // namespace

void handle_collection_search(const Request& request, ResponseWriter& response, ApiContext& context) {
  require_allowed(request.caller, CallerAction::search_collections);
  auto body = parse_json_body(request);
  static const std::set<std::string> kFields = {"collections", "terms", "query", "top", "min_score", "reranker",
                                                "mode", "include_references", "tags"};
  for (const auto& item : body.items())
    if (!kFields.count(item.key()))
      throw Error(ErrorKind::usage, "unknown field \"" + item.key() +
                                        "\"; a search takes collections, terms (or query), top, min_score, reranker, "
                                        "mode, include_references and tags");
  SearchRequest search;
  if (!body.contains("collections")) throw Error(ErrorKind::usage, "\"collections\" is required: names or ids");
  search.collections = string_list(body["collections"], "collections", true);
  if (body.contains("terms") && body.contains("query")) throw Error(ErrorKind::usage, "send \"terms\" or \"query\", not both");
  if (body.contains("terms")) search.terms = string_list(body["terms"], "terms", false);
  else if (body.contains("query")) search.terms = string_list(body["query"], "query", false);
  else throw Error(ErrorKind::usage, "\"terms\" (an array of search terms) or \"query\" (one string) is required");
  if (search.collections.empty()) throw Error(ErrorKind::usage, "\"collections\" names no collection");
  search.top = number_field(body, "top", search.top);
  search.min_score = number_field(body, "min_score", search.min_score);
  if (body.contains("reranker")) {
    if (!body["reranker"].is_string()) throw Error(ErrorKind::usage, "\"reranker\" must be a string");
    search.reranker = parse_reranker(body["reranker"].get<std::string>());
  }
  if (body.contains("mode")) {
    if (!body["mode"].is_string()) throw Error(ErrorKind::usage, "\"mode\" must be hybrid, lexical or dense");
    search.retrieval = parse_retrieval(body["mode"].get<std::string>());
  }
  if (body.contains("include_references")) {
    if (!body["include_references"].is_boolean()) throw Error(ErrorKind::usage, "\"include_references\" must be true or false");
    search.include_references = body["include_references"].get<bool>();
  }
  if (body.contains("tags")) search.tags = string_list(body["tags"], "tags", false);
  check_search_terms(search.terms);
  validate_search_request(search);

  CancelToken cancel;
  response.on_disconnect([cancel] { cancel.cancel(); });
  auto hits = context.searcher->search(search, cancel);
  auto results = json::array();
  for (const auto& hit : hits) results.push_back(hit.to_json());
  response.send(200, "application/json", json{{"results", results}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace weir::http
