#include "core/store/full_text_ranking.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace weir {

namespace {
constexpr double kTermSaturation = 1.2;     // k1
constexpr double kLengthNormalising = 0.75;  // b
constexpr double kSmallestIdf = 1e-6;
// Lengths are kept in a table indexed by rowid (4 bytes per id), so rows
// with larger ids than this are ranked without remembering theirs: ids only
// grow (AUTOINCREMENT), and the table must stay in proportion to the rows.
sqlite3_int64 remembered_rowids(sqlite3_int64 rows) { return std::max<sqlite3_int64>(sqlite3_int64{1} << 20, 4 * rows); }
// Called without a version, lengths are only remembered within one query.
constexpr sqlite3_int64 kUnversioned = -2;

// Per connection: the length, in tokens, of rows already ranked.
struct RowLengths {
  sqlite3_int64 version = -1;  // the caller's word for the index's state
  sqlite3_int64 rows = -1;
  sqlite3_int64 tokens = -1;
  std::vector<int32_t> by_rowid;  // -1: not known yet
};

// Per query: what every row's score needs.
struct QueryStatistics {
  double average_length = 1;
  std::vector<double> idf;          // per phrase
  std::vector<double> frequencies;  // scratch, per phrase
};

int count_row(const Fts5ExtensionApi*, Fts5Context*, void* count) {
  ++*static_cast<sqlite3_int64*>(count);
  return SQLITE_OK;
}

int query_statistics(const Fts5ExtensionApi* api, Fts5Context* context, sqlite3_int64 version, RowLengths& lengths,
                     QueryStatistics*& statistics) {
  statistics = static_cast<QueryStatistics*>(api->xGetAuxdata(context, 0));
  if (statistics) return SQLITE_OK;
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  int result = api->xRowCount(context, &rows);
  if (result == SQLITE_OK) result = api->xColumnTotalSize(context, -1, &tokens);
  if (result != SQLITE_OK) return result;
  auto fresh = std::make_unique<QueryStatistics>();
  if (rows > 0) fresh->average_length = static_cast<double>(tokens) / static_cast<double>(rows);
  int phrases = api->xPhraseCount(context);
  for (int phrase = 0; phrase < phrases; ++phrase) {
    sqlite3_int64 holding = 0;
    result = api->xQueryPhrase(context, phrase, &holding, count_row);
    if (result != SQLITE_OK) return result;
    double idf = std::log((static_cast<double>(rows - holding) + 0.5) / (static_cast<double>(holding) + 0.5));
    fresh->idf.push_back(idf <= 0 ? kSmallestIdf : idf);
  }
  fresh->frequencies.resize(static_cast<size_t>(phrases));
  if (version == kUnversioned || lengths.version != version || lengths.rows != rows || lengths.tokens != tokens) {
    lengths.by_rowid.clear();
    lengths.version = version;
    lengths.rows = rows;
    lengths.tokens = tokens;
  }
  statistics = fresh.get();
  // On failure SQLite deletes the pointer itself.
  return api->xSetAuxdata(context, fresh.release(), [](void* data) { delete static_cast<QueryStatistics*>(data); });
}

int row_length(const Fts5ExtensionApi* api, Fts5Context* context, RowLengths& lengths, int& length) {
  sqlite3_int64 rowid = api->xRowid(context);
  bool remembered = rowid >= 0 && rowid < remembered_rowids(lengths.rows);
  auto slot = static_cast<size_t>(rowid);
  if (remembered && slot < lengths.by_rowid.size() && lengths.by_rowid[slot] >= 0) {
    length = lengths.by_rowid[slot];
    return SQLITE_OK;
  }
  int result = api->xColumnSize(context, -1, &length);
  if (result != SQLITE_OK || !remembered) return result;
  if (slot >= lengths.by_rowid.size()) lengths.by_rowid.resize(std::max(slot + 1, lengths.by_rowid.size() * 2), -1);
  lengths.by_rowid[slot] = length;
  return SQLITE_OK;
}

void weir_bm25(const Fts5ExtensionApi* api, Fts5Context* context, sqlite3_context* output, int argument_count,
               sqlite3_value** arguments) {
  auto& lengths = *static_cast<RowLengths*>(api->xUserData(context));
  sqlite3_int64 version = argument_count > 0 ? sqlite3_value_int64(arguments[0]) : kUnversioned;
  QueryStatistics* statistics = nullptr;
  int length = 0;
  int instances = 0;
  int result = query_statistics(api, context, version, lengths, statistics);
  if (result == SQLITE_OK) result = row_length(api, context, lengths, length);
  if (result == SQLITE_OK) result = api->xInstCount(context, &instances);
  if (result != SQLITE_OK) {
    sqlite3_result_error_code(output, result);
    return;
  }
  auto& frequencies = statistics->frequencies;
  std::fill(frequencies.begin(), frequencies.end(), 0.0);
  for (int instance = 0; instance < instances; ++instance) {
    int phrase = 0;
    int column = 0;
    int offset = 0;
    result = api->xInst(context, instance, &phrase, &column, &offset);
    if (result != SQLITE_OK) {
      sqlite3_result_error_code(output, result);
      return;
    }
    frequencies[static_cast<size_t>(phrase)] += 1.0;
  }
  double normalised_length =
      kTermSaturation * (1 - kLengthNormalising + kLengthNormalising * length / statistics->average_length);
  double score = 0;
  for (size_t phrase = 0; phrase < frequencies.size(); ++phrase)
    score += statistics->idf[phrase] * (frequencies[phrase] * (kTermSaturation + 1)) /
             (frequencies[phrase] + normalised_length);
  sqlite3_result_double(output, -score);
}
}  // namespace

void register_full_text_ranking(sqlite3* connection) {
  fts5_api* api = nullptr;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(connection, "SELECT fts5(?1)", -1, &statement, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(statement, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(statement);
  }
  sqlite3_finalize(statement);
  if (api == nullptr || api->iVersion < 2)
    throw Error(ErrorKind::runtime, "this SQLite library has no usable FTS5; install Debian's libsqlite3-0");
  auto lengths = std::make_unique<RowLengths>();
  if (api->xCreateFunction(api, "weir_bm25", lengths.get(), weir_bm25,
                           [](void* data) { delete static_cast<RowLengths*>(data); }) != SQLITE_OK)
    throw Error(ErrorKind::runtime, "cannot register weir_bm25() with FTS5");
  lengths.release();
}

}  // namespace weir
