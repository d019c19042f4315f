#include "core/policy/limit_counters.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <unordered_map>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {

// The file: a header page, the counter slots, the lease entries.
constexpr char kMagic[8] = {'w', 'e', 'i', 'r', 'l', 'i', 'm', '1'};
// 2: names within a probe window, stale counters taken over, claims carrying
// their process. A version 1 file is started afresh (its names may lie past
// the window).
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderSize = 4096;
constexpr size_t kNameCapacity = 100;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t slots;
  uint32_t leases;
  uint32_t slot_size;
};

// tag: 0 free; while its name is written, the claiming process's id << 32
// with bit 0 set; kTombstone for a claim whose process died (a probe chain
// must not end there, and any creation may take it); else the name's hash
// with bit 1 set and bit 0 clear.
// words: the two windows (see the header).
struct Slot {
  uint64_t tag;
  uint64_t words[2];
  uint32_t name_length;
  char name[kNameCapacity];
};
static_assert(sizeof(Slot) == 128);

// holder: 0 free, else pid << 32 | (slot + 1) << 1 | reserved, where
// reserved is set while expires_at is being written.
struct Lease {
  uint64_t holder;
  int64_t expires_at;
};

// Outside Header (which is compared whole): how many slots have ever been
// claimed from empty, for the bound on names callers can multiply.
constexpr size_t kOccupiedOffset = 64;

constexpr size_t kSlotsOffset = kHeaderSize;
constexpr size_t kLeasesOffset = kSlotsOffset + sizeof(Slot) * LimitCounters::kSlots;
constexpr size_t kFileSize = kLeasesOffset + sizeof(Lease) * LimitCounters::kLeases;

static_assert((LimitCounters::kSlots & (LimitCounters::kSlots - 1)) == 0);
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free, "the counters need lock-free 64-bit atomics");
static_assert(std::atomic_ref<int64_t>::is_always_lock_free, "the counters need lock-free 64-bit atomics");
static_assert(alignof(Slot) >= std::atomic_ref<uint64_t>::required_alignment);

constexpr int kCountBits = 38;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
constexpr int64_t kWindowMask = LimitCounters::kWindowIds - 1;
// How many times a reader yields to a live process writing a slot's name
// before it probes on past that slot.
constexpr int kClaimPatience = 10'000;

using Atomic = std::atomic_ref<uint64_t>;

constexpr uint64_t kTombstone = 2;
uint64_t ready_tag(uint64_t hash) {
  auto tag = (hash | 2) & ~uint64_t{1};
  return tag == kTombstone ? tag | 4 : tag;
}
uint64_t claiming_tag() { return (static_cast<uint64_t>(static_cast<uint32_t>(getpid())) << 32) | 1; }
bool is_claiming(uint64_t tag) { return (tag & 1) != 0; }

int64_t held_window(uint64_t word) { return static_cast<int64_t>(word >> kCountBits); }
int64_t held_count(uint64_t word) { return static_cast<int64_t>(word & kCountMask); }
uint64_t make_word(int64_t window, int64_t count) {
  return (static_cast<uint64_t>(window) << kCountBits) | static_cast<uint64_t>(count);
}

bool process_gone(uint32_t pid) {
  if (pid == 0) return true;  // a claim from before claims carried their process
  if (pid == static_cast<uint32_t>(getpid())) return false;
  return kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH;
}

std::string system_error(const std::string& what, const std::string& path) {
  return "cannot " + what + " the limits counters file " + path + ": " + std::strerror(errno);
}

