#include "core/provider/json_fields.hpp"
#include "core/provider/bedrock_answer_reader.hpp"

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

std::optional<int64_t> index_member(const json& object, const char* key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

std::optional<Usage> usage_of(const json& object) {
  const json* usage = member(object, "usage");
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  Usage result;
  result.cached_tokens = count_member(*usage, "cacheReadInputTokens");
  result.cache_write_tokens = count_member(*usage, "cacheWriteInputTokens");
  result.prompt_tokens = count_member(*usage, "inputTokens") + result.cached_tokens + result.cache_write_tokens;
  result.completion_tokens = count_member(*usage, "outputTokens");
  return result;
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// An exception frame's :exception-type -> the weir::Error it means. The ones
// a later attempt may cure are RetryableFailure (retried only while nothing
// reached the caller).
[[noreturn]] void throw_exception_frame(const std::string& provider, const std::string& type,
                                        const std::string& message) {
  const std::string text = provider + " failed mid-stream (" + type + "): " + message;
  if (type == "throttlingException")
    throw RetryableFailure(ErrorKind::rate_limited, text + "; wait and try again, or ask AWS for a higher quota",
                           std::nullopt);
  if (type == "validationException") throw Error(ErrorKind::usage, text);
  // Overload, as the 503 ServiceUnavailableException before a stream means
  // (upstream_call.hpp's ErrorReading): a limit, told as one (exit 6, HTTP 429).
  if (type == "serviceUnavailableException")
    throw RetryableFailure(ErrorKind::rate_limited, provider + " is overloaded (" + type + ", mid-stream): " + message,
                           std::nullopt);
  if (type == "internalServerException") throw RetryableFailure(ErrorKind::upstream, text, std::nullopt);
  throw Error(ErrorKind::upstream, text);
}

}  // namespace

std::string bedrock_finish_reason(const std::string& stop_reason) {
  static const std::pair<const char*, const char*> kReasons[] = {
      {"end_turn", "stop"},         {"stop_sequence", "stop"},
      {"max_tokens", "length"},     {"model_context_window_exceeded", "length"},
      {"tool_use", "tool_calls"},   {"guardrail_intervened", "content_filter"},
      {"content_filtered", "content_filter"}};
  for (const auto& [bedrock, openai] : kReasons)
    if (stop_reason == bedrock) return openai;
  return stop_reason;
}

BedrockAnswerReader::BedrockAnswerReader(const DeltaCallback& deliver, std::string provider_name)
    : deliver_(deliver), provider_name_(std::move(provider_name)) {}

void BedrockAnswerReader::fail(const std::string& what) const {
  throw Error(ErrorKind::upstream, provider_name_ + " sent " + what);
}

void BedrockAnswerReader::on_whole_body(const json& body) {
  const json* output = member(body, "output");
  const json* message = output ? member(*output, "message") : nullptr;
  const json* content = message ? member(*message, "content") : nullptr;
  if (content == nullptr || !content->is_array())
    fail("a Converse answer without output.message.content: " + first_bytes(dump(body), 200));
  StreamDelta delta;
  int tool_index = 0;
  for (const auto& block : *content) {
    if (!block.is_object()) fail("a content block that is not an object: " + first_bytes(dump(block), 200));
    if (const json* text = member(block, "text"); text != nullptr && text->is_string()) {
      delta.content += text->get<std::string>();
    } else if (const json* tool = member(block, "toolUse")) {
      ToolCallFragment fragment;
      fragment.index = tool_index++;
      fragment.id = string_member(*tool, "toolUseId");
      fragment.name = string_member(*tool, "name");
      const json* input = member(*tool, "input");
      fragment.arguments = input == nullptr || input->is_null() ? "{}" : dump(*input);
      if (fragment.id.empty() || fragment.name.empty())
        fail("a toolUse block without toolUseId or name: " + first_bytes(dump(block), 200));
      delta.tool_calls.push_back(std::move(fragment));
    } else if (const json* reasoning = member(block, "reasoningContent")) {
      if (const json* reasoning_text = member(*reasoning, "reasoningText"))
        delta.reasoning += string_member(*reasoning_text, "text");
    }
  }
  if (std::string reason = string_member(body, "stopReason"); !reason.empty())
    delta.finish_reason = bedrock_finish_reason(reason);
  delta.usage = usage_of(body);
  deliver_(delta);
}

void BedrockAnswerReader::on_stream_bytes(std::string_view bytes) {
  for (const auto& message : decoder_.feed(bytes)) {
    if (stream_complete()) return;
    on_message(message);
  }
}

void BedrockAnswerReader::on_stream_end() {
  if (!decoder_.at_boundary()) fail("a stream that ended in the middle of a frame; the answer is incomplete");
  if (!stop_seen_) fail("a stream that ended before messageStop; the answer is incomplete");
}

void BedrockAnswerReader::on_message(const EventStreamMessage& message) {
  const std::string message_type = message.string_header(":message-type");
  JsonReadResult read = read_json(message.payload.empty() ? std::string_view("{}") : message.payload);
  if (message_type == "exception") {
    std::string text = read.ok() ? string_member(read.value, "message") : std::string();
    if (text.empty()) text = first_bytes(message.payload, 500);
    throw_exception_frame(provider_name_, message.string_header(":exception-type"), text);
  }
  if (message_type == "error")
    throw Error(ErrorKind::upstream, provider_name_ + " failed mid-stream (" + message.string_header(":error-code") +
                                         "): " + message.string_header(":error-message"));
  if (message_type != "event") fail("a stream frame of unknown :message-type '" + message_type + "'");
  if (!read.ok()) fail("a stream event that is not JSON (" + read.problem->description + ")");
  if (!read.value.is_object()) fail("a stream event that is not a JSON object: " + first_bytes(message.payload, 200));
  on_event(message.string_header(":event-type"), read.value);
}

void BedrockAnswerReader::on_event(const std::string& type, const json& payload) {
  StreamDelta delta;
  if (type == "contentBlockStart") {
    const json* start = member(payload, "start");
    const json* tool = start ? member(*start, "toolUse") : nullptr;
    if (tool == nullptr) return;
    auto block = index_member(payload, "contentBlockIndex");
    if (!block) fail("a toolUse contentBlockStart without contentBlockIndex");
    ToolCallFragment fragment;
    fragment.index = next_tool_index_++;
    fragment.id = string_member(*tool, "toolUseId");
    fragment.name = string_member(*tool, "name");
    if (fragment.id.empty() || fragment.name.empty()) fail("a toolUse block start without toolUseId or name");
    tool_index_of_block_[*block] = fragment.index;
    tool_block_has_input_[*block] = false;
    delta.tool_calls.push_back(std::move(fragment));
  } else if (type == "contentBlockDelta") {
    const json* change = member(payload, "delta");
    if (change == nullptr || !change->is_object()) fail("a contentBlockDelta without a delta object");
    if (const json* text = member(*change, "text"); text != nullptr && text->is_string()) {
      delta.content = text->get<std::string>();
    } else if (const json* tool = member(*change, "toolUse")) {
      auto block = index_member(payload, "contentBlockIndex");
      auto found = block ? tool_index_of_block_.find(*block) : tool_index_of_block_.end();
      if (found == tool_index_of_block_.end()) fail("a toolUse input fragment for a block that never started");
      ToolCallFragment fragment;
      fragment.index = found->second;
      fragment.arguments = string_member(*tool, "input");
      tool_block_has_input_[*block] = tool_block_has_input_[*block] || !fragment.arguments.empty();
      delta.tool_calls.push_back(std::move(fragment));
    } else if (const json* reasoning = member(*change, "reasoningContent")) {
      delta.reasoning = string_member(*reasoning, "text");
    }
  } else if (type == "contentBlockStop") {
    // A tool called without arguments sends no input fragment; its arguments
    // are then the empty object, not empty text.
    auto block = index_member(payload, "contentBlockIndex");
    if (!block) return;
    auto found = tool_index_of_block_.find(*block);
    if (found == tool_index_of_block_.end() || tool_block_has_input_[*block]) return;
    delta.tool_calls.push_back(ToolCallFragment{found->second, "", "", "{}"});
  } else if (type == "messageStop") {
    std::string reason = string_member(payload, "stopReason");
    if (reason.empty()) fail("a messageStop without stopReason");
    delta.finish_reason = bedrock_finish_reason(reason);
    stop_seen_ = true;
  } else if (type == "metadata") {
    delta.usage = usage_of(payload);
    metadata_seen_ = true;
  } else {
    return;  // messageStart and event types newer than this adapter carry nothing to pass on
  }
  if (!delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty() || delta.finish_reason ||
      delta.usage)
    deliver_(delta);
}

}  // namespace weir
