// Fuzz target: the JSON-RPC reader of `weir mcp serve` over stdio — what
// StdioServer::serve (mcp/protocol/stdio_server.cpp) does with its input
// before a session sees it: LineReader splits it into messages,
// read_message_text() reads each by weir's JSON input policy, classify()
// sorts. (The session itself is left out: it answers, it does not read.)
//
// Invariants besides "no crash, no sanitizer report":
// - LineReader gives exactly the lines a plain split on "\n" gives (one "\r"
//   before "\n" dropped, blank lines skipped, lines over the limit reported
//   as too large with their size);
// - read_message_text() either gives a value nested no deeper than the
//   policy's limit, or an error code (-32600 or -32700) with a message;
// - classify() never throws, and what it says holds: a request has a string
//   or integer id, a notification none, an invalid message a reason; the
//   answer to it can be serialised.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_input.hpp"
#include "fuzz/fuzz_check.hpp"
#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/line_reader.hpp"

namespace {

using weir::fuzz::check;
using namespace weir::mcp::protocol;

// Small, so inputs of a few KiB reach it.
constexpr size_t kMaxLineBytes = 1024;

// The lines LineReader should return, by its contract, from a plain split.
std::vector<LineReader::Line> expected_lines(std::string_view input) {
  std::vector<LineReader::Line> lines;
  while (!input.empty()) {
    auto newline = input.find('\n');
    bool terminated = newline != std::string_view::npos;
    auto text = input.substr(0, newline);
    input.remove_prefix(terminated ? newline + 1 : input.size());
    if (terminated && !text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.size() > kMaxLineBytes) {
      lines.push_back({LineReader::Status::too_large, {}, text.size()});
      continue;
    }
    auto blank = terminated ? std::string_view(" \t") : std::string_view(" \t\r");
    if (text.find_first_not_of(blank) == std::string_view::npos) continue;
    lines.push_back({LineReader::Status::line, std::string(text), text.size()});
  }
  return lines;
}

size_t depth_of(const json& value) {
  if (!value.is_structured()) return 0;
  size_t deepest = 0;
  for (const auto& element : value) deepest = std::max(deepest, depth_of(element));
  return deepest + 1;
}

void check_message(const std::string& text) {
  auto read = read_message_text(text);
  if (read.error_code != 0) {
    check(read.error_code == error_code::invalid_request || read.error_code == error_code::parse_error,
          "a refused message is an invalid request or a parse error");
    check(!read.error_message.empty(), "a refused message says why");
    check(read.value.is_null(), "a refused message has no value");
    return;
  }
  const json& message = read.value;
  check(depth_of(message) <= weir::kMaxJsonDepth, "an accepted message is within the depth limit");

  auto incoming = classify(message);
  switch (incoming.kind) {
    case MessageKind::request:
      check(incoming.id.is_string() || incoming.id.is_number_integer(), "a request has a string or integer id");
      check(incoming.params.is_null() || incoming.params.is_structured(), "params are an object or array");
      break;
    case MessageKind::notification:
      check(incoming.id.is_null(), "a notification has no id");
      break;
    case MessageKind::response:
      check(!message.contains("method"), "a response has no method");
      break;
    case MessageKind::invalid:
      check(!incoming.problem.empty(), "an invalid message says why");
      (void)make_error(incoming.id, error_code::invalid_request, incoming.problem).dump();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The input as stdin would carry it: an in-memory file read by read().
  int fd = ::memfd_create("fuzz_json_rpc", 0);
  check(fd >= 0, "memfd_create()");
  check(::write(fd, data, size) == static_cast<ssize_t>(size), "write() the input");
  check(::lseek(fd, 0, SEEK_SET) == 0, "lseek()");

  auto expected = expected_lines(std::string_view(reinterpret_cast<const char*>(data), size));
  LineReader reader(fd, kMaxLineBytes);
  size_t index = 0;
  for (auto line = reader.next(); line.status != LineReader::Status::end; line = reader.next(), ++index) {
    check(index < expected.size(), "no more lines than a plain split gives");
    check(line.status == expected[index].status && line.bytes == expected[index].bytes &&
              line.text == expected[index].text,
          "each line is the one a plain split gives");
    if (line.status == LineReader::Status::line) check_message(line.text);
  }
  check(index == expected.size(), "no fewer lines than a plain split gives");
  ::close(fd);
  return 0;
}
