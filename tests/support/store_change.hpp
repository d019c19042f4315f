// Waiting for another process to write something into a weir home's store.
//
// A `weir serve` writes its request log on a thread of its own after the
// answer, and an import commits batch after batch; no message announces
// either. wait_for_store() re-checks `condition` each time a file in the
// home directory (the database or its write-ahead log) is written, as the
// kernel reports it (inotify), instead of re-checking on a timer. It returns
// true as soon as `condition` holds, false if `timeout` passes first.
// `condition` runs on the caller's thread, typically a `weir` subprocess that
// reads the store.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace weir::testing {

bool wait_for_store(const std::string& home, const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace weir::testing
