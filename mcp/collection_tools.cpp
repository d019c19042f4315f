#include "mcp/collection_tools.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/cancellation.hpp"
#include "core/rag/ingest.hpp"
#include "core/rag/search.hpp"
#include "core/rag/search_terms.hpp"
#include "core/store/database.hpp"
#include "mcp/tool_errors.hpp"
#include "mcp/tool_names.hpp"

namespace weir::mcp {

using json = nlohmann::json;
using protocol::CallContext;
using protocol::ToolResult;

namespace {

std::string collections_source(const CollectionToolConfig& config) {
  std::string names;
  for (const auto& name : config.collections) names += (names.empty() ? "" : ",") + name;
  return "collections '" + names + "'";
}

std::string list_names(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "'" : ", '") + name + "'";
  return list;
}

json hit_schema() {
  return {{"type", "object"},
          {"properties",
           {{"docid", {{"type", "string"}}},
            {"collection", {{"type", "string"}}},
            {"score", {{"type", "number"}, {"description", "0..1, higher is a better match"}}},
            {"text", {{"type", "string"}}},
            {"ref", {{"type", {"string", "null"}}}},
            {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}},
            {"meta", {{"type", "object"}}},
            {"reference_of",
             {{"type", "string"}, {"description", "set when the document was added as a reference of this docid"}}}}},
          {"required", {"docid", "collection", "score", "text"}}};
}

std::string format_results(const std::vector<SearchHit>& hits) {
  std::string text;
  size_t number = 0;
  for (const auto& hit : hits) {
    char score[16];
    std::snprintf(score, sizeof score, "%.3f", hit.score);
    text += "[" + std::to_string(++number) + "] docid: " + hit.document.docid + " | collection: " + hit.collection +
            " | score: " + score;
    if (hit.document.ref) text += " | ref: " + *hit.document.ref;
    if (!hit.reference_of.empty()) text += " | reference of: " + hit.reference_of;
    text += "\n" + hit.document.text + "\n\n";
  }
  return text;
}

// The `collection` argument of write tools: required, and one of the set's,
// only when the set has several.
struct CollectionChoice {
  std::string collection;
  std::string problem;
};

CollectionChoice choose_collection(const CollectionToolConfig& config, const json& arguments) {
  if (config.collections.size() == 1) {
    if (arguments.contains("collection") && arguments["collection"] != config.collections.front())
      return {{}, "this tool writes only to '" + config.collections.front() + "'; leave out 'collection'."};
    return {config.collections.front(), {}};
  }
  auto found = arguments.find("collection");
  if (found == arguments.end() || !found->is_string())
    return {{}, "'collection' is required: one of " + list_names(config.collections) + "."};
  for (const auto& collection : config.collections)
    if (collection == *found) return {collection, {}};
  return {{}, "'collection' must be one of " + list_names(config.collections) + ", not '" +
                  found->get<std::string>() + "'."};
}

json with_collection_property(json schema, const CollectionToolConfig& config) {
  if (config.collections.size() > 1) {
    schema["properties"]["collection"] = {
        {"type", "string"}, {"enum", config.collections}, {"description", "The collection to write to"}};
    schema["required"].push_back("collection");
  }
  return schema;
}

std::string unknown_argument(const json& arguments, const std::vector<std::string>& known) {
  for (const auto& item : arguments.items())
    if (std::find(known.begin(), known.end(), item.key()) == known.end())
      return "unknown argument '" + item.key() + "'; this tool takes " + list_names(known) + ".";
  return {};
}

