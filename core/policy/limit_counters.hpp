// LimitCounters — the counters of limits and budgets, in a file beside the
// store ("weir.db-limits", mode 0600) that every weir process on that store
// maps shared, so two `weir serve` and a `weir chat` count together without a
// write transaction per request (core/policy/limit_ledger.hpp decides what to
// count; this only keeps the numbers).
//
// A counter is a named slot ("gateway:ID:tokens_per_minute") holding two
// windows, the current one and the one before (window ids are the minute the
// window starts in, unix minutes; a window id's parity picks its word), each
// one 64-bit word: 26 bits of window id, 38 bits of the count. Every change
// is a compare-and-swap on that word, so a count and its window change
// together and an add never lands in a window that has been reused. A count
// saturates at 2^38 - 1 (274 billion tokens, or $274,877 in micro-USD).
// Slots are found by open addressing on hash64(name), a name always within
// the kProbeWindow places from its hash (a lookup reads no further). A slot
// is never emptied, so no probe chain breaks; a creation that finds no empty
// place in its window instead takes over a slot its caller judges stale (a
// counter whose windows have all passed), zeroing its words. Callers can
// multiply some names (a public key's counters per remote address): those
// are created `bounded`, taking an empty slot only while fewer than half the
// slots are used, so they can never crowd out the others; they get -1 when
// their window holds no stale slot either, and the caller counts them
// somewhere shared. A takeover racing with a process that is just then
// adding to the stale counter may misplace that one count: a counter is
// stale only when nothing has counted in it for a whole window.
//
// A concurrency lease is an entry holding the process id, the counter's slot
// and an expiry: a lease whose process is gone, or whose expiry has passed,
// is taken back (its count given back) by the next request refused for that
// limit.
//
// open() maps a store's file once per process and returns the same mapping
// while the file on disk is the same (a stat each time): it maps a deleted
// or replaced file anew, and grows back a file cut short under it (where
// the mapping would fault); a file too short or not ours is cleared and
// started afresh with a line on stderr, never a crash. ":memory:" stores get
// a private mapping.
// Every method may be called from any thread; none takes a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

class LimitCounters {
 public:
  static constexpr uint32_t kSlots = 32768;
  static constexpr uint32_t kProbeWindow = 256;
  static constexpr uint32_t kLeases = 4096;
  static constexpr int64_t kMaxCount = (int64_t{1} << 38) - 1;
  // Window ids are kept modulo this (26 bits: unix minutes until 2097).
  static constexpr int64_t kWindowIds = int64_t{1} << 26;

  // The counters of the store at `database_path`; Error(runtime) if the file
  // cannot be created or mapped.
  static std::shared_ptr<LimitCounters> open(const std::string& database_path);
  ~LimitCounters();
  LimitCounters(const LimitCounters&) = delete;
  LimitCounters& operator=(const LimitCounters&) = delete;

  const std::string& path() const { return path_; }

  // Whether a counter may be taken over: its name and the windows it holds
  // (window id, count), as windows() gives them.
  using Stale = std::function<bool(std::string_view name, const std::vector<std::pair<int64_t, int64_t>>& windows)>;

  // The slot of counter `name`: found, or claimed when `create` (taking over
  // a slot `stale` accepts when its window has no empty place); -1 when
  // absent and not created, or when `bounded` and there is no room for it
  // (see above). Error(runtime) when its window holds only live counters.
  int32_t slot(std::string_view name, bool create, const Stale* stale = nullptr, bool bounded = false);

  // Adds `amount` (> 0) to window `window` of the slot unless the count would
  // pass `limit`; returns false then, with the count it had in `used`. A
  // window older than the one the word holds is not counted (returns true).
  bool add_within(int32_t slot, int64_t window, int64_t amount, int64_t limit, int64_t& used);
  // Adds `delta` (either sign; the count never goes below 0) to window
  // `window` if the slot still holds it, or starts it if it is newer.
  void add(int32_t slot, int64_t window, int64_t delta);
  // The count of window `window`: 0 when the slot does not hold it.
  int64_t used(int32_t slot, int64_t window) const;

  // The windows a slot holds: (window id, count), up to two.
  std::vector<std::pair<int64_t, int64_t>> windows(int32_t slot) const;
  // The names of every counter starting with `prefix`.
  std::vector<std::string> names(std::string_view prefix) const;

  // Records a lease of the concurrency counter `slot` until `expires_at`
  // (unix ms); returns its entry, or -1 when every entry is taken.
  int32_t take_lease(int32_t slot, int64_t expires_at, uint64_t seed);
  // Gives the lease back and decrements the counter, unless it was taken
  // back already.
  void release_lease(int32_t entry, int32_t slot);
  // Takes back the leases of `slot` that have expired by `now` or whose
  // process is gone; returns how many.
  int reclaim_leases(int32_t slot, int64_t now);

 private:
  LimitCounters() = default;
  void map_file(const std::string& database_path);
  void start_afresh();

  std::string path_;
  unsigned char* base_ = nullptr;
  size_t size_ = 0;
  uint64_t device_ = 0;
  uint64_t inode_ = 0;
};

}  // namespace weir
