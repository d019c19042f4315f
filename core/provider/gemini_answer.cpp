#include "core/provider/json_fields.hpp"
#include "core/provider/gemini_answer.hpp"

#include <algorithm>
#include <optional>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/provider/sse_parser.hpp"

namespace weir {

namespace {

std::string shown(const json& value) { return first_bytes(value.dump(-1, ' ', false, json::error_handler_t::replace), 200); }

Usage usage_of(const json& metadata) {
  Usage usage;
  usage.prompt_tokens = count_member(metadata, "promptTokenCount");
  usage.reasoning_tokens = count_member(metadata, "thoughtsTokenCount");
  usage.completion_tokens = count_member(metadata, "candidatesTokenCount") + usage.reasoning_tokens;
  usage.cached_tokens = count_member(metadata, "cachedContentTokenCount");
  return usage;
}

bool is_filtered(const std::string& reason) {
  return reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" ||
         reason == "SPII" || reason == "IMAGE_SAFETY";
}

class GenerateContentReader final : public AnswerReader {
 public:
  GenerateContentReader(const DeltaCallback& deliver, Completion& completion, int first_call_number,
                        ThoughtSignatures& signatures, int& calls_made)
      : deliver_(deliver),
        completion_(completion),
        first_call_number_(first_call_number),
        signatures_(signatures),
        calls_made_(calls_made) {}

  void on_stream_bytes(std::string_view bytes) override {
    for (const auto& event : parser_.feed(bytes)) on_event(event);
  }

  void on_stream_end() override {
    for (const auto& event : parser_.finish()) on_event(event);
    if (!finish_seen_)
      throw Error(ErrorKind::upstream,
                  "Gemini closed the stream before a finishReason; the answer is incomplete, try again");
    if (pending_usage_) {
      StreamDelta delta;
      delta.usage = pending_usage_;
      pending_usage_.reset();
      deliver_(delta);
    }
  }

  bool stream_complete() const override { return finish_seen_ && usage_delivered_; }

  void on_whole_body(const json& body) override {
    const json* candidates = member(body, "candidates");
    bool has_candidate = candidates != nullptr && candidates->is_array() && !candidates->empty();
    const json* feedback = member(body, "promptFeedback");
    if (!has_candidate && (feedback == nullptr || string_member(*feedback, "blockReason").empty()))
      throw Error(ErrorKind::upstream,
                  "Gemini answered 200 with something that is not a GenerateContentResponse (no candidates): " +
                      shown(body));
    read_response(body, true);
    if (!finish_seen_)
      throw Error(ErrorKind::upstream, "Gemini answered without a finishReason; the answer is incomplete: " +
                                           shown(body));
  }

 private:
  void on_event(const SseEvent& event) {
    if (event.data.empty()) return;
    JsonReadResult read = read_json(event.data);
    if (!read.ok())
      throw Error(ErrorKind::upstream, "Gemini sent malformed stream data (" + read.problem->description +
                                           "): " + first_bytes(event.data, 200));
    const json& chunk = read.value;
    if (!chunk.is_object())
      throw Error(ErrorKind::upstream, "Gemini sent a stream chunk that is not an object: " + shown(chunk));
    if (member(chunk, "error") != nullptr) {
      std::string message = upstream_error_message(chunk);
      std::string status = string_member(*member(chunk, "error"), "status");
      throw Error(ErrorKind::upstream, "Gemini error mid-stream" + (status.empty() ? "" : " (" + status + ")") +
                                           ": " + (message.empty() ? first_bytes(event.data, 500) : message));
    }
    read_response(chunk, false);
  }

  void read_response(const json& response, bool whole) {
    if (std::string id = string_member(response, "responseId"); !id.empty() && completion_.id.empty())
      completion_.id = id;
    if (std::string model = string_member(response, "modelVersion"); !model.empty() && completion_.model.empty())
      completion_.model = model;

    const json* candidates = member(response, "candidates");
    if (candidates != nullptr && !candidates->is_null() && !candidates->is_array())
      throw Error(ErrorKind::upstream, "Gemini sent \"candidates\" that are not a list: " + shown(response));
    bool has_candidate = candidates != nullptr && candidates->is_array() && !candidates->empty();
    if (!has_candidate)
      if (const json* feedback = member(response, "promptFeedback"))
        if (std::string reason = string_member(*feedback, "blockReason"); !reason.empty())
          throw Error(ErrorKind::usage,
                      "Gemini blocked the prompt (blockReason " + reason +
                          ") and generated nothing; change the prompt, or the safety settings of the model",
                      "content_filter");

    StreamDelta delta;
    if (has_candidate) read_candidate(candidates->front(), delta);
    if (const json* metadata = member(response, "usageMetadata"); metadata != nullptr && metadata->is_object())
      pending_usage_ = usage_of(*metadata);
    if ((delta.finish_reason || finish_seen_ || whole) && pending_usage_) {
      delta.usage = pending_usage_;
      pending_usage_.reset();
      usage_delivered_ = true;
    }
    if (delta.finish_reason) finish_seen_ = true;
    if (!delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty() || delta.finish_reason ||
        delta.usage)
      deliver_(delta);
  }

