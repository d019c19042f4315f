#include "mcp/protocol/stdio_server.hpp"

#include <signal.h>

#include <iostream>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/line_reader.hpp"
#include "mcp/protocol/message_writer.hpp"

namespace weir::mcp::protocol {

namespace {

// stdout is one outbox for every message: calls answer on it in any order.
class StdoutOutbox : public Outbox {
 public:
  explicit StdoutOutbox(int fd) : writer_(fd) {}
  void send(const json& message) override { writer_.write(message); }

 private:
  MessageWriter writer_;
};

}  // namespace

StdioServer::StdioServer(ServerInfo info, StdioOptions options) : info_(std::move(info)), options_(std::move(options)) {}

void StdioServer::serve(int input_fd, int output_fd) {
  // A client that goes away must not kill the server mid-answer with SIGPIPE:
  // the write fails instead and the rest of the answers are dropped.
  ::signal(SIGPIPE, SIG_IGN);
  auto out = std::make_shared<StdoutOutbox>(output_fd);
  SessionOptions session_options;
  session_options.max_calls_in_flight = options_.max_calls_in_flight;
  session_options.on_call_finished = options_.on_call_finished;
  Session session(info_, holder_ ? holder_ : std::make_shared<ToolSetHolder>(tools_), session_options);
  session.attach_notifications(out);
  LineReader reader(input_fd, options_.max_message_bytes);
  while (true) {
    auto line = reader.next();
    if (line.status == LineReader::Status::end) break;
    if (line.status == LineReader::Status::too_large) {
      std::cerr << "weir mcp: dropped a message of " << line.bytes << " bytes (limit " << options_.max_message_bytes
                << ")" << std::endl;
      out->send(make_error(nullptr, error_code::invalid_request,
                           "message too large: " + std::to_string(line.bytes) + " bytes; the limit is " +
                               std::to_string(options_.max_message_bytes) + " bytes"));
      continue;
    }
    auto message = read_message_text(line.text);
    if (message.error_code != 0) {
      out->send(make_error(nullptr, message.error_code, message.error_message));
      continue;
    }
    session.handle(classify(message.value), out);
  }
  session.wait_idle();
}

}  // namespace weir::mcp::protocol
