// POST /v1/embeddings — the OpenAI embeddings call over weir's embedders
// (core/rag/embedding_model.hpp):
//   {"model": "local" | COLLECTION | "@provider/model", "input": "text" | ["text", ...],
//    "encoding_format": "float" | "base64", "dimensions": N, "user": "..."}
// answers {"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
// "model", "usage": {"prompt_tokens", "total_tokens"}}. base64 is the
// little-endian float32 bytes, which the OpenAI SDKs ask for by default.
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/policy/caller_policy.hpp"
#include "core/rag/embedding_model.hpp"
#include "http/api_routes.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

std::vector<std::string> input_texts(const json& body) {
  auto found = body.find("input");
  if (found == body.end()) throw Error(ErrorKind::usage, "\"input\" is required: a text or a list of texts");
  if (found->is_string()) return {found->get<std::string>()};
  std::vector<std::string> texts;
  if (found->is_array()) {
    for (const auto& item : *found) {
      if (!item.is_string())
        throw Error(ErrorKind::usage, "\"input\" must hold texts; token arrays are not taken (send the text itself)");
      texts.push_back(item.get<std::string>());
    }
    return texts;
  }
  throw Error(ErrorKind::usage, "\"input\" must be a text or a list of texts");
}

std::string float_bytes_base64(const std::vector<float>& vector) {
  static_assert(sizeof(float) == 4);
  std::string bytes(vector.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), vector.data(), bytes.size());  // little-endian on every target weir builds for
  return base64_encode(bytes);
}

}  // namespace

void handle_embeddings(const Request& request, ResponseWriter& response, ApiContext& context) {
  require_allowed(request.caller, CallerAction::create_embeddings);
  auto body = parse_json_body(request);
  for (const auto& item : body.items())
    if (item.key() != "model" && item.key() != "input" && item.key() != "encoding_format" &&
        item.key() != "dimensions" && item.key() != "user")
      throw Error(ErrorKind::usage, "unknown field \"" + item.key() +
                                        "\"; the fields are model, input, encoding_format, dimensions and user");
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
    throw Error(ErrorKind::usage, "\"model\" is required: \"local\", a collection's name, or @provider/model");
  std::string encoding = "float";
  if (body.contains("encoding_format") && !body["encoding_format"].is_null()) {
    if (!body["encoding_format"].is_string() ||
        (body["encoding_format"] != "float" && body["encoding_format"] != "base64"))
      throw Error(ErrorKind::usage, "\"encoding_format\" is \"float\" or \"base64\"");
    encoding = body["encoding_format"].get<std::string>();
  }
  std::optional<int> dimensions;
  if (body.contains("dimensions") && !body["dimensions"].is_null()) {
    if (!body["dimensions"].is_number_integer() || body["dimensions"].get<long long>() < 1 ||
        body["dimensions"].get<long long>() > 65536)
      throw Error(ErrorKind::usage, "\"dimensions\" must be a positive integer");
    dimensions = body["dimensions"].get<int>();
  }
  auto database = context.pool.acquire();
  auto result = embed_for_model(*database, body["model"].get<std::string>(), input_texts(body), dimensions, CancelToken());
  json data = json::array();
  for (size_t index = 0; index < result.vectors.size(); ++index)
    data.push_back({{"object", "embedding"},
                    {"index", index},
                    {"embedding", encoding == "base64" ? json(float_bytes_base64(result.vectors[index]))
                                                       : json(result.vectors[index])}});
  response.send(200, "application/json",
                json{{"object", "list"},
                     {"data", std::move(data)},
                     {"model", result.model},
                     {"usage", {{"prompt_tokens", result.prompt_tokens}, {"total_tokens", result.prompt_tokens}}}}
                    .dump());
}

}  // namespace weir::http
