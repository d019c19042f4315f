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
// same check.
//
// admit() is the server's gatekeeper: it sets Request::caller. Keys are read
// from the store at most once a second (so `weir key create|revoke` in another
// process takes effect within a second) and compared by SHA-256.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "core/policy/rate_limiter.hpp"
#include "core/net/request.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/key_repository.hpp"

namespace weir::http {

class AccessControl {
 public:
  AccessControl(DatabasePool& pool, bool loopback_only) : pool_(pool), loopback_only_(loopback_only) {}

  void admit(Request& request);

 private:
  struct Snapshot {
    std::map<std::string, ApiKey> by_hash;
    std::chrono::steady_clock::time_point loaded_at;
    bool loaded = false;
  };
  const Snapshot& snapshot();  // under mutex_

  DatabasePool& pool_;
  bool loopback_only_;
  std::mutex mutex_;
  Snapshot snapshot_;
  RateLimiter limiter_;
};

// Is this host a loopback address (127.0.0.0/8, ::1, localhost)?
bool is_loopback_host(const std::string& host);

}  // namespace weir::http
