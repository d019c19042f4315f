// RequestLogWriter: rows submitted from many threads all land, and the
// writer's store connection keeps a bounded page cache however many rows a
// long-running server writes (its cache once grew with every page written,
// 64 MiB per server, bench/serve).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/request_log.hpp"
#include "core/store/request_log_writer.hpp"

using namespace weir;
using json = nlohmann::json;

namespace {

struct TemporaryStore {
  std::filesystem::path directory;
  Paths paths;

  TemporaryStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-request-log-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    paths.home = directory.string();
    paths.database = (directory / "weir.db").string();
    paths.indexes = (directory / "indexes").string();
  }
  ~TemporaryStore() { std::filesystem::remove_all(directory); }
  TemporaryStore(const TemporaryStore&) = delete;
  TemporaryStore& operator=(const TemporaryStore&) = delete;
};

RequestRecord record_number(int number) {
  RequestRecord record;
  record.front_door = "http";
  record.gateway_name = "bench";
  record.provider = "fake";
  record.model = "fake-model";
  record.status = number % 10 == 0 ? "error" : "ok";
  record.prompt_tokens = 9;
  record.completion_tokens = 7;
  record.latency_ms = 0.4;
  // As long as a typical upstream error message, so the table grows as a
  // server's does.
  if (number % 10 == 0) record.error = "upstream answered 502 Bad Gateway for request " + std::to_string(number) +
                                       ": the model is overloaded; try again in a moment or pick another model";
  record.metadata = {{"client", "test"}, {"number", number}};
  return record;
}

int64_t count_rows(const std::string& database_path) {
  Database database(database_path);
  auto count = database.prepare("SELECT count(*) FROM requests");
  REQUIRE(count.step());
  return count.integer(0);
}

}  // namespace

TEST_CASE("request log writer: every row from concurrent submitters lands, and its page cache stays bounded") {
  TemporaryStore store;
  DatabasePool pool(store.paths);
  constexpr int kThreads = 4;
  constexpr int kRowsPerThread = 10'000;
  size_t largest_cache = 0;
  {
    RequestLogWriter writer(pool);
    std::vector<std::thread> submitters;
    for (int thread = 0; thread < kThreads; ++thread)
      submitters.emplace_back([&writer, thread] {
        for (int index = 0; index < kRowsPerThread; ++index) {
          auto record = record_number(thread * kRowsPerThread + index);
          writer.submit(record);
        }
      });
    // Flushing while the submitters run makes many batches, as a server's
    // steady trickle of answers does.
    for (int check = 0; check < 20; ++check) {
      writer.flush();
      largest_cache = std::max(largest_cache, writer.page_cache_bytes());
    }
    for (auto& submitter : submitters) submitter.join();
    writer.flush();
    largest_cache = std::max(largest_cache, writer.page_cache_bytes());
    CHECK(writer.page_cache_bytes() > 0);
  }
  CHECK(count_rows(store.paths.database) == kThreads * kRowsPerThread);
  // 40,000 rows are several MB of table and index pages; the writer keeps
  // about 512 KiB of them (SQLite's limit counts page bodies only, so allow
  // for its per-page headers).
  CHECK(largest_cache <= 1024 * 1024);
}

TEST_CASE("database: limit_page_cache bounds what a connection keeps after reading a large table") {
  TemporaryStore store;
  ensure_home(store.paths);
  {
    Database writer(store.paths.database);
    RequestLog log(writer);
    writer.transaction([&] {
      for (int number = 0; number < 20'000; ++number) {
        auto record = record_number(number);
        log.record(record);
      }
    });
  }
  auto read_everything = [](Database& database) {
    database.execute("PRAGMA mmap_size=0");  // as the request path's leases: every page goes through the cache
    auto scan = database.prepare("SELECT sum(length(metadata)) FROM requests");
    REQUIRE(scan.step());
    return database.page_cache_bytes();
  };
  Database unbounded(store.paths.database);
  Database bounded(store.paths.database);
  bounded.limit_page_cache(256);
  auto unbounded_bytes = read_everything(unbounded);
  auto bounded_bytes = read_everything(bounded);
  CHECK(unbounded_bytes > 2 * 1024 * 1024);  // the table really is larger than the limit
  CHECK(bounded_bytes <= 512 * 1024);
}

