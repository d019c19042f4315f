// SessionTable — the live sessions of a streamable-HTTP endpoint, by
// Mcp-Session-Id, held to a bound so that no client can exhaust memory by
// initializing over and over.
//
// Contract:
//   - add() gives the session a new id: 128 bits from the system's secure
//     random source, as 32 hex digits (visible ASCII, as the spec requires).
//     First it drops sessions idle for longer than `idle_expiry`; when the
//     table is still full it evicts the session idle the longest. A session
//     is idle while no request holds a Lease on it. With every session busy
//     add() refuses (returns nothing).
//   - acquire() finds a session for a request and marks it busy until the
//     Lease is gone; an expired session, an unknown id, or another owner's
//     session is not found.
//   - remove() (DELETE) and clear() (shutdown) take sessions out.
//   Sessions taken out (evicted, expired, removed) get Session::end() so
//   their calls stop and a standing GET stream closes; they are destroyed
//   when the last request using them is done.
//   Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mcp/protocol/session.hpp"

namespace weir::mcp::protocol {

struct SessionTableOptions {
  size_t max_sessions = 1000;
  std::chrono::milliseconds idle_expiry = std::chrono::minutes(30);
};

class SessionTable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit SessionTable(SessionTableOptions options = {}, Clock clock = nullptr);

  class Lease {
   public:
    Lease(SessionTable& table, std::string id, std::shared_ptr<Session> session);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Session& operator*() const { return *session_; }
    Session* operator->() const { return session_.get(); }
    const std::shared_ptr<Session>& session() const { return session_; }
    const std::string& id() const { return id_; }

   private:
    SessionTable& table_;
    std::string id_;
    std::shared_ptr<Session> session_;
  };

  // The new session's lease (busy until it is gone), or nothing when full of busy sessions.
  std::unique_ptr<Lease> add(std::shared_ptr<Session> session, const std::string& owner);
  std::unique_ptr<Lease> acquire(const std::string& id, const std::string& owner);
  bool remove(const std::string& id, const std::string& owner);
  void clear();
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<Session> session;
    std::string owner;
    std::chrono::steady_clock::time_point last_used;
    size_t busy = 0;
  };
  void release(const std::string& id);
  // Under the lock: moves expired sessions (and, when still full, the least
  // recently used idle one) into `dropped`.
  void make_room(std::vector<std::shared_ptr<Session>>& dropped);
  bool expired(const Entry& entry, std::chrono::steady_clock::time_point now) const;

  SessionTableOptions options_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
};

}  // namespace weir::mcp::protocol
