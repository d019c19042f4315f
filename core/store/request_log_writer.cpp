#include "core/store/request_log_writer.hpp"

#include <chrono>
#include <iostream>
#include <iterator>
#include <thread>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"

namespace weir {

namespace {
constexpr int kAttempts = 8;
// The writer only appends: each batch touches the right-hand edge of the
// requests table and its two indexes, a few dozen pages. With the 64 MiB
// default its cache kept every page it ever wrote, since no other connection
// writes to invalidate it: weir serve grew by about 2 MB per 10,000 requests
// until the cap (bench/serve: 24 -> 55 MB over one run). The rest of the file
// is memory-mapped anyway.
constexpr size_t kWriterPageCacheKibibytes = 512;
constexpr auto kRetryPause = std::chrono::milliseconds(100);  // times the failures so far: 2.8 s in all
}  // namespace

RequestLogWriter::RequestLogWriter(DatabasePool& pool) : pool_(pool), thread_([this] { loop(); }) {}

RequestLogWriter::~RequestLogWriter() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RequestLogWriter::submit(RequestRecord record) {
  if (record.id.empty()) record.id = new_uuid_v7();
  if (record.created_at == 0) record.created_at = now_milliseconds();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(record));
    ++submitted_;
  }
  changed_.notify_all();
}

size_t RequestLogWriter::page_cache_bytes() {
  std::lock_guard lock(mutex_);
  return page_cache_bytes_;
}

void RequestLogWriter::flush() {
  std::unique_lock lock(mutex_);
  auto target = submitted_;
  changed_.wait(lock, [&] { return written_ >= target; });
}

void RequestLogWriter::loop() {
  // A connection of the writer's own, opened once: leasing one per batch
  // could fail when the process is at its open-file limit, which is exactly
  // when a burst leaves many rows to write.
  std::unique_ptr<Database> database;
  int failures = 0;
  size_t cache_bytes = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::deque<RequestRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    try {
      if (!database) {
        database = pool_.open();
        database->limit_page_cache(kWriterPageCacheKibibytes);
      }
      RequestLog log(*database);
      database->transaction([&] {
        for (auto& record : batch) log.record(record);
      });
      failures = 0;
      cache_bytes = database->page_cache_bytes();
    } catch (const std::exception& error) {
      database.reset();
      // Out of descriptors or a busy store passes: keep the rows and try
      // again a little later. A store that keeps failing (disk full) costs
      // the rows, reported, rather than holding them in memory for ever.
      if (++failures < kAttempts) {
        std::this_thread::sleep_for(kRetryPause * failures);
        lock.lock();
        batch.insert(batch.end(), std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.swap(batch);
        continue;
      }
      failures = 0;
      std::cerr << "weir: could not write " << batch.size() << " request log row(s): " << error.what() << std::endl;
    }
    lock.lock();
    page_cache_bytes_ = cache_bytes;
    written_ += batch.size();
    changed_.notify_all();
  }
}

}  // namespace weir
