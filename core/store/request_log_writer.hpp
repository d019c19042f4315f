// RequestLogWriter — request log rows written by a thread of its own, in
// batches, for servers: the answer goes out before its row is on disk, and
// one transaction writes every row that queued up meanwhile (a write
// transaction per request was a quarter of `weir serve`'s CPU, bench/serve).
//
// Contract: submit() gives the record its id and creation time at once (the
// response quotes the id) and queues a copy; the row is written soon after.
// flush() returns once every row submitted before it is written (or failed);
// the destructor flushes. A batch that cannot be written is tried again a
// few times over about three seconds (the process may be out of descriptors
// for a moment); one that still fails (disk full) is reported on stderr and
// dropped; the requests themselves already succeeded.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/store/database_pool.hpp"
#include "core/store/request_log.hpp"

namespace weir {

class RequestLogWriter {
 public:
  explicit RequestLogWriter(DatabasePool& pool);
  ~RequestLogWriter();
  RequestLogWriter(const RequestLogWriter&) = delete;
  RequestLogWriter& operator=(const RequestLogWriter&) = delete;

  // Queues the row (taken by value: a caller done with it moves it in).
  void submit(RequestRecord record);
  void flush();
  // The heap its store connection's page cache held after the last batch
  // (for tests and diagnostics: it stays bounded however many rows a server
  // writes).
  size_t page_cache_bytes();

 private:
  void loop();
  DatabasePool& pool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<RequestRecord> queue_;
  uint64_t submitted_ = 0;
  uint64_t written_ = 0;  // submitted rows handled (written or reported)
  size_t page_cache_bytes_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weir
