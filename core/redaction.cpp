#include "core/redaction.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii_case.hpp"

namespace weir {

namespace {

// Words that make a name a credential's, wherever they appear in it.
constexpr std::array<std::string_view, 8> kSecretWords = {"key",       "token",      "secret", "password",
                                                          "passwd",    "signature",  "credential", "auth"};

bool contains_secret_word(const std::string& lowered) {
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return lowered.find(word) != std::string::npos; });
}

bool is_variable_name(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// `${NAME}`, `$NAME` or `$(command)`: where a secret lives, not the secret.
bool is_reference(std::string_view text) {
  if (text.size() < 2 || text.front() != '$') return false;
  if (text[1] == '{') return text.back() == '}' && is_variable_name(text.substr(2, text.size() - 3));
  if (text[1] == '(') return text.back() == ')';
  return is_variable_name(text.substr(1));
}

bool is_scheme_word(std::string_view word) {
  return !word.empty() &&
         std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c) || c == '-'; });
}

std::string redact_query(std::string_view query) {
  std::string result;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view parameter = query.substr(start, end - start);
    size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && equals + 1 < parameter.size() &&
        is_secret_parameter_name(parameter.substr(0, equals))) {
      result.append(parameter.substr(0, equals + 1));
      result.append(kRedacted);
    } else {
      result.append(parameter);
    }
    if (end == query.size()) break;
    result.push_back('&');
    start = end + 1;
  }
  return result;
}

bool starts_with_web_scheme(std::string_view text) {
  std::string head = ascii_lowercase(text.substr(0, 8));
  return head.rfind("http://", 0) == 0 || head.rfind("https://", 0) == 0;
}

// Characters that end a URL written in running text.
bool ends_url(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' || c == '>' ||
         c == '`';
}

// Punctuation after a URL in a sentence ("... at http://h/v1: refused").
bool is_trailing_punctuation(char c) { return std::string_view(".,;:!?)]}").find(c) != std::string_view::npos; }

}  // namespace

bool is_secret_parameter_name(std::string_view name) {
  std::string lowered = ascii_lowercase(name);
  std::replace(lowered.begin(), lowered.end(), '-', '_');
  if (lowered == "sig" || lowered == "code" || lowered == "pass" || lowered == "pwd") return true;
  return contains_secret_word(lowered);
}

bool is_credential_header(std::string_view name) {
  std::string lowered = ascii_lowercase(name);
  return lowered == "cookie" || contains_secret_word(lowered);
}

std::string redact_url(std::string_view url) {
  size_t scheme_end = url.find("://");
  size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();

  std::string result(url.substr(0, authority_start));
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  size_t at = scheme_end == std::string_view::npos ? std::string_view::npos : authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // A user with no password is a token passed as the user name.
      if (!userinfo.empty()) result.append(kRedacted);
    } else {
      result.append(userinfo.substr(0, colon + 1));
      if (colon + 1 < userinfo.size()) result.append(kRedacted);
    }
    result.append(authority.substr(at));
  } else {
    result.append(authority);
  }

  std::string_view rest = url.substr(authority_end);
  size_t question = rest.find('?');
  if (question == std::string_view::npos) {
    result.append(rest);
    return result;
  }
  size_t fragment = rest.find('#', question);
  if (fragment == std::string_view::npos) fragment = rest.size();
  result.append(rest.substr(0, question + 1));
  result.append(redact_query(rest.substr(question + 1, fragment - question - 1)));
  result.append(rest.substr(fragment));
  return result;
}

std::string redact_header_value(std::string_view name, std::string_view value) {
  if (!is_credential_header(name)) return std::string(value);
  size_t first = value.find_first_not_of(' ');
  if (first == std::string_view::npos) return std::string(value);
  std::string_view trimmed = value.substr(first);
  std::string_view scheme;
  std::string_view credential = trimmed;
  if (size_t space = trimmed.find(' '); space != std::string_view::npos && is_scheme_word(trimmed.substr(0, space))) {
    scheme = trimmed.substr(0, space);
    credential = trimmed.substr(space);
    credential.remove_prefix(std::min(credential.find_first_not_of(' '), credential.size()));
  }
  while (!credential.empty() && credential.back() == ' ') credential.remove_suffix(1);
  if (credential.empty() || is_reference(credential)) return std::string(value);
  return scheme.empty() ? std::string(kRedacted) : std::string(scheme) + " " + std::string(kRedacted);
}

std::string redact_urls_in_text(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  size_t position = 0;
  while (position < text.size()) {
    if ((text[position] == 'h' || text[position] == 'H') && starts_with_web_scheme(text.substr(position))) {
      size_t end = position;
      while (end < text.size() && !ends_url(text[end])) ++end;
      while (end > position && is_trailing_punctuation(text[end - 1])) --end;
      result.append(redact_url(text.substr(position, end - position)));
      position = end;
      // Keep the trailing punctuation as it was, without treating it as a URL.
      while (position < text.size() && !ends_url(text[position]) && is_trailing_punctuation(text[position]))
        result.push_back(text[position++]);
      continue;
    }
    result.push_back(text[position++]);
  }
  return result;
}

bool url_has_secret(std::string_view url) { return redact_url(url) != url; }

bool header_has_secret(std::string_view name, std::string_view value) {
  return redact_header_value(name, value) != value;
}

}  // namespace weir
