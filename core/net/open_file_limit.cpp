#include "core/net/open_file_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace weir::http {

size_t raise_open_file_limit(size_t ceiling) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  auto wanted = limit.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(ceiling)
                                                : std::min(limit.rlim_max, static_cast<rlim_t>(ceiling));
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? ceiling : static_cast<size_t>(limit.rlim_cur);
}

ConnectionBudget connection_budget(size_t open_file_limit) {
  // Below this, the reserve alone would not fit; serve with a handful anyway.
  size_t usable = open_file_limit > kReservedDescriptors + 32 ? open_file_limit - kReservedDescriptors : 32;
  // A quarter of the descriptors for workers, the rest for connections (most
  // of which wait between requests and cost one descriptor each).
  size_t workers = std::clamp<size_t>(usable / 4 / kDescriptorsPerWorker, 2, 256);
  size_t connections = std::clamp<size_t>(usable - workers * kDescriptorsPerWorker, 8, 16384);
  // A queued request costs no descriptor beyond its connection's, so as many
  // may wait as there may be connections: a burst of keep-alive clients
  // larger than the workers waits its turn instead of getting 503.
  return {connections, workers, connections};
}

}  // namespace weir::http
