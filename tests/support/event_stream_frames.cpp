#include "tests/support/event_stream_frames.hpp"

#include <cstdint>

namespace weir::testing {

namespace {

uint32_t bitwise_crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFU;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
  }
  return ~crc;
}

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

}  // namespace

std::string event_stream_frame(const std::vector<std::pair<std::string, std::string>>& string_headers,
                               const std::string& payload) {
  std::string headers;
  for (const auto& [name, value] : string_headers) {
    headers += static_cast<char>(name.size());
    headers += name;
    headers += static_cast<char>(7);
    headers += static_cast<char>((value.size() >> 8) & 0xFF);
    headers += static_cast<char>(value.size() & 0xFF);
    headers += value;
  }
  std::string frame;
  put_u32(frame, static_cast<uint32_t>(12 + headers.size() + payload.size() + 4));
  put_u32(frame, static_cast<uint32_t>(headers.size()));
  put_u32(frame, bitwise_crc32(frame));
  frame += headers;
  frame += payload;
  put_u32(frame, bitwise_crc32(frame));
  return frame;
}

std::string converse_event(const std::string& event_type, const nlohmann::json& payload) {
  return event_stream_frame(
      {{":event-type", event_type}, {":content-type", "application/json"}, {":message-type", "event"}},
      payload.dump());
}

std::string converse_exception(const std::string& exception_type, const std::string& message) {
  return event_stream_frame({{":exception-type", exception_type},
                             {":content-type", "application/json"},
                             {":message-type", "exception"}},
                            nlohmann::json{{"message", message}}.dump());
}

std::vector<std::string> converse_text_stream(const std::vector<std::string>& pieces, const std::string& stop_reason,
                                              int input_tokens, int output_tokens) {
  std::vector<std::string> frames;
  frames.push_back(converse_event("messageStart", {{"role", "assistant"}}));
  for (const auto& piece : pieces)
    frames.push_back(converse_event("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", piece}}}}));
  frames.push_back(converse_event("contentBlockStop", {{"contentBlockIndex", 0}}));
  frames.push_back(converse_event("messageStop", {{"stopReason", stop_reason}}));
  frames.push_back(converse_event(
      "metadata", {{"usage", {{"inputTokens", input_tokens}, {"outputTokens", output_tokens},
                              {"totalTokens", input_tokens + output_tokens}}},
                   {"metrics", {{"latencyMs", 42}}}}));
  return frames;
}

nlohmann::json converse_answer(const std::string& text, const std::string& stop_reason, int input_tokens,
                               int output_tokens) {
  return {{"output", {{"message", {{"role", "assistant"}, {"content", nlohmann::json::array({{{"text", text}}})}}}}},
          {"stopReason", stop_reason},
          {"usage", {{"inputTokens", input_tokens}, {"outputTokens", output_tokens},
                     {"totalTokens", input_tokens + output_tokens}}},
          {"metrics", {{"latencyMs", 42}}}};
}

}  // namespace weir::testing
