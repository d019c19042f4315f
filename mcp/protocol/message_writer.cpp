#include "mcp/protocol/message_writer.hpp"

#include <unistd.h>

#include <cerrno>

namespace weir::mcp::protocol {

bool MessageWriter::write(const nlohmann::json& message) {
  auto line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(mutex_);
  if (broken_) return false;
  size_t written = 0;
  while (written < line.size()) {
    auto count = ::write(fd_, line.data() + written, line.size() - written);
    if (count < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      return false;
    }
    written += static_cast<size_t>(count);
  }
  return true;
}

}  // namespace weir::mcp::protocol
