// Full-text ranking — weir_bm25(), FTS5's bm25() with remembered row lengths.
//
// FTS5's own bm25() looks every matching row's length up in its docsize
// table through an SQL statement, and at 100k chunks that lookup was most of
// the cost of a lexical search (a query ranks every document holding one of
// its words). weir_bm25(documents_fts, version) computes the same score, by
// the formula in FTS5's documentation (k1 = 1.2, b = 0.75, IDF =
// ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6, negated so that smaller is
// better), but remembers each row's length per connection.
//
// `version` is the caller's word for the state of the full-text index (the
// lexical retriever passes a hash of FTS5's segment structure record, which
// counts the writes flushed into the index). Remembered lengths are dropped whenever it, the row count or
// the token total differs from the last query's; without it they last one
// query. The one way to see a stale length is a write committed between the
// caller reading the version and running its query that keeps both totals,
// and that only skews the length normalisation of the rows it touched.
//
// register_full_text_ranking() is called once per connection by Database.
#pragma once

struct sqlite3;

namespace weir {

// Throws Error(runtime) when FTS5 is missing from the SQLite library.
void register_full_text_ranking(sqlite3* connection);

}  // namespace weir
