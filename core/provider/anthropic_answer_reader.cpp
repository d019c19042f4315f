#include "core/provider/json_fields.hpp"
#include "core/provider/anthropic_answer_reader.hpp"

#include <utility>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

std::string shown(const json& value) {
  return first_bytes(value.dump(-1, ' ', false, json::error_handler_t::replace), 200);
}

Error nonsense(const std::string& what, const json& value) {
  return Error(ErrorKind::upstream,
               "upstream sent " + what + ", which is not the Anthropic Messages format: " + shown(value));
}

}  // namespace

std::string anthropic_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence" || stop_reason == "pause_turn") return "stop";
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return std::string(stop_reason);
}

Usage anthropic_usage(const json& usage) {
  Usage result;
  int64_t input = count_member(usage, "input_tokens");
  result.cached_tokens = count_member(usage, "cache_read_input_tokens");
  result.cache_write_tokens = count_member(usage, "cache_creation_input_tokens");
  // Anthropic's input_tokens excludes cached ones; weir's prompt_tokens is
  // the whole prompt, with the cached parts as details (as OpenAI reports).
  result.prompt_tokens = input + result.cached_tokens + result.cache_write_tokens;
  result.completion_tokens = count_member(usage, "output_tokens");
  return result;
}

AnthropicAnswerReader::AnthropicAnswerReader(const DeltaCallback& deliver, Completion& completion)
    : deliver_(deliver), completion_(completion) {}

void AnthropicAnswerReader::on_stream_bytes(std::string_view bytes) {
  for (const auto& event : parser_.feed(bytes)) on_event(event);
}

void AnthropicAnswerReader::on_stream_end() {
  for (const auto& event : parser_.finish()) on_event(event);
  if (stopped_ || finish_seen_) return;
  if (!started_)
    throw Error(ErrorKind::upstream,
                "upstream closed the stream without a message_start event; it does not answer in the Anthropic "
                "Messages stream format");
  throw Error(ErrorKind::upstream,
              "upstream closed the stream before finishing (no stop_reason and no message_stop); the answer is "
              "incomplete");
}

void AnthropicAnswerReader::on_whole_body(const json& body) {
  if (std::string type = string_member(body, "type"); !type.empty() && type != "message")
    throw nonsense("a 200 answer of type '" + type + "'", body);
  const json* content = member(body, "content");
  if (content == nullptr || !content->is_array()) throw nonsense("a 200 answer without a \"content\" list", body);
  remember_identity(body);
  StreamDelta delta;
  for (const auto& block : *content) {
    std::string type = string_member(block, "type");
    if (type == "text") {
      delta.content += string_member(block, "text");
    } else if (type == "thinking") {
      delta.reasoning += string_member(block, "thinking");
    } else if (type == "tool_use") {
      ToolCallFragment call;
      call.index = tool_calls_++;
      call.id = string_member(block, "id");
      call.name = string_member(block, "name");
      const json* input = member(block, "input");
      if (call.id.empty() || call.name.empty() || input == nullptr || !input->is_object())
        throw nonsense("a tool_use block without id, name or input object", block);
      call.arguments = input->dump();
      delta.tool_calls.push_back(std::move(call));
    } else if (!block.is_object()) {
      throw nonsense("a content block that is not an object", block);
    }
    // Other block types (redacted_thinking, server tool blocks) carry nothing
    // a chat-completions answer has.
  }
  if (std::string reason = string_member(body, "stop_reason"); !reason.empty())
    delta.finish_reason = anthropic_finish_reason(reason);
  if (const json* usage = member(body, "usage"); usage != nullptr && usage->is_object())
    delta.usage = anthropic_usage(*usage);
  deliver(delta);
}

void AnthropicAnswerReader::on_event(const SseEvent& event) {
  if (stopped_) return;
  JsonReadResult read = read_json(event.data);
  if (!read.ok()) {
    if (event.event == "error")
      throw Error(ErrorKind::upstream, "upstream error mid-stream: " + first_bytes(event.data, 500));
    throw Error(ErrorKind::upstream, "upstream sent malformed stream data (" + read.problem->description +
                                         "): " + first_bytes(event.data, 200));
  }
  const json& data = read.value;
  if (!data.is_object()) throw nonsense("a stream event that is not an object", data);
  // The data's own type is authoritative; the `event:` line repeats it.
  std::string type = string_member(data, "type");
  if (type.empty()) type = event.event;
  if (type == "message_start")
    on_message_start(data);
  else if (type == "content_block_start")
    on_block_start(data);
  else if (type == "content_block_delta")
    on_block_delta(data);
  else if (type == "content_block_stop")
    on_block_stop(data);
  else if (type == "message_delta")
    on_message_delta(data);
  else if (type == "message_stop")
    stopped_ = true;
  else if (type == "error")
    on_error(data, event.data);
  // ping and event types added later carry nothing to deliver.
}

void AnthropicAnswerReader::on_message_start(const json& event) {
  const json* message = member(event, "message");
  if (message == nullptr || !message->is_object()) throw nonsense("a message_start without a message", event);
  started_ = true;
  remember_identity(*message);
  if (const json* usage = member(*message, "usage"); usage != nullptr && usage->is_object()) start_usage_ = *usage;
}

