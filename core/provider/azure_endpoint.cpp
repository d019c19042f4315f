#include "core/provider/azure_endpoint.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

constexpr std::string_view kForms =
    "use one of: https://RESOURCE.openai.azure.com/openai/v1 (v1 API), "
    "https://RESOURCE.openai.azure.com/openai (deployments; the model is the deployment name), "
    "https://RESOURCE.services.ai.azure.com/models (Azure AI Foundry model inference)";

// The base URL's path, lower case, without query, fragment or trailing slashes.
std::string lower_path_of(const std::string& base_url) {
  std::string url = base_url.substr(0, base_url.find_first_of("?#"));
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string path = slash == std::string::npos ? std::string() : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return ascii_lowercase(path);
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A deployment name is one path segment: anything but unreserved characters
// is percent-encoded, so a name can never reach another path.
std::string path_segment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    }
  }
  return encoded;
}

// `url` with api-version=`version` added, unless its query already names one.
std::string with_api_version(const std::string& url, std::string_view version) {
  auto question = url.find('?');
  if (question != std::string::npos) {
    std::string query = "&" + url.substr(question + 1);
    if (query.find("&api-version=") != std::string::npos) return url;
  }
  return url + (question == std::string::npos ? "?" : "&") + "api-version=" + std::string(version);
}

class AzureEndpoint final : public OpenAiEndpoint {
 public:
  AzureEndpoint(AzureForm form, bool bare_resource) : form_(form), bare_resource_(bare_resource) {}

  std::string url(const ProviderConfig& config, OpenAiOperation operation, const std::string& model) const override {
    const std::string call = operation == OpenAiOperation::embeddings ? "/embeddings" : "/chat/completions";
    switch (form_) {
      case AzureForm::deployments: {
        if (model.empty())
          throw Error(ErrorKind::usage, "provider '" + config.name +
                                            "' (Azure deployments form) needs a model: the deployment name, "
                                            "e.g. `weir gateway create G --provider " + config.name +
                                            " --model my-gpt-4o-deployment`");
        std::string path = (bare_resource_ ? "/openai/deployments/" : "/deployments/") + path_segment(model) + call;
        return with_api_version(upstream_url(config, path), kAzureDeploymentsApiVersion);
      }
      case AzureForm::v1:
        return upstream_url(config, call);
      case AzureForm::foundry:
        return with_api_version(upstream_url(config, call), kAzureFoundryApiVersion);
    }
    return upstream_url(config, call);
  }

  std::string models_url(const ProviderConfig& config) const override {
    switch (form_) {
      case AzureForm::v1:
        return upstream_url(config, "/models");
      case AzureForm::deployments:
        throw Error(ErrorKind::usage,
                    "provider '" + config.name +
                        "' uses Azure's deployments URL form, whose API cannot list deployments; find their names "
                        "in the Azure AI Foundry portal (Deployments) or with `az cognitiveservices account "
                        "deployment list -g GROUP -n RESOURCE`, or switch the base URL to the v1 form "
                        "(https://RESOURCE.openai.azure.com/openai/v1), which lists models");
      case AzureForm::foundry:
        break;
    }
    throw Error(ErrorKind::usage,
                "provider '" + config.name +
                    "' uses Azure AI Foundry model inference (/models), which has no model list; the model is a "
                    "deployment name from the Foundry portal (Models + endpoints)");
  }

  std::pair<std::string, std::string> key_header(const std::string& key) const override { return {"api-key", key}; }

  // The model inference API rejects body fields outside its schema (such as
  // stream_options, reasoning_effort, top_k) unless told to pass them on to
  // the model, which is what an OpenAI-wire client means by sending them.
  std::vector<std::pair<std::string, std::string>> fixed_headers() const override {
    if (form_ == AzureForm::foundry) return {{"extra-parameters", "pass-through"}};
    return {};
  }

  // Azure OpenAI enforces structured outputs; the Foundry endpoint serves
  // models of every vendor, which may not.
  bool enforces_json_schema(const ProviderConfig&) const override { return form_ != AzureForm::foundry; }

 private:
  AzureForm form_;
  bool bare_resource_;
};

}  // namespace

AzureForm azure_form(const ProviderConfig& config) {
  if (config.base_url.empty())
    throw Error(ErrorKind::usage, "provider '" + config.name + "' (azure) needs --base-url, your Azure endpoint, e.g. "
                                  "`weir provider add " + config.name +
                                  " --base-url https://RESOURCE.openai.azure.com/openai/v1`; " + std::string(kForms));
  std::string path = lower_path_of(config.base_url);
  if (ends_with(path, "/openai/v1")) return AzureForm::v1;
  if (path.empty() || ends_with(path, "/openai")) return AzureForm::deployments;
  if (ends_with(path, "/models")) return AzureForm::foundry;
  throw Error(ErrorKind::usage, "provider '" + config.name + "' (azure): the base URL " + redact_url(config.base_url) +
                                    " is none of Azure's forms; " + std::string(kForms));
}

std::unique_ptr<OpenAiEndpoint> azure_endpoint(const ProviderConfig& config) {
  AzureForm form = azure_form(config);
  return std::make_unique<AzureEndpoint>(form, lower_path_of(config.base_url).empty());
}

}  // namespace weir
