// Azure endpoint — how Azure OpenAI and Azure AI Foundry take OpenAI-wire
// calls. The bodies and answers are OpenAI's (openai_provider.hpp); only the
// URLs and the key header differ, in one of three forms decided from the path
// of the provider's base URL (docs/providers-azure.md):
//
// - deployments: `https://RESOURCE.openai.azure.com/openai` (or the bare
//   resource URL, which means the same). The gateway's model is the
//   DEPLOYMENT name: POST {base}/deployments/{deployment}/chat/completions
//   (and /embeddings) ?api-version=, the base URL's api-version or else
//   kAzureDeploymentsApiVersion. Deployments cannot be listed by the data
//   plane, so models() is Error(usage) saying where to find them.
// - v1: `https://RESOURCE.openai.azure.com/openai/v1`: POST {base}/chat/completions
//   and /embeddings with the model (deployment) in the body, GET {base}/models;
//   no api-version (one written into the base URL is kept).
// - foundry: `https://RESOURCE.services.ai.azure.com/models` (Azure AI Foundry
//   model inference): POST {base}/chat/completions and /embeddings
//   ?api-version= (the base URL's or kAzureFoundryApiVersion), model in the
//   body, `extra-parameters: pass-through` so OpenAI fields outside that
//   API's schema (stream_options, reasoning_effort) reach the model instead
//   of being refused; no model list (Error(usage)).
//
// Every form sends the key as `api-key: KEY`. For Microsoft Entra ID, leave
// the key out and configure `Authorization: Bearer ${AZURE_TOKEN}` as a header.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/provider/openai_endpoint.hpp"

namespace weir {

inline constexpr std::string_view kAzureDeploymentsApiVersion = "2024-10-21";
inline constexpr std::string_view kAzureFoundryApiVersion = "2024-05-01-preview";

enum class AzureForm { deployments, v1, foundry };

// The form a base URL's path names (case-insensitive; trailing slashes and
// the query ignored). Error(usage) for no base URL or another path, showing
// the three forms.
AzureForm azure_form(const ProviderConfig& config);

std::unique_ptr<OpenAiEndpoint> azure_endpoint(const ProviderConfig& config);

}  // namespace weir
