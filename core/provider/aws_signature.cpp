#include "core/provider/aws_signature.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "core/ascii_case.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/net/percent_encoding.hpp"

namespace weir {

namespace {

// Leading and trailing spaces dropped, runs of spaces inside made one.
std::string trimmed_value(std::string_view value) {
  std::string result;
  bool pending_space = false;
  for (char character : value) {
    if (character == ' ' || character == '\t') {
      pending_space = !result.empty();
      continue;
    }
    if (pending_space) result += ' ';
    pending_space = false;
    result += character;
  }
  return result;
}

int hex_digit(char character) {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  if (character >= 'A' && character <= 'F') return character - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string result;
  for (size_t position = 0; position < text.size(); ++position) {
    if (text[position] == '%' && position + 2 < text.size()) {
      int high = hex_digit(text[position + 1]);
      int low = hex_digit(text[position + 2]);
      if (high >= 0 && low >= 0) {
        result += static_cast<char>(high * 16 + low);
        position += 2;
        continue;
      }
    }
    result += text[position];
  }
  return result;
}

struct UrlParts {
  std::string scheme;
  std::string host;  // as the Host header carries it: no userinfo, no default port
  std::string path;
  std::string query;
};

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  if (auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    parts.scheme = ascii_lowercase(url.substr(0, scheme_end));
    url.remove_prefix(scheme_end + 3);
  }
  auto authority_end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, authority_end);
  url = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string host = ascii_lowercase(authority);
  if ((parts.scheme == "https" && host.ends_with(":443")) || (parts.scheme == "http" && host.ends_with(":80")))
    host.erase(host.rfind(':'));
  parts.host = host;
  auto question = url.find('?');
  parts.path = std::string(url.substr(0, question));
  if (question != std::string_view::npos) parts.query = std::string(url.substr(question + 1));
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

// Each segment of the path as sent, encoded once more (SigV4 for non-S3).
std::string canonical_uri(const std::string& path) { return percent_encode(path, true); }

std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view pair(query.data() + start, end - start);
    if (!pair.empty()) {
      auto equals = pair.find('=');
      std::string name = percent_decode(pair.substr(0, equals));
      std::string value = equals == std::string_view::npos ? std::string() : percent_decode(pair.substr(equals + 1));
      parameters.emplace_back(percent_encode(name, false), percent_encode(value, false));
    }
    start = end + 1;
  }
  std::sort(parameters.begin(), parameters.end());
  std::string result;
  for (const auto& [name, value] : parameters) result += (result.empty() ? "" : "&") + name + "=" + value;
  return result;
}

}  // namespace

std::string aws_timestamp(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

AwsSignature sign_aws_request(const AwsSigningInput& input, const AwsCredentials& credentials) {
  const UrlParts url = split_url(input.url);
  const std::string timestamp = aws_timestamp(input.time);
  const std::string date = timestamp.substr(0, 8);
  const std::string payload_hash = sha256_hex(input.body);

  AwsSignature result;
  result.headers_to_add.emplace_back("X-Amz-Date", timestamp);
  if (input.content_sha256_header) result.headers_to_add.emplace_back("X-Amz-Content-Sha256", payload_hash);
  if (!credentials.session_token.empty())
    result.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);

  // Name (lower case) -> values in order; repeated headers are joined with ','.
  std::map<std::string, std::string> canonical;
  auto add = [&](const std::string& name, const std::string& value) {
    auto& slot = canonical[ascii_lowercase(name)];
    slot += (slot.empty() ? "" : ",") + trimmed_value(value);
  };
  for (const auto& [name, value] : input.headers) add(name, value);
  if (!canonical.contains("host")) add("host", url.host);
  for (const auto& [name, value] : result.headers_to_add) add(name, value);

  std::string canonical_headers;
  for (const auto& [name, value] : canonical) {
    canonical_headers += name + ":" + value + "\n";
    result.signed_headers += (result.signed_headers.empty() ? "" : ";") + name;
  }
  result.canonical_request = input.method + "\n" + canonical_uri(url.path) + "\n" + canonical_query(url.query) + "\n" +
                             canonical_headers + "\n" + result.signed_headers + "\n" + payload_hash;
  result.credential_scope = date + "/" + input.region + "/" + input.service + "/aws4_request";
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + timestamp + "\n" + result.credential_scope + "\n" +
                          sha256_hex(result.canonical_request);

  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, input.region);
  key = hmac_sha256(key, input.service);
  key = hmac_sha256(key, "aws4_request");
  result.signing_key_hex = to_hex(key);
  result.signature = to_hex(hmac_sha256(key, result.string_to_sign));
  result.headers_to_add.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id +
                                                          "/" + result.credential_scope +
                                                          ", SignedHeaders=" + result.signed_headers +
                                                          ", Signature=" + result.signature);
  return result;
}

}  // namespace weir
