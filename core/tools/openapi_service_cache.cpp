#include "core/tools/openapi_service_cache.hpp"

#include <sys/stat.h>

#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/error.hpp"

namespace weir {

namespace {

// What says a document is still the one read: a file's identity, times and
// size (ctime too: `cp -p` or `tar x` put back an older mtime, never an
// older ctime), or (a URL) the steady time it was fetched.
struct Stamp {
  long long modified_ns = -1;
  long long changed_ns = -1;
  long long size = -1;
  unsigned long long device = 0, inode = 0;
  std::chrono::steady_clock::time_point fetched{};
};

Stamp stamp_now(const std::string& document) {
  Stamp stamp;
  if (is_http_url(document)) {
    stamp.fetched = std::chrono::steady_clock::now();
    return stamp;
  }
  struct stat status {};
  if (::stat(document.c_str(), &status) == 0) {
    stamp.modified_ns = static_cast<long long>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    stamp.changed_ns = static_cast<long long>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
    stamp.size = static_cast<long long>(status.st_size);
    stamp.device = status.st_dev;
    stamp.inode = status.st_ino;
  }
  return stamp;
}

bool still_current(const std::string& document, const Stamp& kept, const Stamp& now, std::chrono::seconds url_ttl) {
  if (is_http_url(document)) return now.fetched - kept.fetched < url_ttl;
  return kept.modified_ns >= 0 && kept.modified_ns == now.modified_ns && kept.changed_ns == now.changed_ns &&
         kept.size == now.size && kept.device == now.device && kept.inode == now.inode;
}

struct Entry {
  std::string key;
  Stamp stamp;
  CachedOpenApiService service;
};

struct Cache {
  std::mutex mutex;
  std::list<Entry> entries;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
};

Cache& cache() {
  static Cache instance;
  return instance;
}

}  // namespace

CachedOpenApiService cached_openapi_service(const OpenApiServiceSettings& settings, std::chrono::seconds url_ttl) {
  auto key = settings.to_json().dump();
  auto now = stamp_now(settings.document);
  auto& shared = cache();
  std::optional<CachedOpenApiService> previous;
  {
    std::lock_guard lock(shared.mutex);
    if (auto found = shared.index.find(key); found != shared.index.end()) {
      if (still_current(settings.document, found->second->stamp, now, url_ttl)) {
        shared.entries.splice(shared.entries.begin(), shared.entries, found->second);
        return found->second->service;
      }
      previous = found->second->service;
    }
  }
  // Read outside the lock: a fetch may take seconds, and other services'
  // lookups must not wait for it.
  LoadedOpenApiService loaded;
  try {
    loaded = load_openapi_service(settings);
  } catch (const Error&) {
    if (!previous || !is_http_url(settings.document)) throw;
    // The service's host is down or answers nonsense for a while: its tools
    // are served as last read, and the document asked for again after
    // another url_ttl, instead of every request waiting for it to fail.
    std::lock_guard lock(shared.mutex);
    if (auto found = shared.index.find(key); found != shared.index.end()) found->second->stamp = now;
    return *previous;
  }
  CachedOpenApiService service{std::make_shared<OpenApiToolSource>(std::move(loaded.service)),
                               std::move(loaded.skipped)};
  std::lock_guard lock(shared.mutex);
  if (auto found = shared.index.find(key); found != shared.index.end()) {
    shared.entries.erase(found->second);
    shared.index.erase(found);
  }
  shared.entries.push_front({key, now, service});
  shared.index[key] = shared.entries.begin();
  while (shared.entries.size() > kMostServices) {
    shared.index.erase(shared.entries.back().key);
    shared.entries.pop_back();
  }
  return service;
}

}  // namespace weir