TEST_CASE("database pool: a leased connection reads without mmap into a bounded page cache") {
  TemporaryStore store;
  DatabasePool pool(store.paths);
  {
    auto database = pool.acquire();
    RequestLog log(*database);
    (*database).transaction([&] {
      for (int number = 0; number < 40'000; ++number) {
        auto record = record_number(number);
        log.record(record);
      }
    });
  }
  // The same connection again (the pool hands out the last one given back),
  // its cache still holding what the writes left.
  auto database = pool.acquire();
  auto scan = (*database).prepare("SELECT sum(length(metadata)) FROM requests");
  REQUIRE(scan.step());
  CHECK(scan.integer(0) > 0);
  CHECK((*database).page_cache_bytes() > 256 * 1024);       // it did read through its cache
  CHECK((*database).page_cache_bytes() <= 3 * 1024 * 1024);  // ~2 MiB of 40,000 rows' pages
}

// `weir logs show PART`: UUIDv7 ids of one minute share their first
// characters, so any unique part of an id finds its row, not just a prefix.
TEST_CASE("request log: a row is found by its whole id or by any unique part of it") {
  TemporaryStore store;
  Database database(store.paths.database);
  RequestLog log(database);
  RequestRecord first, second;
  first.id = "0193a000-0000-7000-8000-00000000aaaa";
  second.id = "0193a000-0000-7000-8000-00000000bbbb";
  for (auto* record : {&first, &second}) {
    record->front_door = "chat";
    record->status = "ok";
    log.record(*record);
  }
  CHECK(log.get(first.id).id == first.id);
  CHECK(log.get("aaaa").id == first.id);             // the end
  CHECK(log.get("000bbb").id == second.id);          // the middle-to-end
  CHECK(log.get("8000-00000000b").id == second.id);  // a middle part with a dash
  CHECK_THROWS_WITH_AS(log.get("7000-8000"), doctest::Contains("part of several request ids"), Error);
  CHECK_THROWS_WITH_AS(log.get("0193a000"), doctest::Contains("give more of the id"), Error);
  try {
    log.get("cccc");
    FAIL("a missing part must throw");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_found);
  }
  CHECK_THROWS_AS(log.get("%"), Error);  // no LIKE wildcards: '%' is a character like any other
}

TEST_CASE("request log: conversations are written with their rows, read back by get, and pruned with them") {
  TemporaryStore store;
  DatabasePool pool(store.paths);
  auto direct = record_number(1);
  direct.created_at = 1000;
  direct.conversation = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"answer", "hello"}};
  auto database = pool.acquire();
  RequestLog log(*database);
  log.record(direct);  // outside any transaction: one of its own
  std::string batched_id;
  {
    RequestLogWriter writer(pool);  // inside the writer's batch transaction
    auto batched = record_number(2);
    batched.conversation = {{"messages", json::array()}, {"answer", "batched"}};
    writer.submit(batched);
    writer.flush();
  }
  auto newest = log.recent(1).front();
  CHECK(newest.conversation.is_null());  // listings never read them
  CHECK(log.get(newest.id).conversation["answer"] == "batched");
  CHECK(log.get(direct.id).conversation["answer"] == "hello");

  CHECK(log.prune(2000) == 1);
  auto left = (*database).prepare("SELECT count(*) FROM request_conversations");
  REQUIRE(left.step());
  CHECK(left.integer(0) == 1);
}

TEST_CASE("request log: written_after follows rows in the order they were written, whatever their times") {
  TemporaryStore store;
  DatabasePool pool(store.paths);
  auto database = pool.acquire();
  RequestLog log(*database);
  auto position = log.end_position();
  CHECK(log.written_after({}, position).empty());
  auto later = record_number(1);
  later.created_at = 5000;
  log.record(later);
  // Written after, but begun before (another server's row, written behind).
  auto earlier = record_number(2);
  earlier.created_at = 4000;
  earlier.gateway_name = "other";
  log.record(earlier);
  auto rows = log.written_after({}, position);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == later.id);
  CHECK(rows[1].id == earlier.id);
  CHECK(log.written_after({}, position).empty());
  auto filtered_position = int64_t{0};
  RequestFilter only_other;
  only_other.gateway = "other";
  auto filtered = log.written_after(only_other, filtered_position);
  REQUIRE(filtered.size() == 1);
  CHECK(filtered[0].id == earlier.id);
  CHECK(filtered_position == position);  // past every row read, matching or not
}

TEST_CASE("request log: a follower goes on after a prune emptied the log") {
  TemporaryStore store;
  DatabasePool pool(store.paths);
  auto database = pool.acquire();
  RequestLog log(*database);
  for (int number = 0; number < 3; ++number) {
    auto row = record_number(number + 1);
    row.created_at = 1000;
    log.record(row);
  }
  auto position = log.end_position();
  CHECK(log.prune(2000) == 3);
  auto after = record_number(9);
  log.record(after);  // numbered from 1 again
  auto rows = log.written_after({}, position);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == after.id);
}
