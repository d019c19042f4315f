// Redaction — the one rule for which parts of a URL or a header are secret,
// and how they are shown when they must not be revealed.
//
// Everything weir prints or sends to someone else (error messages and so the
// HTTP error bodies, MCP tool errors and request-log rows built from them,
// `provider show|list`, `chat --dry-run`) passes URLs and headers through
// here first. Each secret is replaced by kRedacted ("****") in full: no last
// characters are kept, since a short key would be half given away.
//
// What is secret:
// - in a URL: the userinfo password (`user:****@`), or the user when there is
//   no password (a token used as the user name: `****@`); the value of every
//   query parameter whose name looks secret (is_secret_parameter_name);
// - in a header: the value of a credential header (is_credential_header),
//   after its auth scheme (`Bearer ****`, `****`), unless that value is only
//   a reference to where the secret lives (`${VAR}`, `$VAR`, `$(command)`),
//   which is shown as it is.
//
// Every function is pure and total: text that is not a well-formed URL is
// redacted as far as it can be read, never rejected.
#pragma once

#include <string>
#include <string_view>

namespace weir {

inline constexpr std::string_view kRedacted = "****";

// True for query parameter names that carry credentials, case-insensitively
// and with '-' the same as '_': key, sig, code, pass and anything containing
// key, token, secret, password, passwd, signature, credential or auth
// (api-key, api_key, access_token, X-Amz-Signature, client_secret, ...).
bool is_secret_parameter_name(std::string_view name);

// True for header names that carry credentials, case-insensitively:
// Authorization, Proxy-Authorization, Cookie, and any name containing key,
// token, secret, password, signature, credential or auth (X-Api-Key, Api-Key,
// X-Auth-Token, ...).
bool is_credential_header(std::string_view name);

// The URL with its secrets replaced (see above); anything else unchanged.
std::string redact_url(std::string_view url);

// The header's value as it may be shown: unchanged for a header that is not
// a credential or a value that only references a secret; otherwise the auth
// scheme word, if any, followed by kRedacted.
std::string redact_header_value(std::string_view name, std::string_view value);

// Free text (an error message, a log row) with every http:// or https://
// URL in it redacted; for text that may have been built from a URL elsewhere.
std::string redact_urls_in_text(std::string_view text);

// True when redact_url or redact_header_value would change something: the
// URL or header holds a literal secret.
bool url_has_secret(std::string_view url);
bool header_has_secret(std::string_view name, std::string_view value);

}  // namespace weir