void add_search_tool(protocol::ToolSet& tools, const CollectionToolConfig& config, SharedSearcher& searcher) {
  protocol::ToolDefinition definition;
  definition.name = tool_name("", config.base_name(), "_search");
  definition.source = collections_source(config);
  definition.title = "Search " + list_names(config.collections);
  definition.description =
      "Searches the knowledge collection" + std::string(config.collections.size() > 1 ? "s " : " ") +
      list_names(config.collections) +
      " (keyword BM25 and semantic vector search combined) and returns the best passages, each with its docid, "
      "collection and score (0..1). Give 1 to 10 short search terms (500 characters in all); each term is "
      "searched and the results are merged, so several phrasings of one question find more.";
  definition.input_schema = {
      {"type", "object"},
      {"properties",
       {{"search_terms",
         {{"type", "array"},
          {"items", {{"type", "string"}, {"minLength", 1}}},
          {"minItems", 1},
          {"maxItems", kMostSearchTerms},
          {"description", "Search terms or questions, searched separately and merged"}}}}},
      {"required", {"search_terms"}},
      {"additionalProperties", false}};
  definition.output_schema = {
      {"type", "object"},
      {"properties", {{"results", {{"type", "array"}, {"items", hit_schema()}}}}},
      {"required", {"results"}}};
  definition.annotations = {{"readOnlyHint", true}, {"openWorldHint", false}};

  tools.add(std::move(definition), [config, &searcher](const json& arguments, CallContext& context) {
    auto problem = unknown_argument(arguments, {"search_terms"});
    if (!problem.empty()) return ToolResult::error(problem);
    SearchRequest request;
    try {
      request.terms = search_terms_argument(arguments);
    } catch (const Error& error) {
      return ToolResult::error(std::string(error.what()) + ".");
    }
    request.collections = config.collections;
    request.top = config.top_k;
    request.min_score = config.min_score;
    request.reranker = parse_reranker(config.reranker);
    request.include_references = config.include_references;

    CancelToken cancel;
    context.on_cancel([cancel] { cancel.cancel(); });
    try {
      auto hits = searcher.search(request, cancel);
      auto results = json::array();
      for (const auto& hit : hits) results.push_back(hit.to_json());
      char minimum[16];
      std::snprintf(minimum, sizeof minimum, "%.2f", config.min_score);
      auto result = ToolResult::text(
          hits.empty() ? "No results at or above score " + std::string(minimum) + ". Try other or broader search terms."
                       : format_results(hits));
      result.structured_content = {{"results", results}};
      return result;
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

void add_upsert_tool(protocol::ToolSet& tools, const CollectionToolConfig& config, DatabasePool& pool) {
  protocol::ToolDefinition definition;
  definition.name = tool_name("", config.base_name(), "_upsert");
  definition.source = collections_source(config);
  definition.title = "Add or update a document in " + list_names(config.collections);
  definition.description =
      "Adds a document to the knowledge collection" + std::string(config.collections.size() > 1 ? "s " : " ") +
      list_names(config.collections) +
      ", or replaces the document with the same docid. It is searchable as soon as this returns.";
  definition.input_schema = with_collection_property(
      {{"type", "object"},
       {"properties",
        {{"docid", {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}, {"description", "Unique key of the document"}}},
         {"text", {{"type", "string"}, {"minLength", 1}, {"description", "The document's text"}}},
         {"ref", {{"type", "string"}, {"maxLength", 64}, {"description", "Groups documents from one source"}}},
         {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}},
         {"meta", {{"type", "object"}, {"description", "Any JSON object kept with the document"}}}}},
       {"required", {"docid", "text"}},
       {"additionalProperties", false}},
      config);
  definition.annotations = {{"readOnlyHint", false}, {"destructiveHint", true}, {"idempotentHint", true},
                            {"openWorldHint", false}};

  tools.add(std::move(definition), [config, &pool](const json& arguments, CallContext& context) {
    std::vector<std::string> known = {"docid", "text", "ref", "tags", "meta"};
    if (config.collections.size() > 1) known.push_back("collection");
    auto problem = unknown_argument(arguments, known);
    if (!problem.empty()) return ToolResult::error(problem);
    auto choice = choose_collection(config, arguments);
    if (!choice.problem.empty()) return ToolResult::error(choice.problem);
    if (!arguments.contains("docid") || !arguments["docid"].is_string())
      return ToolResult::error("'docid' is required: a string of 1 to 256 characters.");
    if (!arguments.contains("text") || !arguments["text"].is_string())
      return ToolResult::error("'text' is required: the document's text.");
    Document document;
    document.docid = arguments["docid"];
    document.text = arguments["text"];
    if (arguments.contains("ref") && !arguments["ref"].is_null()) {
      if (!arguments["ref"].is_string()) return ToolResult::error("'ref' must be a string.");
      document.ref = arguments["ref"].get<std::string>();
    }
    if (arguments.contains("tags")) document.tags = arguments["tags"];
    if (arguments.contains("meta")) document.meta = arguments["meta"];

    CancelToken cancel;
    context.on_cancel([cancel] { cancel.cancel(); });
    try {
      auto database = pool.acquire();
      auto counts = upsert_document(*database, pool.paths(), choice.collection, document, cancel);
      std::string what = counts.added     ? "added"
                         : counts.updated ? "updated (text changed)"
                         : counts.meta_only ? "updated (ref, tags or meta changed)"
                                            : "unchanged (identical to the stored document)";
      return ToolResult::text("'" + document.docid + "' in '" + choice.collection + "': " + what + ".");
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

void add_delete_tool(protocol::ToolSet& tools, const CollectionToolConfig& config, DatabasePool& pool) {
  protocol::ToolDefinition definition;
  definition.name = tool_name("", config.base_name(), "_delete");
  definition.source = collections_source(config);
  definition.title = "Delete a document from " + list_names(config.collections);
  definition.description = "Deletes the document with this docid from the knowledge collection" +
                           std::string(config.collections.size() > 1 ? "s " : " ") + list_names(config.collections) + ".";
  definition.input_schema = with_collection_property(
      {{"type", "object"},
       {"properties", {{"docid", {{"type", "string"}, {"minLength", 1}, {"description", "The document to delete"}}}}},
       {"required", {"docid"}},
       {"additionalProperties", false}},
      config);
  definition.annotations = {{"readOnlyHint", false}, {"destructiveHint", true}, {"idempotentHint", true},
                            {"openWorldHint", false}};

  tools.add(std::move(definition), [config, &pool](const json& arguments, CallContext&) {
    std::vector<std::string> known = {"docid"};
    if (config.collections.size() > 1) known.push_back("collection");
    auto problem = unknown_argument(arguments, known);
    if (!problem.empty()) return ToolResult::error(problem);
    auto choice = choose_collection(config, arguments);
    if (!choice.problem.empty()) return ToolResult::error(choice.problem);
    if (!arguments.contains("docid") || !arguments["docid"].is_string())
      return ToolResult::error("'docid' is required: the document to delete.");
    auto docid = arguments["docid"].get<std::string>();
    try {
      auto database = pool.acquire();
      if (!delete_document(*database, pool.paths(), choice.collection, docid))
        return ToolResult::error("there is no document '" + docid + "' in '" + choice.collection +
                                 "'; search first to find the docid.");
      return ToolResult::text("deleted '" + docid + "' from '" + choice.collection + "'.");
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

}  // namespace

void add_collection_tools(protocol::ToolSet& tools, const CollectionToolConfig& config, DatabasePool& pool,
                          SharedSearcher& searcher) {
  add_search_tool(tools, config, searcher);
  if (config.allow_write) {
    add_upsert_tool(tools, config, pool);
    add_delete_tool(tools, config, pool);
  }
}

}  // namespace weir::mcp
