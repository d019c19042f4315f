// The store's write-ahead log between processes: a short log is left as it
// is when a connection closes (a checkpoint costs fsyncs), a long one is
// checkpointed and truncated, so the next process to open the store does not
// read and checksum thousands of frames before its first statement; and that
// never makes a closing connection wait for another one.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/store/database.hpp"
#include "core/store/request_log.hpp"

using namespace weir;

namespace {

struct TemporaryStore {
  std::filesystem::path directory;
  std::string database;
  std::string write_ahead_log;

  TemporaryStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-wal-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = (directory / "weir.db").string();
    write_ahead_log = database + "-wal";
    Database migrated(database);
    // The schema goes into the database file, so each test sees what its own
    // writes leave in the log, however many frames the migrations took.
    migrated.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ~TemporaryStore() { std::filesystem::remove_all(directory); }
  TemporaryStore(const TemporaryStore&) = delete;
  TemporaryStore& operator=(const TemporaryStore&) = delete;

  uintmax_t log_bytes() const { return std::filesystem::file_size(write_ahead_log); }
  uintmax_t database_bytes() const { return std::filesystem::file_size(database); }
};

// About `count` KiB of request log rows in one transaction.
void write_rows(Database& database, int count) {
  RequestLog log(database);
  database.transaction([&] {
    for (int number = 0; number < count; ++number) {
      RequestRecord record;
      record.front_door = "chat";
      record.status = "error";
      record.error = std::string(900, 'x') + std::to_string(number);
      log.record(record);
    }
  });
}

int64_t count_rows(Database& database) {
  auto count = database.prepare("SELECT count(*) FROM requests");
  REQUIRE(count.step());
  return count.integer(0);
}

}  // namespace

TEST_CASE("write-ahead log: a connection leaves a short log as it is when it closes") {
  TemporaryStore store;
  auto database_before = store.database_bytes();
  {
    Database database(store.database);
    write_rows(database, 3);
  }
  CHECK(store.log_bytes() > 0);                        // kept: no checkpoint, no fsync, on close
  CHECK(store.database_bytes() == database_before);  // nothing was copied into the database file
  Database reopened(store.database);
  CHECK(count_rows(reopened) == 3);
}

TEST_CASE("write-ahead log: a connection that leaves a long log checkpoints and truncates it as it closes") {
  TemporaryStore store;
  {
    Database database(store.database);
    write_rows(database, 2000);  // ~2 MB: several hundred frames
    CHECK(store.log_bytes() > 1024 * 1024);
  }
  CHECK(store.log_bytes() == 0);
  CHECK(store.database_bytes() > 1024 * 1024);  // the rows are in the database file now
  Database reopened(store.database);
  CHECK(count_rows(reopened) == 2000);
}

TEST_CASE("write-ahead log: closing never waits for a reader on another connection") {
  TemporaryStore store;
  Database reader(store.database);
  reader.execute("BEGIN");
  CHECK(count_rows(reader) == 0);  // holds its snapshot: the new frames cannot be checkpointed past it
  auto writer = std::make_unique<Database>(store.database);
  write_rows(*writer, 2000);
  auto start = std::chrono::steady_clock::now();
  writer.reset();
  auto closing = std::chrono::steady_clock::now() - start;
  // The busy timeout is 10 s; a checkpoint that waited for the reader would
  // take that long.
  CHECK(closing < std::chrono::seconds(2));
  CHECK(store.log_bytes() > 1024 * 1024);  // not truncated under the reader's snapshot
  reader.execute("COMMIT");
  CHECK(count_rows(reader) == 2000);
}
