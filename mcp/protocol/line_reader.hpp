// LineReader — newline-delimited messages from a file descriptor (stdin), with
// a size limit that holds memory to the limit whatever the peer sends.
//
// Contract: next() returns one line without its "\n" (and without a trailing
// "\r"), skipping blank lines. A line longer than the limit is read to its end
// and dropped, and reported as too_large with its size, so the caller can
// answer it and carry on with the next message. At end of input a last
// unterminated line is still returned, then `end` for ever after.
#pragma once

#include <cstddef>
#include <string>

namespace weir::mcp::protocol {

class LineReader {
 public:
  LineReader(int fd, size_t max_line_bytes);

  enum class Status { line, too_large, end };
  struct Line {
    Status status = Status::end;
    std::string text;  // for Status::line
    size_t bytes = 0;  // the size of the line (also when too large)
  };
  Line next();

 private:
  // Appends what one read() returns; false at end of input.
  bool fill();
  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  size_t scanned_ = 0;  // bytes of buffer_ already known to hold no newline
  bool end_ = false;
};

}  // namespace weir::mcp::protocol
