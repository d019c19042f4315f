// Schema migrations: numbered, applied in order at open, one transaction each.
//
// PRAGMA user_version records how many have run. A store written by a newer
// weir (user_version beyond what this binary knows) is refused rather than
// guessed at, so an old binary can never damage a newer store.
#pragma once

namespace weir {
class Database;
// Brings the store to the latest version; Error(runtime) for a newer store.
void migrate(Database& database);
// How many migrations this binary knows: the user_version of a current store.
int latest_schema_version();
}  // namespace weir