// Unlocks explicitly: the mapping keeps the open file description alive, so
// closing the descriptor alone would keep the flock held for ever.
struct LockedFile {
  int fd = -1;
  bool locked = false;
  ~LockedFile() {
    if (locked) flock(fd, LOCK_UN);
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// One mapping per counters file per process.
struct CounterRegistry {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<LimitCounters>> files;
};

namespace {
CounterRegistry& registry() {
  static auto* instance = new CounterRegistry();  // never destroyed: threads may outlive static destruction
  return *instance;
}

Slot* slots(unsigned char* base) { return reinterpret_cast<Slot*>(base + kSlotsOffset); }
Lease* leases(unsigned char* base) { return reinterpret_cast<Lease*>(base + kLeasesOffset); }
Atomic occupied(unsigned char* base) { return Atomic(*reinterpret_cast<uint64_t*>(base + kOccupiedOffset)); }

// The tag of a slot once no claim is under way: waits for a process writing
// the slot's name, and makes a tombstone of a slot whose claimer died
// mid-claim (nothing refers to a claim that never finished, but it may have
// been taking over a slot names past it were found through, so it cannot be
// emptied). A claimer that stays alive past kClaimPatience yields
// (descheduled, or its pid reused) keeps its slot: the tag returned is still
// a claim, which matches no name.
uint64_t settled_tag(Atomic tag) {
  auto seen = tag.load(std::memory_order_acquire);
  for (int wait = 0; is_claiming(seen) && wait < kClaimPatience; ++wait) {
    if (process_gone(static_cast<uint32_t>(seen >> 32))) {
      if (tag.compare_exchange_strong(seen, kTombstone, std::memory_order_acq_rel)) return kTombstone;
      continue;  // `seen` holds what it changed to
    }
    sched_yield();
    seen = tag.load(std::memory_order_acquire);
  }
  return seen;
}
}  // namespace

std::shared_ptr<LimitCounters> LimitCounters::open(const std::string& database_path) {
  bool in_memory = database_path.empty() || database_path == ":memory:";
  std::string path = in_memory ? ":memory:" : database_path + "-limits";
  auto& shared = registry();
  std::lock_guard lock(shared.mutex);
  auto& cached = shared.files[path];
  if (cached) {
    if (in_memory) return cached;
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && static_cast<uint64_t>(status.st_dev) == cached->device_ &&
        static_cast<uint64_t>(status.st_ino) == cached->inode_ && static_cast<size_t>(status.st_size) == kFileSize)
      return cached;
  }
  std::shared_ptr<LimitCounters> counters(new LimitCounters());
  counters->path_ = path;
  if (in_memory) {
    void* memory = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw Error(ErrorKind::runtime, system_error("map", path));
    counters->base_ = static_cast<unsigned char*>(memory);
    counters->size_ = kFileSize;
    counters->start_afresh();
  } else {
    counters->map_file(path);
  }
  cached = counters;
  return counters;
}

LimitCounters::~LimitCounters() {
  if (base_) munmap(base_, size_);
}

void LimitCounters::map_file(const std::string& path) {
  LockedFile file;
  file.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (file.fd < 0) throw Error(ErrorKind::runtime, system_error("open", path));
  make_private(path);
  // Another process may be creating or repairing it: one at a time.
  while (flock(file.fd, LOCK_EX) != 0)
    if (errno != EINTR) throw Error(ErrorKind::runtime, system_error("lock", path));
  file.locked = true;
  struct stat status {};
  if (fstat(file.fd, &status) != 0) throw Error(ErrorKind::runtime, system_error("read", path));
  device_ = static_cast<uint64_t>(status.st_dev);
  inode_ = static_cast<uint64_t>(status.st_ino);
  auto size = static_cast<size_t>(status.st_size);
  std::string damage;
  if (size != 0 && size != kFileSize)
    damage = "it is " + std::to_string(size) + " bytes, not " + std::to_string(kFileSize);
  // Only grown to its full size here, under the lock, before anyone maps it
  // (a mapping past the end of a file would fault).
  if (size != kFileSize && ftruncate(file.fd, static_cast<off_t>(kFileSize)) != 0)
    throw Error(ErrorKind::runtime, system_error("size", path));
  void* memory = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd, 0);
  if (memory == MAP_FAILED) throw Error(ErrorKind::runtime, system_error("map", path));
  base_ = static_cast<unsigned char*>(memory);
  size_ = kFileSize;

  Header expected{};
  std::memcpy(expected.magic, kMagic, sizeof kMagic);
  expected.version = kVersion;
  expected.slots = kSlots;
  expected.leases = kLeases;
  expected.slot_size = sizeof(Slot);
  Header zero{};
  bool blank = std::memcmp(base_, &zero, sizeof zero) == 0;
  Header found{};
  std::memcpy(&found, base_, sizeof found);
  bool older = damage.empty() && std::memcmp(found.magic, kMagic, sizeof kMagic) == 0 && found.version < kVersion;
  if (older)
    std::cerr << "weir: the limits counters file " << path << " was written by an older weir (version "
              << found.version << "); limits and budgets count afresh from now" << std::endl;
  else if (damage.empty() && !blank && std::memcmp(base_, &expected, sizeof expected) != 0)
    damage = "its header is not that of weir's limits counters, version " + std::to_string(kVersion);
  if (!damage.empty())
    std::cerr << "weir: the limits counters file " << path << " was damaged (" << damage
              << "); limits and budgets count afresh from now" << std::endl;
  // A blank header on a full-size file: a process died while creating it.
  if (!damage.empty() || blank || older) start_afresh();
}

