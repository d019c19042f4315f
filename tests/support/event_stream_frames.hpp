// Test-side encoder of AWS event-stream frames (application/vnd.amazon.eventstream),
// written from the format's description independently of the product's
// decoder (its CRC-32 is computed bit by bit, not from a table), so the two
// check each other. Fakes of Bedrock's ConverseStream answer with these frames
// through ScriptedResponse::raw_stream().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir::testing {

// One frame whose headers are all strings (type 7), with `payload`.
std::string event_stream_frame(const std::vector<std::pair<std::string, std::string>>& string_headers,
                               const std::string& payload);

// A ConverseStream event frame: :event-type, :content-type application/json,
// :message-type event, and the JSON payload.
std::string converse_event(const std::string& event_type, const nlohmann::json& payload);
// An exception frame: :exception-type, :message-type exception, {"message"}.
std::string converse_exception(const std::string& exception_type, const std::string& message);

// Frames of a whole text answer: messageStart, contentBlockStart... text deltas
// (one per piece), contentBlockStop, messageStop (stop_reason), metadata (usage).
std::vector<std::string> converse_text_stream(const std::vector<std::string>& pieces,
                                              const std::string& stop_reason = "end_turn",
                                              int input_tokens = 10, int output_tokens = 5);

// A Converse (non-streamed) answer body with `text`.
nlohmann::json converse_answer(const std::string& text, const std::string& stop_reason = "end_turn",
                               int input_tokens = 10, int output_tokens = 5);

inline constexpr const char* kEventStreamType = "application/vnd.amazon.eventstream";

}  // namespace weir::testing
