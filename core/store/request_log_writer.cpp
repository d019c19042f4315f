#include "core/store/request_log_writer.hpp"

#include <iostream>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"

namespace weir {

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
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::deque<RequestRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    try {
      auto database = pool_.acquire();
      RequestLog log(*database);
      (*database).transaction([&] {
        for (auto& record : batch) log.record(record);
      });
    } catch (const std::exception& error) {
      std::cerr << "weir: could not write " << batch.size() << " request log row(s): " << error.what() << std::endl;
    }
    lock.lock();
    written_ += batch.size();
    changed_.notify_all();
  }
}

}  // namespace weir
