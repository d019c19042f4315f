// Anthropic answer reader — a Messages API answer as normalised StreamDeltas.
//
// Reads either the SSE stream (`event: NAME` + `data: {...}` frames:
// message_start, content_block_start/delta/stop, message_delta, message_stop,
// ping, error) or one Message object, and hands each piece to `deliver` as
// soon as it is parsed:
// - text_delta -> content; thinking_delta (and thinking blocks) -> reasoning;
//   signature_delta and redacted thinking are not delivered;
// - tool_use blocks -> tool calls numbered in order of appearance (the
//   content-block index is mapped to that number); input_json_delta
//   fragments -> that call's arguments;
// - stop_reason -> finish_reason (anthropic_finish_reason);
// - usage, delivered once with the finish reason: prompt_tokens = input +
//   cache read + cache creation tokens, cached_tokens = cache read,
//   cache_write_tokens = cache creation, completion_tokens = output.
// An `error` event is a RetryableFailure (overloaded, api or rate-limit
// errors) while nothing was delivered, else Error(upstream) naming the error
// type and message. A stream that ends before message_stop is accepted only
// when message_delta gave a stop reason. Unknown event and block types are
// ignored (Anthropic adds new ones); a known event of the wrong shape is
// Error(upstream).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/provider/chat.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/sse_parser.hpp"
#include "core/provider/upstream_call.hpp"

namespace weir {

// end_turn, stop_sequence and pause_turn -> "stop"; max_tokens and
// model_context_window_exceeded -> "length"; tool_use -> "tool_calls";
// refusal -> "content_filter" (an answer, not an error); another value is
// passed on as it is.
std::string anthropic_finish_reason(std::string_view stop_reason);

// Usage from a Messages `usage` object (see above).
Usage anthropic_usage(const json& usage);

class AnthropicAnswerReader final : public AnswerReader {
 public:
  // `completion` receives the message's id and model; `deliver` every delta.
  AnthropicAnswerReader(const DeltaCallback& deliver, Completion& completion);

  void on_stream_bytes(std::string_view bytes) override;
  void on_stream_end() override;
  bool stream_complete() const override { return stopped_; }
  void on_whole_body(const json& body) override;

 private:
  struct Block {
    std::string type;
    int tool_index = -1;   // for tool_use blocks
    json start_input;      // the input given at content_block_start
    bool arguments_seen = false;
  };

  void on_event(const SseEvent& event);
  void on_message_start(const json& event);
  void on_block_start(const json& event);
  void on_block_delta(const json& event);
  void on_block_stop(const json& event);
  void on_message_delta(const json& event);
  [[noreturn]] void on_error(const json& event, std::string_view data);
  void deliver(const StreamDelta& delta);
  void remember_identity(const json& message);

  const DeltaCallback& deliver_;
  Completion& completion_;
  SseParser parser_;
  json start_usage_ = json::object();  // message_start's usage, completed by message_delta's
  std::map<int64_t, Block> blocks_;    // by content-block index
  int tool_calls_ = 0;
  bool started_ = false;
  bool finish_seen_ = false;
  bool stopped_ = false;
  bool delivered_ = false;
};

}  // namespace weir
