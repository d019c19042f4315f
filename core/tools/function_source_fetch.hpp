// Function sources — URLs that list a gateway's HTTP functions.
//
// A source answers a signed GET (outbound_signature.hpp; the body signed is
// empty) with {"functions": [FUNCTION, ...]}, each FUNCTION a record as in
// the gateway's `functions` (function_fields.hpp). Its list is kept for
// kFunctionSourceTtl (600 s) per process, so a busy `weir serve` asks once per
// ten minutes. A failure is kept for kFunctionSourceRetry (30 s): a source that
// is down fails the requests of that time at once instead of each waiting
// for it, and is asked again after.
//
// Contract: fetch() returns the source's functions, or throws an Error naming
// the URL (redacted): Error(upstream) for a non-2xx answer, an answer that is
// not JSON, not {"functions": [...]}, or holds an unusable function (saying
// which and why); Error(upstream_timeout) when it does not answer in 30 s;
// Error(interrupted) on cancel. Thread-safe: concurrent fetches of one URL may
// both ask the source.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/tools/http_function_source.hpp"

namespace weir {

constexpr std::chrono::seconds kFunctionSourceTtl{600};
constexpr std::chrono::seconds kFunctionSourceRetry{30};

class FunctionSourceCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit FunctionSourceCache(Clock clock = std::chrono::steady_clock::now) : clock_(std::move(clock)) {}

  // `secret`: the hook key that signs the GET.
  std::vector<HttpFunction> fetch(const std::string& url, const std::string& secret, const CancelToken& cancel);

  // The one cache of this process.
  static FunctionSourceCache& process();

 private:
  std::vector<HttpFunction> fetch_now(const std::string& url, const std::string& secret, const CancelToken& cancel);
  struct Entry {
    std::chrono::steady_clock::time_point fetched;
    std::vector<HttpFunction> functions;
    std::optional<Error> failure;  // set: the fetch failed; thrown again until kFunctionSourceRetry passed
  };
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// One source's answer body read into functions (for tests and for fetch()).
std::vector<HttpFunction> functions_from_source_answer(const std::string& url, const std::string& body);

}  // namespace weir
