#include "core/store/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "core/store/full_text_ranking.hpp"
#include "core/store/migrations.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {

bool is_out_of_descriptors(int system_errno) { return system_errno == EMFILE || system_errno == ENFILE; }

// Running out of file descriptors passes: the request that met it is worth
// retrying (HTTP 503 with Retry-After), it is not a broken store.
Error out_of_descriptors(const std::string& path) {
  Error error(ErrorKind::unavailable, "cannot open the store at " + path +
                                          ": weir has reached its open-file limit (too many requests at once); "
                                          "try again in a moment, or raise the limit (ulimit -n)");
  error.set_retry_after_seconds(1);
  return error;
}

[[noreturn]] void fail(sqlite3* handle, std::string_view what) {
  if (handle && is_out_of_descriptors(sqlite3_system_errno(handle)))
    throw out_of_descriptors(sqlite3_db_filename(handle, "main") ? sqlite3_db_filename(handle, "main") : "");
  std::string message = "database error while " + std::string(what) + ": " +
                        (handle ? sqlite3_errmsg(handle) : "out of memory");
  int code = handle ? sqlite3_errcode(handle) : SQLITE_NOMEM;
  if (code == SQLITE_FULL) message += " (the disk is full; free some space and retry)";
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    message += " (another weir process holds the store; retry when it finishes)";
  if (code == SQLITE_READONLY) message += " (the store is read-only; check its permissions)";
  throw Error(ErrorKind::runtime, std::move(message));
}

// Waiting for another connection's write. SQLite's own handler
// (sqlite3_busy_timeout) sleeps 1, 2, 5, 10, ... 100 ms between looks, so a
// writer waiting for one that needs 100 us sleeps for milliseconds: with a
// batch's 64 workers writing, that idle time was a fifth of the run. This
// looks again after 50 us, doubling up to 2 ms, and gives up (SQLITE_BUSY)
// after 10 s of waiting, as busy_timeout(10'000) did.
int wait_while_busy(void*, int looks_so_far) {
  constexpr long long kFirstMicroseconds = 50, kLongestMicroseconds = 2'000, kGiveUpMicroseconds = 10'000'000;
  long long waited = 0, next = kFirstMicroseconds;
  for (int look = 0; look < looks_so_far && waited < kGiveUpMicroseconds; ++look) {
    waited += next;
    next = std::min(next * 2, kLongestMicroseconds);
  }
  if (waited >= kGiveUpMicroseconds) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(next));
  return 1;
}

// Two connections switching a new store to WAL at once each hold a read lock
// and want the write lock: SQLite answers one of them "busy" at once instead
// of waiting (that would deadlock). By the next try the other has switched it,
// and a store already in WAL needs no lock to say so.
void switch_to_write_ahead_log(Database& database) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int status = sqlite3_exec(database.handle(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (status != SQLITE_BUSY && status != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt % 5));
  }
  database.execute("PRAGMA journal_mode=WAL");  // done already, or its error named
}

// The constructor's work once the file is open.
void configure_and_migrate(Database& database) {
  sqlite3* handle = database.handle();
  sqlite3_busy_handler(handle, wait_while_busy, nullptr);
  // Most weir processes are short: without these, every exit checkpoints the
  // WAL and deletes it, and every start recreates it, each with fsyncs. Both
  // keep durability as it is (WAL, synchronous=NORMAL); automatic checkpoints
  // still bound the WAL's size.
  sqlite3_db_config(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  int persist = 1;
  sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  sqlite3_extended_result_codes(handle, 0);
  // mmap and a larger page cache: searches read FTS and document pages
  // without a read() system call each (bench/retrieval: kernel copies were
  // the largest cost of a search before this).
  switch_to_write_ahead_log(database);
  database.execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                   "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;");
  migrate(database);
  register_full_text_ranking(handle);
}

}  // namespace

Database::Database(const std::string& path) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  prepare_private_database(path);
  if (sqlite3_open_v2(path.c_str(), &handle_, flags, nullptr) != SQLITE_OK) {
    if (handle_ && is_out_of_descriptors(sqlite3_system_errno(handle_))) {
      sqlite3_close(handle_);
      handle_ = nullptr;
      throw out_of_descriptors(path);
    }
    std::string message = "cannot open the store at " + path + ": " +
                          (handle_ ? sqlite3_errmsg(handle_) : "out of memory") +
                          "; check that the directory exists and is writable, or pass --home";
    sqlite3_close(handle_);
    handle_ = nullptr;
    throw Error(ErrorKind::runtime, std::move(message));
  }
  sqlite3_wal_hook(handle_, &Database::after_commit, this);
  try {
    configure_and_migrate(*this);
  } catch (...) {
    // A store that cannot be used (a newer schema, a failed migration) is
    // closed here: the destructor does not run for a throwing constructor.
    for (auto& [sql, statement] : cached_) sqlite3_finalize(statement);
    cached_.clear();
    sqlite3_close_v2(handle_);
    handle_ = nullptr;
    throw;
  }
}

