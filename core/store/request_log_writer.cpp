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

void RequestLogWriter::submit(RequestRecord& record) {
  if (record.id.empty()) record.id = new_uuid_v7();
  if (record.created_at == 0) record.created_at = now_milliseconds();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(record);
    ++submitted_;
  }
  changed_.notify_all();
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
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::deque<RequestRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    try {
      if (!database) database = pool_.open();
      RequestLog log(*database);
      database->transaction([&] {
        for (auto& record : batch) log.record(record);
      });
      failures = 0;
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
    written_ += batch.size();
    changed_.notify_all();
  }
}

}  // namespace weir