  void read_candidate(const json& candidate, StreamDelta& delta) {
    if (!candidate.is_object())
      throw Error(ErrorKind::upstream, "Gemini sent a candidate that is not an object: " + shown(candidate));
    if (const json* content = member(candidate, "content"); content != nullptr && !content->is_null()) {
      const json* parts = member(*content, "parts");
      if (!content->is_object() || (parts != nullptr && !parts->is_null() && !parts->is_array()))
        throw Error(ErrorKind::upstream, "Gemini sent a candidate whose content has no list of parts: " +
                                             shown(candidate));
      if (parts != nullptr && parts->is_array())
        for (const auto& part : *parts) read_part(part, delta);
    }
    std::string reason = string_member(candidate, "finishReason");
    if (reason.empty() || reason == "FINISH_REASON_UNSPECIFIED") return;
    if (reason == "MALFORMED_FUNCTION_CALL" || reason == "UNEXPECTED_TOOL_CALL")
      throw Error(ErrorKind::upstream, "Gemini stopped with finishReason " + reason +
                                           " (it produced a function call it could not complete" +
                                           (string_member(candidate, "finishMessage").empty()
                                                ? std::string()
                                                : ": " + string_member(candidate, "finishMessage")) +
                                           "); try again, or simplify the tools");
    if (reason == "MAX_TOKENS")
      delta.finish_reason = "length";
    else if (is_filtered(reason))
      delta.finish_reason = "content_filter";
    else
      delta.finish_reason = calls_in_answer_ > 0 ? "tool_calls" : "stop";
  }

  void read_part(const json& part, StreamDelta& delta) {
    if (!part.is_object()) throw Error(ErrorKind::upstream, "Gemini sent a part that is not an object: " + shown(part));
    if (const json* text = member(part, "text"); text != nullptr) {
      if (!text->is_string()) throw Error(ErrorKind::upstream, "Gemini sent a text part that is not text: " + shown(part));
      const json* thought = member(part, "thought");
      (thought != nullptr && thought->is_boolean() && thought->get<bool>() ? delta.reasoning : delta.content) +=
          text->get<std::string>();
      return;
    }
    const json* call = member(part, "functionCall");
    if (call == nullptr) return;  // code execution, inline output: not part of a chat answer
    std::string name = string_member(*call, "name");
    const json* arguments = member(*call, "args");
    if (name.empty() || (arguments != nullptr && !arguments->is_null() && !arguments->is_object()))
      throw Error(ErrorKind::upstream, "Gemini sent a functionCall without a name or with args that are not an "
                                       "object: " + shown(part));
    ToolCallFragment fragment;
    fragment.index = calls_in_answer_;
    fragment.id = "call_" + std::to_string(first_call_number_ + calls_in_answer_);
    fragment.name = name;
    fragment.arguments = arguments == nullptr || arguments->is_null() ? "{}" : arguments->dump();
    if (std::string signature = string_member(part, "thoughtSignature"); !signature.empty())
      signatures_[thought_signature_key(fragment.id, fragment.name, fragment.arguments)] = signature;
    ++calls_in_answer_;
    calls_made_ = std::max(calls_made_, first_call_number_ + calls_in_answer_);
    delta.tool_calls.push_back(std::move(fragment));
  }

  const DeltaCallback& deliver_;
  Completion& completion_;
  const int first_call_number_;
  ThoughtSignatures& signatures_;
  int& calls_made_;
  SseParser parser_;
  int calls_in_answer_ = 0;
  bool finish_seen_ = false;
  bool usage_delivered_ = false;
  std::optional<Usage> pending_usage_;
};

}  // namespace

std::unique_ptr<AnswerReader> make_gemini_answer_reader(const DeltaCallback& deliver, Completion& completion,
                                                        int first_call_number, ThoughtSignatures& signatures,
                                                        int& calls_made) {
  return std::make_unique<GenerateContentReader>(deliver, completion, first_call_number, signatures, calls_made);
}

}  // namespace weir
