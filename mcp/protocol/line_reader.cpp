#include "mcp/protocol/line_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weir::mcp::protocol {

namespace {
constexpr size_t kReadSize = 64 * 1024;
}

LineReader::LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {}

bool LineReader::fill() {
  if (end_) return false;
  char chunk[kReadSize];
  while (true) {
    auto count = ::read(fd_, chunk, sizeof chunk);
    if (count > 0) {
      buffer_.append(chunk, static_cast<size_t>(count));
      return true;
    }
    if (count < 0 && errno == EINTR) continue;
    // A read error (other than an interrupted call) ends the input as end of
    // file does: there is nothing more to read either way.
    end_ = true;
    return false;
  }
}

LineReader::Line LineReader::next() {
  while (true) {
    auto newline = buffer_.find('\n', scanned_);
    if (newline != std::string::npos) {
      size_t length = newline;
      if (length > 0 && buffer_[length - 1] == '\r') --length;
      Line line;
      line.bytes = length;
      if (length > max_line_bytes_) {
        line.status = Status::too_large;
      } else {
        line.status = Status::line;
        line.text.assign(buffer_, 0, length);
      }
      buffer_.erase(0, newline + 1);
      scanned_ = 0;
      if (line.status == Status::line && line.text.find_first_not_of(" \t") == std::string::npos) continue;
      return line;
    }
    scanned_ = buffer_.size();
    if (buffer_.size() > max_line_bytes_) {
      // Too large already: drop bytes until the line ends, keeping only what
      // follows its newline.
      size_t dropped = buffer_.size();
      buffer_.clear();
      scanned_ = 0;
      while (fill()) {
        auto end_of_line = buffer_.find('\n');
        if (end_of_line != std::string::npos) {
          dropped += end_of_line;
          buffer_.erase(0, end_of_line + 1);
          return {Status::too_large, {}, dropped};
        }
        dropped += buffer_.size();
        buffer_.clear();
      }
      return {Status::too_large, {}, dropped};
    }
    if (!fill()) {
      if (buffer_.find_first_not_of(" \t\r") == std::string::npos) {
        buffer_.clear();
        return {Status::end, {}, 0};
      }
      Line last;
      last.status = Status::line;
      last.text = std::move(buffer_);
      last.bytes = last.text.size();
      buffer_.clear();
      scanned_ = 0;
      return last;
    }
  }
}

}  // namespace weir::mcp::protocol
