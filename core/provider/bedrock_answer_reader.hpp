// Bedrock answer reader — one Converse answer (a JSON body) or ConverseStream
// answer (event-stream frames) turned into normalised StreamDeltas.
//
// Contract: an AnswerReader (upstream_call.hpp) made fresh per attempt. Every
// shape is checked: an answer without output.message.content, a frame whose
// payload is not a JSON object, or a toolUse fragment for a block that never
// started is Error(upstream) saying so. Exception frames are thrown as the
// error they mean (see bedrock_provider.hpp). A stream is complete after its
// metadata event; one that closes before messageStop, or in the middle of a
// frame, is Error(upstream).
#pragma once

#include <map>

#include "core/provider/aws_event_stream.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/upstream_call.hpp"

namespace weir {

// "end_turn" -> "stop", "max_tokens" -> "length", "tool_use" -> "tool_calls",
// "guardrail_intervened" / "content_filtered" -> "content_filter"; another
// reason is passed on as it is.
std::string bedrock_finish_reason(const std::string& stop_reason);

class BedrockAnswerReader final : public AnswerReader {
 public:
  // `deliver` gets every delta; `provider_name` names the provider in errors.
  BedrockAnswerReader(const DeltaCallback& deliver, std::string provider_name);

  void on_stream_bytes(std::string_view bytes) override;
  void on_stream_end() override;
  bool stream_complete() const override { return metadata_seen_ && stop_seen_; }
  void on_whole_body(const json& body) override;

 private:
  void on_message(const EventStreamMessage& message);
  void on_event(const std::string& type, const json& payload);
  [[noreturn]] void fail(const std::string& what) const;

  const DeltaCallback& deliver_;
  std::string provider_name_;
  EventStreamDecoder decoder_;
  std::map<int64_t, int> tool_index_of_block_;  // contentBlockIndex -> tool call index
  std::map<int64_t, bool> tool_block_has_input_;
  int next_tool_index_ = 0;
  bool stop_seen_ = false;
  bool metadata_seen_ = false;
};

}  // namespace weir
