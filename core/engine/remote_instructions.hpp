// Remote instructions — a gateway's `system_urls`, fetched and cached.
//
// A URL is fetched at most once per 600 s: the body is cached in the store
// (table remote_sources), so repeated calls cost a single SQLite read. Bodies
// over 10 MB, non-2xx answers and unreachable hosts are errors naming the URL.
#pragma once

#include <string>

namespace weir {

class Database;

constexpr long long kRemoteInstructionsTtlMs = 600'000;
constexpr size_t kRemoteInstructionsMaxBytes = 10u << 20;

std::string fetch_remote_instructions(const std::string& url, Database& database);

}  // namespace weir
