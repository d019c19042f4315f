#include "mcp/protocol/session_table.hpp"

#include <random>

namespace weir::mcp::protocol {

namespace {

std::string new_session_id() {
  // std::random_device reads the kernel's CSPRNG (getrandom) in libstdc++.
  thread_local std::random_device source;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int word = 0; word < 4; ++word) {
    auto bits = source();
    for (int nibble = 0; nibble < 8; ++nibble) id.push_back(kHex[(bits >> (nibble * 4)) & 0xF]);
  }
  return id;
}

// Ends the sessions taken out of the table (their calls are cancelled,
// their standing streams closed), outside its lock.
void end_sessions(const std::vector<std::shared_ptr<Session>>& sessions) {
  for (const auto& session : sessions) session->end();
}

}  // namespace

SessionTable::SessionTable(SessionTableOptions options, Clock clock)
    : options_(options), clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

SessionTable::Lease::Lease(SessionTable& table, std::string id, std::shared_ptr<Session> session)
    : table_(table), id_(std::move(id)), session_(std::move(session)) {}

SessionTable::Lease::~Lease() { table_.release(id_); }

bool SessionTable::expired(const Entry& entry, std::chrono::steady_clock::time_point now) const {
  return entry.busy == 0 && now - entry.last_used > options_.idle_expiry;
}

void SessionTable::make_room(std::vector<std::shared_ptr<Session>>& dropped) {
  auto now = clock_();
  for (auto entry = sessions_.begin(); entry != sessions_.end();) {
    if (expired(entry->second, now)) {
      dropped.push_back(std::move(entry->second.session));
      entry = sessions_.erase(entry);
    } else {
      ++entry;
    }
  }
  if (sessions_.size() < options_.max_sessions) return;
  auto oldest = sessions_.end();
  for (auto entry = sessions_.begin(); entry != sessions_.end(); ++entry)
    if (entry->second.busy == 0 && (oldest == sessions_.end() || entry->second.last_used < oldest->second.last_used))
      oldest = entry;
  if (oldest == sessions_.end()) return;
  dropped.push_back(std::move(oldest->second.session));
  sessions_.erase(oldest);
}

std::unique_ptr<SessionTable::Lease> SessionTable::add(std::shared_ptr<Session> session, const std::string& owner) {
  std::vector<std::shared_ptr<Session>> dropped;
  std::unique_ptr<Lease> lease;
  {
    std::lock_guard lock(mutex_);
    make_room(dropped);
    if (sessions_.size() < options_.max_sessions) {
      auto id = new_session_id();
      while (sessions_.count(id)) id = new_session_id();
      sessions_[id] = Entry{session, owner, clock_(), 1};
      lease = std::make_unique<Lease>(*this, id, std::move(session));
    }
  }
  end_sessions(dropped);
  return lease;
}

std::unique_ptr<SessionTable::Lease> SessionTable::acquire(const std::string& id, const std::string& owner) {
  std::shared_ptr<Session> dropped;
  {
    std::lock_guard lock(mutex_);
    auto found = sessions_.find(id);
    if (found == sessions_.end() || found->second.owner != owner) return nullptr;
    auto now = clock_();
    if (expired(found->second, now)) {
      dropped = std::move(found->second.session);
      sessions_.erase(found);
    } else {
      ++found->second.busy;
      found->second.last_used = now;
      return std::make_unique<Lease>(*this, id, found->second.session);
    }
  }
  dropped->end();
  return nullptr;
}

void SessionTable::release(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(id);
  // A session removed while in use is no longer here; nothing to release.
  if (found == sessions_.end() || found->second.busy == 0) return;
  --found->second.busy;
  found->second.last_used = clock_();
}

bool SessionTable::remove(const std::string& id, const std::string& owner) {
  std::shared_ptr<Session> removed;
  {
    std::lock_guard lock(mutex_);
    auto found = sessions_.find(id);
    if (found == sessions_.end() || found->second.owner != owner) return false;
    removed = std::move(found->second.session);
    sessions_.erase(found);
  }
  removed->end();
  return true;
}

void SessionTable::clear() {
  std::vector<std::shared_ptr<Session>> removed;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, entry] : sessions_) removed.push_back(std::move(entry.session));
    sessions_.clear();
  }
  end_sessions(removed);
}

size_t SessionTable::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace weir::mcp::protocol
