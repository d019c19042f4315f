#include "core/policy/access_control.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/ascii_case.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"

namespace weir::http {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr address{};
  if (::inet_pton(AF_INET, host.c_str(), &address) == 1) return (ntohl(address.s_addr) >> 24) == 127;
  return false;
}

AccessControl::AccessControl(DatabasePool& pool, bool loopback_only, AccessClocks clocks)
    : pool_(pool), loopback_only_(loopback_only), clocks_(std::move(clocks)) {
  if (!clocks_.unix_milliseconds) clocks_.unix_milliseconds = now_milliseconds;
  if (!clocks_.steady) clocks_.steady = RateLimiter::Clock::now;
}

AccessControl::~AccessControl() = default;

const std::map<std::string, ApiKey>& AccessControl::keys_by_hash() {
  if (!connection_) {
    connection_ = pool_.open();
    connection_->execute("PRAGMA mmap_size=0");  // as the pool's leases (DatabasePool::acquire)
  }
  // data_version changes whenever another connection (this process's pool or
  // another `weir`) commits; that includes every request log row, so it only
  // says when to look at the keys table's own version (a trigger moves it
  // with every change of the table). Both are read before the keys, so a
  // change that lands in between is seen again on the next request.
  auto data_version_query = connection_->prepare("PRAGMA data_version");
  data_version_query.step();
  auto data_version = data_version_query.integer(0);
  if (data_version == loaded_data_version_) return by_hash_;
  auto keys_version_query = connection_->prepare("SELECT version FROM table_versions WHERE name = 'keys'");
  keys_version_query.step();
  auto keys_version = keys_version_query.integer(0);
  if (keys_version != loaded_keys_version_) {
    std::map<std::string, ApiKey> fresh;
    for (auto& key : KeyRepository(*connection_).list()) fresh.emplace(key.hash, std::move(key));
    by_hash_ = std::move(fresh);
  }
  // Only after a successful read: a failed one must be tried again, never
  // taken as current (an empty copy would let everyone in).
  loaded_keys_version_ = keys_version;
  loaded_data_version_ = data_version;
  return by_hash_;
}

namespace {

// "localhost:8484" -> "localhost", "[::1]:80" -> "::1"
std::string host_name(const std::string& host_header) {
  if (!host_header.empty() && host_header.front() == '[') return host_header.substr(1, host_header.find(']') - 1);
  return host_header.substr(0, host_header.find(':'));
}

// The page's own requests carry an Origin naming this server (as its Host
// header says); any other Origin, "null" included, is another site's page.
bool same_origin(const std::string& origin, const std::string* host) {
  if (!host || host->empty()) return false;
  auto sent = ascii_lowercase(origin), wanted = ascii_lowercase(*host);
  return sent == "http://" + wanted || sent == "https://" + wanted;
}

void refuse_web_pages(const Request& request, bool loopback_only) {
  const auto* origin = request.header("origin");
  if (origin && is_web_page_path(request.path)) {
    if (!same_origin(*origin, request.header("host")))
      throw Error(ErrorKind::permission, "a chat session answers only its own page, not requests from other sites (Origin: " +
                                             *origin + ")");
    origin = nullptr;
  }
  // A link to the page may be followed from anywhere (a cross-site
  // navigation); only the session routes must come from the page itself.
  if (request.header_or("sec-fetch-site") == "cross-site" && request.path.rfind("/v1/chat-sessions/", 0) == 0)
    throw Error(ErrorKind::permission, "a chat session answers only its own page, not requests from other sites");
  if (origin)
    throw Error(ErrorKind::permission, "weir serve does not answer requests from web pages (Origin: " + *origin +
                                           "); call it from a program or a server");
  const auto* host = request.header("host");
  if (loopback_only && host && !is_loopback_host(host_name(*host)))
    throw Error(ErrorKind::permission, "Host '" + *host +
                                           "' is not this machine: a loopback server answers only requests addressed "
                                           "to localhost, 127.0.0.1 or [::1] (a guard against DNS rebinding)");
}

// The token of `Authorization: Bearer TOKEN`, or "" when there is none. The
// scheme name is case-insensitive (RFC 9110 11.1): `bearer` is the same scheme.
std::string bearer_token(const std::string* authorization) {
  if (!authorization) return {};
  std::string_view value = *authorization;
  auto space = value.find(' ');
  if (space == std::string_view::npos) return {};
  auto scheme = value.substr(0, space);
  if (scheme.size() != 6 || !std::equal(scheme.begin(), scheme.end(), "bearer", [](char sent, char wanted) {
        return std::tolower(static_cast<unsigned char>(sent)) == wanted;
      }))
    return {};
  auto token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return std::string(token);
}

}  // namespace

bool is_web_page_path(std::string_view path) {
  if (path == "/") return true;
  for (std::string_view prefix : {"/chat/", "/assets/", "/v1/chat-sessions/"})
    if (path.substr(0, prefix.size()) == prefix) return true;
  return false;
}

void AccessControl::admit(Request& request) {
  refuse_web_pages(request, loopback_only_);
  if (request.path == "/healthz") return;
  std::lock_guard lock(mutex_);
  const auto& keys = keys_by_hash();
  if (keys.empty()) {
    if (loopback_only_) return;
    throw Error(ErrorKind::authentication,
                "this server listens beyond loopback and has no API keys, so it lets nobody in; create one with "
                "`weir key create NAME`");
  }
  // weir's pages hold no data, and the session routes are opened by a
  // session's access key (core/chat_client/chat_sessions.hpp), which they
  // check; an API key is what creates sessions, not what a session's user
  // holds. The dashboard's data (/v1/dashboard) needs the API key as usual.
  if (is_web_page_path(request.path)) {
    request.caller.remote_address = request.remote_address;
    return;
  }
  auto presented = bearer_token(request.header("authorization"));
  if (presented.empty())
    throw Error(ErrorKind::authentication,
                "missing API key: send the header `Authorization: Bearer KEY` (keys are made with `weir key create "
                "NAME`)",
                "missing_api_key");
  auto found = keys.find(sha256_hex(presented));
  if (found == keys.end())
    throw Error(ErrorKind::authentication, "invalid API key: it is not one of this server's keys (see `weir key list`)",
                "invalid_api_key");
  const auto& key = found->second;
  if (key.expired(clocks_.unix_milliseconds()))
    throw Error(ErrorKind::authentication, "API key '" + key.name + "' has expired; create a new one with `weir key create`",
                "expired_api_key");
  if (key.rpm) limiter_.admit(key.id, key.name, *key.rpm, clocks_.steady());
  request.caller.key_name = key.name;
  request.caller.public_key = key.is_public;
  request.caller.key_id = key.id;
  request.caller.remote_address = request.remote_address;
  request.caller.key_limits = key.limits;
  request.caller.toolsets = key.toolsets;
}

void AccessControl::refused(const Request& request) {
  if (!request.caller.key_id.empty()) limiter_.refund(request.caller.key_id);
}

}  // namespace weir::http
