#include "core/tools/collection_search_source.hpp"

#include <cctype>

#include "core/engine/document_injection.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/rag/fusion.hpp"
#include "core/rag/search_terms.hpp"

namespace weir {

std::string search_tool_name(const std::string& collection_name) {
  std::string name;
  for (unsigned char character : collection_name)
    name += (std::isalnum(character) || character == '_' || character == '-') ? static_cast<char>(character) : '_';
  const std::string suffix = "_search";
  if (name.size() > 64 - suffix.size()) name.resize(64 - suffix.size());
  return name + suffix;
}

CollectionSearchSource::CollectionSearchSource(const RagSettings& settings, const std::vector<Collection>& collections,
                                               Searcher& searcher)
    : settings_(settings), collections_(collections), searcher_(searcher) {
  for (size_t index = 0; index < collections_.size(); ++index) {
    auto name = search_tool_name(collections_[index].name);
    if (!by_tool_name_.emplace(name, index).second)
      throw Error(ErrorKind::usage, "collections '" + collections_[by_tool_name_[name]].name + "' and '" +
                                        collections_[index].name + "' would both get the search tool '" + name +
                                        "'; rename one of them");
  }
}

nlohmann::json CollectionSearchSource::definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& collection : collections_) {
    std::string description = "Search the knowledge collection '" + collection.name + "'";
    if (!collection.context.empty()) description += " (" + collection.context + ")";
    description +=
        ". Returns the most relevant documents, each with its collection, docid and ref. Call it before answering "
        "a question the collection may cover; give several short search terms to cover different phrasings.";
    tools.push_back(
        {{"type", "function"},
         {"function",
          {{"name", search_tool_name(collection.name)},
           {"description", description},
           {"parameters",
            {{"type", "object"},
             {"properties",
              {{"search_terms",
                {{"type", "array"},
                 {"items", {{"type", "string"}}},
                 {"minItems", 1},
                 {"maxItems", kMostSearchTerms},
                 {"description", "Search terms or questions (at most 10, 500 characters in all)"}}}}},
             {"required", {"search_terms"}}}}}}});
  }
  return tools;
}

ToolOutput CollectionSearchSource::run(const ToolCall& call, const ToolCallContext& context) {
  auto it = by_tool_name_.find(call.name);
  if (it == by_tool_name_.end()) throw Error(ErrorKind::usage, "there is no tool named '" + call.name + "'");
  auto read = read_json(call.arguments.empty() ? "{}" : call.arguments);
  if (!read.ok())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " are not acceptable JSON: " +
                                      read.problem->description + "; send {\"search_terms\": [\"...\"]}");
  const auto& arguments = read.value;
  if (!arguments.is_object())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " are not a JSON object; send {\"search_terms\": [\"...\"]}");
  std::vector<std::string> terms;
  try {
    terms = search_terms_argument(arguments);
  } catch (const Error& error) {
    throw Error(error.kind(), call.name + ": " + error.what());
  }

  SearchRequest request;
  request.collections = {collections_[it->second].id};
  request.terms = terms;
  request.top = settings_.top;
  request.min_score = settings_.min_score;
  request.reranker = parse_reranker(settings_.reranker);
  request.include_references = settings_.include_references;
  auto hits = searcher_.search(request, context.cancel);
  if (hits.empty())
    return "No documents in the collection '" + collections_[it->second].name + "' matched those search terms.";
  return format_documents(hits, "");
}

}  // namespace weir