void LimitCounters::start_afresh() {
  std::memset(base_, 0, size_);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kVersion;
  header.slots = kSlots;
  header.leases = kLeases;
  header.slot_size = sizeof(Slot);
  std::memcpy(base_, &header, sizeof header);
}

int32_t LimitCounters::slot(std::string_view name, bool create, const Stale* stale, bool bounded) {
  auto hash = hash64(name);
  auto wanted = ready_tag(hash);
  auto stored_length = std::min(name.size(), kNameCapacity);
  auto* table = slots(base_);
  auto place = [&](uint32_t probe) { return static_cast<uint32_t>((hash + probe) & (kSlots - 1)); };
  auto write_name = [&](Slot& slot, Atomic tag) {
    slot.name_length = static_cast<uint32_t>(name.size());
    std::memcpy(slot.name, name.data(), stored_length);
    tag.store(wanted, std::memory_order_release);
  };
  // The window ends at its first empty place: a name is never past one.
  uint32_t end = kProbeWindow;
  bool tombstone_seen = false;
  for (uint32_t probe = 0; probe < kProbeWindow; ++probe) {
    auto index = place(probe);
    auto& slot = table[index];
    Atomic tag(slot.tag);
    auto seen = settled_tag(tag);
    tombstone_seen = tombstone_seen || seen == kTombstone;
    if (seen == 0) {
      if (!create) return -1;
      // A tombstone before this place is taken first (below): no place is spent on it.
      if (tombstone_seen || (bounded && occupied(base_).load(std::memory_order_relaxed) >= kSlots / 2)) {
        end = probe;
        break;
      }
      auto claim = claiming_tag();
      if (tag.compare_exchange_strong(seen, claim, std::memory_order_acq_rel)) {
        occupied(base_).fetch_add(1, std::memory_order_relaxed);
        write_name(slot, tag);
        return static_cast<int32_t>(index);
      }
      --probe;  // claimed meanwhile, perhaps for this very name: look again
      continue;
    }
    if (seen == wanted && slot.name_length == name.size() && std::memcmp(slot.name, name.data(), stored_length) == 0)
      return static_cast<int32_t>(index);
  }
  if (!create) return -1;
  // No empty place may take it: take over the first stale counter before the window's end.
  for (uint32_t probe = 0; probe < end; ++probe) {
    auto index = place(probe);
    auto& slot = table[index];
    Atomic tag(slot.tag);
    auto seen = settled_tag(tag);
    if (seen == 0) break;
    if (is_claiming(seen)) continue;
    // Another process may have just created this very name here.
    if (seen == wanted && slot.name_length == name.size() && std::memcmp(slot.name, name.data(), stored_length) == 0)
      return static_cast<int32_t>(index);
    std::string_view held(slot.name, std::min<size_t>(slot.name_length, kNameCapacity));
    if (seen != kTombstone && (!stale || !(*stale)(held, windows(static_cast<int32_t>(index))))) continue;
    if (!tag.compare_exchange_strong(seen, claiming_tag(), std::memory_order_acq_rel))
      return this->slot(name, create, stale, bounded);  // changed under us, perhaps for this very name
    for (auto& word : slot.words) Atomic(word).store(0, std::memory_order_release);
    write_name(slot, tag);
    return static_cast<int32_t>(index);
  }
  if (bounded) return -1;
  throw Error(ErrorKind::runtime, "the limits counters file " + path_ + " has no room for counter '" +
                                      std::string(name) + "': the " + std::to_string(kProbeWindow) +
                                      " places it may take hold counters in use; stop every weir process on this "
                                      "store and delete the file to count limits and budgets afresh");
}

bool LimitCounters::add_within(int32_t slot, int64_t window, int64_t amount, int64_t limit, int64_t& used) {
  auto id = window & kWindowMask;
  Atomic word(slots(base_)[slot].words[window & 1]);
  auto seen = word.load(std::memory_order_acquire);
  while (true) {
    int64_t count = 0;
    if (held_window(seen) == id)
      count = held_count(seen);
    else if (seen != 0 && held_window(seen) > id) {
      used = 0;  // a window that has already been replaced: nothing to count against
      return true;
    }
    auto next = count + amount;
    if (next > limit) {
      used = count;
      return false;
    }
    next = std::min(next, kMaxCount);
    if (word.compare_exchange_weak(seen, make_word(id, next), std::memory_order_acq_rel)) {
      used = next;
      return true;
    }
  }
}

