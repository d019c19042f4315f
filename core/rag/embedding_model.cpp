#include "core/rag/embedding_model.hpp"

#include <nlohmann/json.hpp>

#include "core/engine/context_budget.hpp"
#include "core/error.hpp"
#include "core/provider/provider.hpp"
#include "core/rag/embedder.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

void check_inputs(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw Error(ErrorKind::usage, "\"input\" is empty; send a text or a list of texts");
  if (inputs.size() > kMostEmbeddingInputs)
    throw Error(ErrorKind::usage, "\"input\" has " + std::to_string(inputs.size()) + " texts; send at most " +
                                      std::to_string(kMostEmbeddingInputs) + " per request");
  for (size_t index = 0; index < inputs.size(); ++index) {
    if (inputs[index].empty())
      throw Error(ErrorKind::usage, "\"input\"[" + std::to_string(index) + "] is empty; every text needs a character");
    if (inputs[index].size() > kMostEmbeddingInputBytes)
      throw Error(ErrorKind::too_large, "\"input\"[" + std::to_string(index) + "] is " +
                                            std::to_string(inputs[index].size()) + " bytes; the most is " +
                                            std::to_string(kMostEmbeddingInputBytes));
  }
}

long long estimated_tokens(const std::vector<std::string>& inputs) {
  long long tokens = 0;
  for (const auto& text : inputs) tokens += estimate_tokens(nlohmann::json::array({{{"role", "user"}, {"content", text}}}));
  return tokens;
}

}  // namespace

EmbeddingResult embed_for_model(Database& database, const std::string& model, const std::vector<std::string>& inputs,
                                std::optional<int> dimensions, const CancelToken& cancel) {
  check_inputs(inputs);
  EmbeddingResult result;
  result.model = model;
  std::string bare = !model.empty() && model.front() == '@' ? model.substr(1) : model;
  auto slash = bare.find('/');
  if (slash != std::string::npos && slash > 0 && slash + 1 < bare.size()) {
    auto provider = make_provider(ProviderRepository(database).resolve(bare.substr(0, slash)));
    result.vectors = provider->embeddings(bare.substr(slash + 1), inputs, cancel);
    if (dimensions && !result.vectors.empty() && static_cast<int>(result.vectors.front().size()) != *dimensions)
      throw Error(ErrorKind::usage, "model '" + model + "' gives " + std::to_string(result.vectors.front().size()) +
                                        "-dimension vectors, not " + std::to_string(*dimensions));
    result.prompt_tokens = estimated_tokens(inputs);
    return result;
  }
  std::unique_ptr<Embedder> embedder;
  if (model == "local") {
    embedder = make_embedder("local", dimensions.value_or(0), database);
    if (inputs.size() * static_cast<size_t>(embedder->dimension()) > kMostEmbeddingFloats)
      throw Error(ErrorKind::too_large, std::to_string(inputs.size()) + " texts of " +
                                            std::to_string(embedder->dimension()) +
                                            " dimensions is more than one request may ask for; send fewer texts at once");
  } else if (auto collection = CollectionRepository(database).find(model)) {
    if (dimensions && *dimensions != collection->dimension)
      throw Error(ErrorKind::usage, "collection '" + collection->name + "' holds " +
                                        std::to_string(collection->dimension) + "-dimension vectors; \"dimensions\" " +
                                        std::to_string(*dimensions) + " cannot match them (leave it out)");
    embedder = make_embedder(collection->embedder, collection->dimension, database);
  } else {
    throw Error(ErrorKind::not_found, "no embedding model '" + model +
                                          "': name \"local\", a collection (its embedder), or @PROVIDER/MODEL");
  }
  result.vectors = embedder->embed(inputs, EmbeddingRole::document, cancel);
  result.prompt_tokens = estimated_tokens(inputs);
  return result;
}

}  // namespace weir
