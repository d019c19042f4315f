#include "core/provider/openai_endpoint.hpp"

#include "core/provider/azure_endpoint.hpp"
#include "core/provider/upstream_call.hpp"

namespace weir {

namespace {

// OpenAI and every service that copies its paths: the model travels in the
// body, the key as a bearer token.
class StandardEndpoint final : public OpenAiEndpoint {
 public:
  std::string url(const ProviderConfig& config, OpenAiOperation operation, const std::string&) const override {
    return upstream_url(config, operation == OpenAiOperation::embeddings ? "/embeddings" : "/chat/completions");
  }
  std::string models_url(const ProviderConfig& config) const override { return upstream_url(config, "/models"); }
  std::pair<std::string, std::string> key_header(const std::string& key) const override {
    return {"Authorization", "Bearer " + key};
  }
  // Ollama and the local servers accept the field but do not promise to
  // enforce it.
  bool enforces_json_schema(const ProviderConfig& config) const override {
    return config.kind == ProviderKind::openai;
  }
};

}  // namespace

std::unique_ptr<OpenAiEndpoint> openai_endpoint_for(const ProviderConfig& config) {
  if (config.kind == ProviderKind::azure) return azure_endpoint(config);
  return std::make_unique<StandardEndpoint>();
}

}  // namespace weir