void LimitCounters::add(int32_t slot, int64_t window, int64_t delta) {
  auto id = window & kWindowMask;
  Atomic word(slots(base_)[slot].words[window & 1]);
  auto seen = word.load(std::memory_order_acquire);
  while (true) {
    int64_t count = 0;
    if (held_window(seen) == id)
      count = held_count(seen);
    else if (seen != 0 && held_window(seen) > id)
      return;
    auto next = std::clamp<int64_t>(count + delta, 0, kMaxCount);
    if (word.compare_exchange_weak(seen, make_word(id, next), std::memory_order_acq_rel)) return;
  }
}

int64_t LimitCounters::used(int32_t slot, int64_t window) const {
  auto id = window & kWindowMask;
  auto seen = Atomic(slots(base_)[slot].words[window & 1]).load(std::memory_order_acquire);
  return held_window(seen) == id ? held_count(seen) : 0;
}

std::vector<std::pair<int64_t, int64_t>> LimitCounters::windows(int32_t slot) const {
  std::vector<std::pair<int64_t, int64_t>> held;
  for (auto& raw : slots(base_)[slot].words) {
    auto seen = Atomic(raw).load(std::memory_order_acquire);
    if (seen != 0) held.emplace_back(held_window(seen), held_count(seen));
  }
  return held;
}

std::vector<std::string> LimitCounters::names(std::string_view prefix) const {
  std::vector<std::string> found;
  auto* table = slots(base_);
  for (uint32_t index = 0; index < kSlots; ++index) {
    auto& slot = table[index];
    auto seen = Atomic(slot.tag).load(std::memory_order_acquire);
    if (seen == 0 || is_claiming(seen)) continue;
    std::string name(slot.name, std::min<size_t>(slot.name_length, kNameCapacity));
    if (name.starts_with(prefix)) found.push_back(std::move(name));
  }
  return found;
}

int32_t LimitCounters::take_lease(int32_t slot, int64_t expires_at, uint64_t seed) {
  auto owner = (static_cast<uint64_t>(static_cast<uint32_t>(getpid())) << 32) |
               (static_cast<uint64_t>(slot + 1) << 1);
  auto* entries = leases(base_);
  for (uint32_t probe = 0; probe < kLeases; ++probe) {
    auto index = static_cast<uint32_t>((seed + probe) % kLeases);
    Atomic holder(entries[index].holder);
    uint64_t free = 0;
    if (holder.load(std::memory_order_relaxed) != 0 ||
        !holder.compare_exchange_strong(free, owner | 1, std::memory_order_acq_rel))
      continue;
    std::atomic_ref<int64_t>(entries[index].expires_at).store(expires_at, std::memory_order_relaxed);
    holder.store(owner, std::memory_order_release);
    return static_cast<int32_t>(index);
  }
  return -1;
}

void LimitCounters::release_lease(int32_t entry, int32_t slot) {
  auto owner = (static_cast<uint64_t>(static_cast<uint32_t>(getpid())) << 32) |
               (static_cast<uint64_t>(slot + 1) << 1);
  // Fails when the lease expired and a refused request took it back, which
  // gave its count back already.
  if (Atomic(leases(base_)[entry].holder).compare_exchange_strong(owner, 0, std::memory_order_acq_rel))
    add(slot, 0, -1);
}

int LimitCounters::reclaim_leases(int32_t slot, int64_t now) {
  int taken = 0;
  auto* entries = leases(base_);
  auto mark = static_cast<uint64_t>(slot + 1) << 1;
  for (uint32_t index = 0; index < kLeases; ++index) {
    Atomic holder(entries[index].holder);
    auto seen = holder.load(std::memory_order_acquire);
    if (seen == 0 || (seen & 0xffff'fffeULL) != mark) continue;
    bool reserved = (seen & 1) != 0;
    bool expired =
        !reserved && std::atomic_ref<int64_t>(entries[index].expires_at).load(std::memory_order_relaxed) <= now;
    if (!expired && !process_gone(static_cast<uint32_t>(seen >> 32))) continue;
    if (holder.compare_exchange_strong(seen, 0, std::memory_order_acq_rel)) {
      add(slot, 0, -1);
      ++taken;
    }
  }
  return taken;
}

}  // namespace weir
