#include "core/provider/aws_credentials.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/ascii_case.hpp"
#include "core/error.hpp"

namespace weir {

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string provider_label(const ProviderConfig& config) {
  return config.name.empty() ? std::string("the bedrock provider") : "provider '" + config.name + "'";
}

}  // namespace

std::string aws_profile_name(const ProviderConfig& config) {
  if (!config.aws_profile.empty()) return config.aws_profile;
  if (auto profile = environment("AWS_PROFILE"); !profile.empty()) return profile;
  return "default";
}

std::string aws_credentials_file_path() {
  if (auto path = environment("AWS_SHARED_CREDENTIALS_FILE"); !path.empty()) return path;
  return environment("HOME") + "/.aws/credentials";
}

std::optional<AwsCredentials> parse_aws_credentials_file(std::string_view text, std::string_view profile) {
  AwsCredentials found;
  bool in_section = false;
  bool section_seen = false;
  std::istringstream lines{std::string(text)};
  std::string raw;
  while (std::getline(lines, raw)) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      in_section = close != std::string_view::npos && trim(line.substr(1, close - 1)) == profile;
      section_seen = section_seen || in_section;
      continue;
    }
    if (!in_section) continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    std::string key = ascii_lowercase(trim(line.substr(0, equals)));
    std::string value(trim(line.substr(equals + 1)));
    if (key == "aws_access_key_id")
      found.access_key_id = value;
    else if (key == "aws_secret_access_key")
      found.secret_access_key = value;
    else if (key == "aws_session_token")
      found.session_token = value;
  }
  if (!section_seen || found.access_key_id.empty() || found.secret_access_key.empty()) return std::nullopt;
  return found;
}

AwsCredentials resolve_aws_credentials(const ProviderConfig& config) {
  std::string key_id = environment("AWS_ACCESS_KEY_ID");
  std::string secret = environment("AWS_SECRET_ACCESS_KEY");
  if (!key_id.empty() && !secret.empty()) return {key_id, secret, environment("AWS_SESSION_TOKEN")};
  if (!key_id.empty() || !secret.empty())
    throw Error(ErrorKind::authentication,
                provider_label(config) + ": " + (key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                    " is set but " + (key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                    " is not; export both (and AWS_SESSION_TOKEN for temporary credentials)");
  const std::string path = aws_credentials_file_path();
  const std::string profile = aws_profile_name(config);
  std::ifstream file(path);
  if (file) {
    std::stringstream text;
    text << file.rdbuf();
    if (auto credentials = parse_aws_credentials_file(text.str(), profile)) return *credentials;
    throw Error(ErrorKind::authentication,
                provider_label(config) + ": the credentials file " + path + " has no profile [" + profile +
                    "] with aws_access_key_id and aws_secret_access_key; add it, choose another with "
                    "`weir provider add " + config.name + " --aws-profile NAME` or AWS_PROFILE, or export "
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  throw Error(ErrorKind::authentication,
              provider_label(config) + " has no AWS credentials: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                       "(and AWS_SESSION_TOKEN for temporary ones), or write profile [" + profile +
                  "] to " + path + " (AWS_SHARED_CREDENTIALS_FILE names another file)");
}

namespace {
// A region becomes part of a host name the signed credentials are sent to, so
// it must be a region name and nothing else ("us-east-1", "eu-central-2"):
// "evil.example.com/" would send them elsewhere.
std::string checked_region(const ProviderConfig& config, std::string region, const char* source) {
  bool valid = !region.empty() && region.size() <= 32 && region.front() != '-' && region.back() != '-';
  for (char letter : region)
    if (!((letter >= 'a' && letter <= 'z') || (letter >= '0' && letter <= '9') || letter == '-')) valid = false;
  if (!valid)
    throw Error(ErrorKind::usage, provider_label(config) + ": '" + region + "' (" + source +
                                      ") is not an AWS region name; use lower-case letters, digits and dashes, e.g. "
                                      "us-east-1");
  return region;
}
}  // namespace

std::string resolve_aws_region(const ProviderConfig& config) {
  if (!config.region.empty()) return checked_region(config, config.region, "the provider's --region");
  if (auto region = environment("AWS_REGION"); !region.empty()) return checked_region(config, region, "AWS_REGION");
  if (auto region = environment("AWS_DEFAULT_REGION"); !region.empty())
    return checked_region(config, region, "AWS_DEFAULT_REGION");
  throw Error(ErrorKind::usage, provider_label(config) + " has no AWS region: set one with `weir provider add " +
                                    (config.name.empty() ? std::string("NAME") : config.name) +
                                    " --region us-east-1` (or export AWS_REGION)");
}

std::string aws_credentials_source(const ProviderConfig& config) {
  if (!environment("AWS_ACCESS_KEY_ID").empty()) return "$AWS_ACCESS_KEY_ID";
  return "profile " + aws_profile_name(config) + " of " + aws_credentials_file_path();
}

}  // namespace weir
