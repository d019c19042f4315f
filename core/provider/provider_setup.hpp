// Provider setup — how `weir provider add` turns a name and some settings
// into a stored provider, decided in one place.
//
// A provider starts from the stored one of that name, else from the preset of
// that name (kind, base URL and key variable filled in), else from defaults;
// the given settings go on top (an empty or negative one leaves the value as
// it was; a key variable replaces a key command and the other way round). The
// result is checked: every kind but extractive needs a base URL starting with
// http:// or https:// (trailing slashes dropped), except bedrock, whose
// endpoint follows from the region when none is given; an azure one's path
// must name one of Azure's URL forms (azure_endpoint.hpp); headers are NAME:VALUE.
// A problem is Error(usage) naming the setting and what to give instead.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/provider/provider.hpp"

namespace weir {

struct ProviderSettings {
  std::string kind;
  std::string base_url;
  std::string api_key_env;
  std::string api_key_cmd;
  std::vector<std::string> headers;  // "NAME:VALUE"
  int connect_timeout_ms = 0;        // 0: unchanged
  int idle_timeout_ms = 0;           // 0: unchanged
  int total_timeout_ms = 0;          // 0: unchanged
  int max_retries = -1;              // negative: unchanged
  std::string region;                // bedrock: the AWS region
  std::string aws_profile;           // bedrock: the shared credentials file's profile
  // Budget fields as given ("usd_per_day" -> 5, "action" -> "warn"), merged
  // into the provider's budget block and checked with the gateway schema's
  // rows; a field given as 0 is kept (a budget of nothing: block at once).
  json budget = json::object();
};

ProviderConfig configure_provider(const std::string& name, const std::optional<ProviderConfig>& existing,
                                  const ProviderSettings& settings);

// The settings of `config` that hold a literal credential (core/redaction.hpp)
// rather than a reference to one, named for a notice: "the base URL",
// "header X-Api-Key". They are stored in the database (0600) and redacted
// wherever weir prints them, but a ${NAME} reference keeps them out of the
// store altogether (headers; api_key_env for the key itself).
std::vector<std::string> literal_credentials(const ProviderConfig& config);

}  // namespace weir
