// Session answers — one answer at a time per web chat session.
//
// A prompt sent while the same session's previous one is still being answered
// (a second tab, a double submit) would interleave two turns in one
// conversation; it is refused instead. The record is this process's: it is
// what `weir serve` is answering now, and it is gone with the process, so no
// crash can leave a session stuck.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace weir {

// The sessions being answered. begin() is
// Error(rate_limited, "session_busy") while the session already has one; the
// Answering it returns ends it when destroyed.
class SessionAnswers {
 public:
  class Answering {
   public:
    Answering(SessionAnswers& owner, std::string session_id) : owner_(&owner), session_id_(std::move(session_id)) {}
    Answering(Answering&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)), session_id_(std::move(other.session_id_)) {}
    Answering(const Answering&) = delete;
    Answering& operator=(const Answering&) = delete;
    Answering& operator=(Answering&&) = delete;
    ~Answering();

   private:
    SessionAnswers* owner_;
    std::string session_id_;
  };

  Answering begin(const std::string& session_id);

 private:
  std::mutex mutex_;
  std::set<std::string> answering_;
};

}  // namespace weir
