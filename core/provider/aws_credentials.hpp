// AWS credentials and region — where a Bedrock provider's identity comes from,
// resolved at the moment a request is signed (principle 6: referenced, never
// stored by weir).
//
// Credentials, first found wins:
// 1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) in the
//    environment;
// 2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
//    ~/.aws/credentials), section [profile] where profile is the provider's
//    aws_profile, else AWS_PROFILE, else "default": aws_access_key_id,
//    aws_secret_access_key, aws_session_token.
// Nothing found is Error(authentication) saying what to set. Only one of the
// two key variables set is Error(authentication) too (a half-configured
// environment must not silently fall back to a file).
//
// Region: the provider's region, else AWS_REGION, else AWS_DEFAULT_REGION,
// else Error(usage) saying how to set one.
//
// Secrets never appear in an error message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/provider/aws_signature.hpp"
#include "core/provider/provider.hpp"

namespace weir {

AwsCredentials resolve_aws_credentials(const ProviderConfig& config);
std::string resolve_aws_region(const ProviderConfig& config);

// The profile resolve_aws_credentials() reads from the file.
std::string aws_profile_name(const ProviderConfig& config);
// The credentials file it reads (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).
std::string aws_credentials_file_path();

// The [profile] section of an INI credentials file's text; nullopt when the
// section is absent or lacks either key. Lines are `key = value`; `#` and `;`
// start comments; names are case-sensitive, keys are not.
std::optional<AwsCredentials> parse_aws_credentials_file(std::string_view text, std::string_view profile);

// Where the credentials would come from, for showing without reading them:
// "$AWS_ACCESS_KEY_ID" or "profile NAME of FILE".
std::string aws_credentials_source(const ProviderConfig& config);

}  // namespace weir
