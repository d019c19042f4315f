#include "core/engine/retrieval.hpp"

#include "core/engine/retrieval_strategy.hpp"
#include "core/error.hpp"
#include "core/rag/fusion.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

struct RewriteOutcome {
  std::string query;
  nlohmann::json usage_lines = nlohmann::json::array();
};

RewriteOutcome send_rewrite(const RetrievalInput& input, RetrievalStrategy strategy, Database& database) {
  ProviderConfig provider = input.main_provider;
  std::string model = input.main_model;
  if (!input.settings.rewrite_model.empty()) {
    auto slash = input.settings.rewrite_model.find('/');
    provider = ProviderRepository(database).resolve(input.settings.rewrite_model.substr(0, slash));
    model = input.settings.rewrite_model.substr(slash + 1);
  }
  auto adapter = input.providers ? (*input.providers)(provider) : make_provider(provider);
  if (!adapter->capabilities().query_rewrite)
    throw Error(ErrorKind::usage, "the " + std::string(to_string(provider.kind)) + " model '" + model +
                                      "' cannot rewrite queries; set rag.rewrite_model to a chat model "
                                      "(`--rewrite-model PROVIDER/MODEL`)");
  auto request = rewrite_request(input.conversation, strategy, input.settings.window, model);
  auto completion = adapter->chat(request, [](const StreamDelta&) {}, *input.rewrite_cancel);
  RewriteOutcome outcome;
  outcome.query = rewritten_query(completion);
  if (input.prices)
    outcome.usage_lines = input.prices->usage_lines(completion.usage.value_or(Usage{}), provider.name, model,
                                                    "query rewrite (" + std::string(to_string(strategy)) + ")");
  return outcome;
}

}  // namespace

RetrievalResult retrieve(const RetrievalInput& input, Database& database, Searcher& searcher,
                         const CancelToken& cancel) {
  const auto& settings = input.settings;
  RetrievalResult result;
  CollectionRepository repository(database);
  for (const auto& name : settings.collections) result.collections.push_back(repository.get(name));

  auto strategy = parse_retrieval_strategy(settings.strategy);
  const auto& model = input.main_capabilities;
  if (strategy == RetrievalStrategy::query_function &&
      (!model.tools || model.answers_from_documents || !input.tools_allowed))
    strategy = RetrievalStrategy::plain;  // no tools for it: search for it
  result.strategy = std::string(to_string(strategy));
  if (strategy == RetrievalStrategy::query_function) {
    result.offer_search_tools = true;
    return result;
  }

  if (strategy == RetrievalStrategy::concatenate) {
    result.query = concatenated_query(input.conversation, settings.window);
  } else if (is_rewrite(strategy)) {
    if (!input.rewrite_cancel) {
      result.rewrite_error = "a dry run sends no rewrite; searched with the last user message";
    } else {
      try {
        auto outcome = send_rewrite(input, strategy, database);
        result.query = outcome.query;
        result.rewrite_usage_lines = outcome.usage_lines;
      } catch (const Error& error) {
        if (error.kind() == ErrorKind::interrupted) throw;
        result.rewrite_error = std::string("the query rewrite failed (") + error.what() +
                               "); searched with the last user message instead";
      }
    }
  }
  if (result.query.empty()) result.query = plain_query(input.conversation);
  if (result.query.empty()) return result;  // no user text to search for

  SearchRequest request;
  for (const auto& collection : result.collections) request.collections.push_back(collection.id);
  request.terms = {result.query};
  request.top = settings.top;
  request.min_score = settings.min_score;
  request.reranker = parse_reranker(settings.reranker);
  request.include_references = settings.include_references;
  result.hits = searcher.search(request, cancel);
  return result;
}

}  // namespace weir
