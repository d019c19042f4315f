// Database — a thin RAII wrapper over one SQLite connection.
//
// The store is the single source of truth (principle 3). Opening a Database
// puts it in WAL mode, enables foreign keys, sets a busy timeout so concurrent
// weir processes wait instead of failing, and runs the numbered migrations in
// migrations.cpp inside one transaction each. Every SQLite failure becomes a
// weir::Error(runtime) that says which statement failed and why.
//
// A Database is used from one thread at a time; each thread or process opens
// its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace weir {

class Statement;

class Database {
 public:
  // Opens (creating if needed) the database file and migrates it.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements with no parameters and no results.
  void execute(std::string_view sql);
  Statement prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;

  // Every connection opens with a 64 MiB page cache, which searches want.
  // A connection that reads or appends a few pages per call, for the life of
  // a server, holds its cache's worth of heap, per connection: bound it.
  void limit_page_cache(size_t kibibytes);
  // Heap bytes this connection's page cache holds now (for tests and
  // diagnostics; call from the thread using the connection).
  size_t page_cache_bytes() const;

  // Runs `work` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it throws.
  template <typename Work>
  void transaction(Work&& work) {
    run_between("BEGIN IMMEDIATE", std::forward<Work>(work));
  }

  // Runs `work`'s reads as one snapshot (BEGIN ... COMMIT): one shared lock
  // and one look at the WAL for several statements instead of one each.
  template <typename Work>
  void read_transaction(Work&& work) {
    run_between("BEGIN", std::forward<Work>(work));
  }

  sqlite3* handle() const noexcept { return handle_; }
  const std::string& path() const noexcept { return path_; }

 private:
  friend class Statement;
  // `begin`, then `work`, then COMMIT; ROLLBACK if it throws.
  template <typename Work>
  void run_between(std::string_view begin, Work&& work) {
    execute(begin);
    try {
      work();
    } catch (...) {
      execute("ROLLBACK");
      throw;
    }
    execute("COMMIT");
  }
  // The WAL is kept between processes (no checkpoint on close: a checkpoint
  // costs fsyncs), but the first process to open the store after everyone
  // closed it rebuilds the WAL index by reading and checksumming every frame:
  // a `weir chat` read up to 1,000 frames (4 MB) first, a fifth of its
  // instructions and 900 read() calls. So a connection that leaves more than
  // this many frames checkpoints and truncates the log as it closes, when no
  // one else is using the store at that moment. A `weir chat` writes about 3
  // frames, so one in ~40 pays a checkpoint and every start reads at most
  // 512 KiB of log.
  static constexpr int kShortWriteAheadLogFrames = 128;
  static constexpr int kAutomaticCheckpointFrames = 1000;
  static int after_commit(void* database, sqlite3* handle, const char* schema, int frames);
  void keep_write_ahead_log_short() noexcept;
  int write_ahead_log_frames_ = 0;  // after this connection's last commit

  // Prepared statements are kept for reuse: a long-running server runs the
  // same few statements for every request, and preparing them afresh was a
  // fifth of its CPU (bench/serve). A statement in use is out of the cache, so
  // two live Statements never share one.
  sqlite3_stmt* take_cached(std::string_view sql);
  void give_back(std::string sql, sqlite3_stmt* statement);
  static constexpr size_t kMaxCachedStatements = 64;

  sqlite3* handle_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cached_;
};

// A prepared statement. Bind by 1-based position, step, read columns by
// 0-based position. Reset between runs with reset().
class Statement {
 public:
  Statement(Database& database, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  Statement& bind(int position, std::string_view text);
  Statement& bind(int position, const char* text) { return bind(position, std::string_view(text)); }
  Statement& bind(int position, const std::string& text) { return bind(position, std::string_view(text)); }
  Statement& bind(int position, int64_t value);
  Statement& bind(int position, int value) { return bind(position, static_cast<int64_t>(value)); }
  Statement& bind(int position, double value);
  Statement& bind_null(int position);
  Statement& bind_blob(int position, const void* data, size_t size);
  Statement& bind(int position, const std::optional<std::string>& text);

  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  // The column's bytes (valid until the next step/reset) and their count.
  std::pair<const void*, size_t> blob(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  Database* database_;
  sqlite3_stmt* statement_ = nullptr;
  std::string sql_;  // the cache key
};

}  // namespace weir