Database::~Database() {
  for (auto& [sql, statement] : cached_) sqlite3_finalize(statement);
  keep_write_ahead_log_short();
  sqlite3_close_v2(handle_);
}

int Database::after_commit(void* database, sqlite3* handle, const char* schema, int frames) {
  static_cast<Database*>(database)->write_ahead_log_frames_ = frames;
  // A hook replaces SQLite's automatic checkpoint; this is that rule (PASSIVE,
  // at its default of 1,000 frames).
  if (frames >= kAutomaticCheckpointFrames) (void)sqlite3_wal_checkpoint(handle, schema);
  return SQLITE_OK;
}

void Database::keep_write_ahead_log_short() noexcept {
  if (!handle_ || write_ahead_log_frames_ <= kShortWriteAheadLogFrames) return;
  // Never wait here: another process using the store (weir serve, an import)
  // keeps its WAL index, so no one pays for the long log until it closes too.
  sqlite3_busy_timeout(handle_, 0);
  (void)sqlite3_wal_checkpoint_v2(handle_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

sqlite3_stmt* Database::take_cached(std::string_view sql) {
  auto found = cached_.find(std::string(sql));
  if (found == cached_.end()) return nullptr;
  auto* statement = found->second;
  cached_.erase(found);
  return statement;
}

void Database::give_back(std::string sql, sqlite3_stmt* statement) {
  // A statement left mid-step holds read locks: reset it before keeping it.
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  if (cached_.count(sql)) {  // a second copy was in use at the same time
    sqlite3_finalize(statement);
    return;
  }
  if (cached_.size() >= kMaxCachedStatements) {  // one-off SQL must not pin the cache
    sqlite3_finalize(cached_.begin()->second);
    cached_.erase(cached_.begin());
  }
  cached_.emplace(std::move(sql), statement);
}

void Database::execute(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    fail(handle_, "running '" + text.substr(0, 60) + "'");
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(handle_); }
int Database::changes() const { return sqlite3_changes(handle_); }

void Database::limit_page_cache(size_t kibibytes) {
  execute("PRAGMA cache_size=-" + std::to_string(kibibytes));
}

size_t Database::page_cache_bytes() const {
  int current = 0;
  int highest = 0;
  if (sqlite3_db_status(handle_, SQLITE_DBSTATUS_CACHE_USED, &current, &highest, 0) != SQLITE_OK) return 0;
  return current < 0 ? 0 : static_cast<size_t>(current);
}

Statement::Statement(Database& database, std::string_view sql) : database_(&database), sql_(sql) {
  statement_ = database.take_cached(sql);
  if (statement_) return;
  if (sqlite3_prepare_v2(database.handle(), sql.data(), static_cast<int>(sql.size()), &statement_,
                         nullptr) != SQLITE_OK) {
    sqlite3_finalize(statement_);
    statement_ = nullptr;
    fail(database.handle(), "preparing '" + std::string(sql.substr(0, 60)) + "'");
  }
}

Statement::~Statement() {
  if (statement_) database_->give_back(std::move(sql_), statement_);
}

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_), statement_(other.statement_), sql_(std::move(other.sql_)) {
  other.statement_ = nullptr;
}

Statement& Statement::bind(int position, std::string_view text) {
  if (sqlite3_bind_text(statement_, position, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    fail(database_->handle(), "binding a value");
  return *this;
}

Statement& Statement::bind(int position, int64_t value) {
  if (sqlite3_bind_int64(statement_, position, value) != SQLITE_OK)
    fail(database_->handle(), "binding a value");
  return *this;
}

Statement& Statement::bind(int position, double value) {
  if (sqlite3_bind_double(statement_, position, value) != SQLITE_OK)
    fail(database_->handle(), "binding a value");
  return *this;
}

Statement& Statement::bind_null(int position) {
  if (sqlite3_bind_null(statement_, position) != SQLITE_OK)
    fail(database_->handle(), "binding a value");
  return *this;
}

Statement& Statement::bind_blob(int position, const void* data, size_t size) {
  if (sqlite3_bind_blob64(statement_, position, data, size, SQLITE_TRANSIENT) != SQLITE_OK)
    fail(database_->handle(), "binding a value");
  return *this;
}

std::pair<const void*, size_t> Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(statement_, column);
  return {data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))};
}

Statement& Statement::bind(int position, const std::optional<std::string>& text) {
  return text ? bind(position, std::string_view(*text)) : bind_null(position);
}

bool Statement::step() {
  int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  fail(database_->handle(), std::string("running '") + std::string(sqlite3_sql(statement_)).substr(0, 60) + "'");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  if (!bytes) return {};
  return std::string(reinterpret_cast<const char*>(bytes),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_, column); }
double Statement::real(int column) const { return sqlite3_column_double(statement_, column); }
bool Statement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

}  // namespace weir
