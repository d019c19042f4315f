// OpenAI endpoint — where an OpenAI-wire service takes each call and which
// header carries its key: the one thing the OpenAI-wire kinds differ in.
//
// OpenAiProvider builds every body and reads every answer the same way for
// openai, ollama and azure; it asks its endpoint (chosen from the provider's
// kind by openai_endpoint_for) for a call's URL and for the key header.
// - The standard endpoint: {base_url}/chat/completions, /embeddings and
//   /models, the key as `Authorization: Bearer KEY`.
// - Azure's three URL forms (azure_endpoint.hpp): deployments in the path,
//   api-version queries, the key as `api-key: KEY`.
// An endpoint is immutable and holds no secret: it is given the key (or its
// placeholder) when a request is built. A service that cannot list its
// models throws Error(usage) from models_url(), saying why and what to do.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/provider/provider.hpp"

namespace weir {

enum class OpenAiOperation { chat_completions, embeddings };

class OpenAiEndpoint {
 public:
  virtual ~OpenAiEndpoint() = default;
  // The URL of a chat-completions or embeddings call for `model` (an endpoint
  // that routes by deployment puts the model in the path).
  virtual std::string url(const ProviderConfig& config, OpenAiOperation operation, const std::string& model) const = 0;
  // The URL of GET model list; Error(usage) when the service has none.
  virtual std::string models_url(const ProviderConfig& config) const = 0;
  // The header that carries `key` (a real key, or a placeholder to show).
  virtual std::pair<std::string, std::string> key_header(const std::string& key) const = 0;
  // Headers every call carries besides the key (Foundry's extra-parameters);
  // configured headers of the same name replace them.
  virtual std::vector<std::pair<std::string, std::string>> fixed_headers() const { return {}; }
  // Whether the service enforces response_format json_schema itself.
  virtual bool enforces_json_schema(const ProviderConfig& config) const = 0;
};

// The endpoint of the provider's kind: Azure's for ProviderKind::azure, else
// the standard one. Error(usage) for an azure base URL of no known form.
std::unique_ptr<OpenAiEndpoint> openai_endpoint_for(const ProviderConfig& config);

}  // namespace weir
