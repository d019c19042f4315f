#include "cli/interrupt.hpp"

#include <csignal>

namespace weir::cli {

namespace {
std::atomic<std::atomic<bool>*> current_flag{nullptr};
struct sigaction previous_action {};

void on_interrupt(int) {
  if (auto* flag = current_flag.load()) flag->store(true);
}
}  // namespace

InterruptScope::InterruptScope(const CancelToken& token) {
  current_flag.store(token.raw_flag());
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, &previous_action);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previous_action, nullptr);
  current_flag.store(nullptr);
}

}  // namespace weir::cli
