// Open-file budget of a server process: how many descriptors `weir serve`
// may hold, and how many connections and workers fit in them.
//
// Every connection costs a descriptor; every worker serving a request costs
// several more (a store connection: database, WAL and shared-memory files; a
// libcurl handle with its wake-up pair and upstream connections). Sized from
// the limit, a burst meets the server's own caps (503 with Retry-After) before
// the kernel's (EMFILE, which would fail a store open half-way).
//
// Contract: raise_open_file_limit() lifts the soft RLIMIT_NOFILE to the hard
// limit (at most `ceiling`) where the system allows, and returns the soft
// limit in force afterwards; it never lowers it and never throws.
// connection_budget() is pure: the same limit always gives the same caps.
#pragma once

#include <cstddef>

namespace weir::http {

size_t raise_open_file_limit(size_t ceiling = 1 << 20);

struct ConnectionBudget {
  size_t max_connections;
  size_t max_workers;
  size_t max_queued_requests;
};

// Descriptors set aside for everything but connections and workers (the
// store's own connections, the log writer, MCP sessions, index files).
inline constexpr size_t kReservedDescriptors = 64;
// What a busy worker may hold besides its client's socket.
inline constexpr size_t kDescriptorsPerWorker = 8;

ConnectionBudget connection_budget(size_t open_file_limit);

}  // namespace weir::http
