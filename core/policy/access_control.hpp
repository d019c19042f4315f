// AccessControl — who may call `weir serve` (DESIGN.md "HTTP").
//
// With no keys in the store, every request is let in: the server then only
// binds loopback addresses (serve refuses anything else), so only this
// machine's users can reach it. Once a key exists, every request except
// GET /healthz needs `Authorization: Bearer KEY` (401 without or with a wrong
// or expired key), and a key's rpm limit applies (429 with Retry-After). A
// server bound beyond loopback refuses everything while no key exists, so
// revoking the last key cannot open it to the network.
//
// Requests from web pages are refused (403): one carrying an Origin header,
// or, on a loopback server, one whose Host is not a loopback name. Without
// this, any site the user visits could drive their gateways through the
// browser (a cross-site POST, or DNS rebinding). MCP over HTTP requires the
// same check. The one exception is weir's own pages (is_web_page_path): the
// dashboard at /, the chat page, their assets and the chat session routes
// answer their own page (an Origin equal to this server's Host) and refuse
// every other Origin; they need no API key (the pages hold no data, the
// session routes check the session's access key), but are refused like
// everything else by a server beyond loopback with no keys.
//
// admit() is the server's gatekeeper: it sets Request::caller. Keys are
// compared by SHA-256 with a copy of the keys table that is read again only
// when that table has changed since: SQLite's data_version (a few memory
// reads, on a connection of its own) says the store changed, and only then
// the keys table's own version counter (migration 6) is read. So `weir key
// create|revoke` in another process takes effect with the very next request,
// and request log rows written in between cost one indexed read.
// Key expiry and rpm windows read the clocks given (the real ones unless a
// test passes its own). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/policy/rate_limiter.hpp"
#include "core/net/request.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/key_repository.hpp"

namespace weir::http {

// The times AccessControl decides by.
struct AccessClocks {
  std::function<int64_t()> unix_milliseconds;               // key expiry; now_milliseconds() when empty
  std::function<RateLimiter::Clock::time_point()> steady;  // rpm windows; RateLimiter::Clock::now when empty
};

class AccessControl {
 public:
  AccessControl(DatabasePool& pool, bool loopback_only, AccessClocks clocks = {});
  ~AccessControl();

  void admit(Request& request);
  // A request admit() let in was refused later (403: a public key naming a
  // slug, listing models...): it does not count toward its key's rpm.
  void refused(const Request& request);

 private:
  const std::map<std::string, ApiKey>& keys_by_hash();  // under mutex_

  DatabasePool& pool_;
  bool loopback_only_;
  AccessClocks clocks_;
  std::mutex mutex_;
  // Opened on the first request, like the pool's connections.
  std::unique_ptr<Database> connection_;
  int64_t loaded_data_version_ = -1;
  int64_t loaded_keys_version_ = -1;
  std::map<std::string, ApiKey> by_hash_;
  RateLimiter limiter_;
};

// Is this path one of weir's pages (the dashboard at /, the chat page), their
// assets (/assets/...) or a chat session route?
bool is_web_page_path(std::string_view path);

// Is this host a loopback address (127.0.0.0/8, ::1, localhost)?
bool is_loopback_host(const std::string& host);

}  // namespace weir::http