void AnthropicAnswerReader::on_block_start(const json& event) {
  const json* index = member(event, "index");
  const json* block = member(event, "content_block");
  if (index == nullptr || !index->is_number_integer() || block == nullptr || !block->is_object())
    throw nonsense("a content_block_start without an index or a content_block", event);
  Block& started = blocks_[index->get<int64_t>()];
  started.type = string_member(*block, "type");
  StreamDelta delta;
  if (started.type == "text") {
    delta.content = string_member(*block, "text");
  } else if (started.type == "thinking") {
    delta.reasoning = string_member(*block, "thinking");
  } else if (started.type == "tool_use") {
    ToolCallFragment call;
    call.index = started.tool_index = tool_calls_++;
    call.id = string_member(*block, "id");
    call.name = string_member(*block, "name");
    if (call.id.empty() || call.name.empty()) throw nonsense("a tool_use block without id or name", event);
    const json* input = member(*block, "input");
    started.start_input = input != nullptr && input->is_object() ? *input : json::object();
    delta.tool_calls.push_back(std::move(call));
  }
  if (!delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty()) deliver(delta);
}

void AnthropicAnswerReader::on_block_delta(const json& event) {
  const json* index = member(event, "index");
  const json* change = member(event, "delta");
  if (index == nullptr || !index->is_number_integer() || change == nullptr || !change->is_object())
    throw nonsense("a content_block_delta without an index or a delta", event);
  std::string type = string_member(*change, "type");
  StreamDelta delta;
  if (type == "text_delta") {
    delta.content = string_member(*change, "text");
  } else if (type == "thinking_delta") {
    delta.reasoning = string_member(*change, "thinking");
  } else if (type == "input_json_delta") {
    auto found = blocks_.find(index->get<int64_t>());
    if (found == blocks_.end() || found->second.type != "tool_use")
      throw nonsense("an input_json_delta for a block that is not a started tool_use", event);
    ToolCallFragment fragment;
    fragment.index = found->second.tool_index;
    fragment.arguments = string_member(*change, "partial_json");
    if (!fragment.arguments.empty()) found->second.arguments_seen = true;
    delta.tool_calls.push_back(std::move(fragment));
  } else {
    return;  // signature_delta, citations_delta and later kinds: nothing to deliver
  }
  if (!delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty()) deliver(delta);
}

void AnthropicAnswerReader::on_block_stop(const json& event) {
  const json* index = member(event, "index");
  if (index == nullptr || !index->is_number_integer()) throw nonsense("a content_block_stop without an index", event);
  auto found = blocks_.find(index->get<int64_t>());
  if (found == blocks_.end() || found->second.type != "tool_use" || found->second.arguments_seen) return;
  // A call without streamed arguments (a tool with no parameters) still has
  // JSON arguments: the input it started with, usually {}.
  ToolCallFragment fragment;
  fragment.index = found->second.tool_index;
  fragment.arguments = found->second.start_input.dump();
  found->second.arguments_seen = true;
  StreamDelta delta;
  delta.tool_calls.push_back(std::move(fragment));
  deliver(delta);
}

void AnthropicAnswerReader::on_message_delta(const json& event) {
  const json* change = member(event, "delta");
  if (change == nullptr || !change->is_object()) throw nonsense("a message_delta without a delta", event);
  StreamDelta delta;
  if (std::string reason = string_member(*change, "stop_reason"); !reason.empty()) {
    delta.finish_reason = anthropic_finish_reason(reason);
    finish_seen_ = true;
  }
  // message_delta's counts are cumulative: each one it has replaces the
  // message_start's.
  if (const json* usage = member(event, "usage"); usage != nullptr && usage->is_object())
    for (const auto& [name, value] : usage->items()) start_usage_[name] = value;
  delta.usage = anthropic_usage(start_usage_);
  deliver(delta);
}

void AnthropicAnswerReader::on_error(const json& event, std::string_view data) {
  const json* error = member(event, "error");
  std::string type = error != nullptr ? string_member(*error, "type") : "";
  std::string message = error != nullptr ? string_member(*error, "message") : "";
  std::string described = (type.empty() ? std::string("error") : type) + ": " +
                          (message.empty() ? first_bytes(data, 300) : message);
  if (!delivered_) {
    // Nothing reached the caller yet: another attempt repeats nothing.
    if (type == "overloaded_error" || type == "api_error")
      throw RetryableFailure(ErrorKind::upstream, "upstream failed mid-stream with " + described, std::nullopt);
    if (type == "rate_limit_error")
      throw RetryableFailure(ErrorKind::rate_limited, "upstream is rate limiting requests (" + described + ")",
                             std::nullopt);
  }
  throw Error(ErrorKind::upstream,
              "upstream failed mid-stream with " + described +
                  (delivered_ ? "; the answer so far is incomplete, send the request again" : ""));
}

void AnthropicAnswerReader::deliver(const StreamDelta& delta) {
  delivered_ = true;
  deliver_(delta);
}

void AnthropicAnswerReader::remember_identity(const json& message) {
  if (std::string id = string_member(message, "id"); !id.empty() && completion_.id.empty()) completion_.id = id;
  if (std::string model = string_member(message, "model"); !model.empty() && completion_.model.empty())
    completion_.model = model;
}

}  // namespace weir
