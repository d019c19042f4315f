#include "core/chat_client/session_answers.hpp"

#include "core/error.hpp"

namespace weir {

SessionAnswers::Answering SessionAnswers::begin(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  if (!answering_.insert(session_id).second)
    throw Error(ErrorKind::rate_limited,
                "An answer is still being written in this chat (in another tab?). Wait for it to finish, then send again.",
                "session_busy");
  return Answering(*this, session_id);
}

SessionAnswers::Answering::~Answering() {
  if (!owner_) return;
  std::lock_guard lock(owner_->mutex_);
  owner_->answering_.erase(session_id_);
}

}  // namespace weir
