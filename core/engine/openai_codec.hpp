// OpenAI codec — the one place weir writes OpenAI chat-completions objects.
//
// Every front door that shows an answer in the OpenAI shape (`chat --json`,
// `weir serve`, batch) gets it from here, so a streamed answer and a
// non-streamed one carry the same id, created time and model:
// - completion_object(): the chat.completion of a finished answer, with
//   weir's `generation_context`;
// - ChunkWriter: the chat.completion.chunk events of a streamed answer —
//   a first chunk with the assistant role, one per delta with content,
//   reasoning_content or tool-call fragments, the finish chunk, and
//   optionally a last chunk with usage and generation_context;
// - server_tool_chunk(): server-side tool activity as a chunk with
//   `choices: []` (OpenAI clients see no answer text in it) and `servertool`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/provider/chat.hpp"

namespace weir {

// Identity shared by an answer's completion object and its chunks.
struct AnswerIdentity {
  std::string id;       // "chatcmpl-<uuid>"
  std::string model;    // the model the answer reports
  int64_t created = 0;  // seconds since the epoch
  static AnswerIdentity make(std::string model);
};

nlohmann::json completion_object(const AnswerIdentity& identity, const Completion& completion,
                                 const nlohmann::json& generation_context);

nlohmann::json server_tool_chunk(const ServerToolActivity& activity, const AnswerIdentity& identity);

class ChunkWriter {
 public:
  explicit ChunkWriter(AnswerIdentity identity) : identity_(std::move(identity)) {}

  // The events for one delta (none for a usage-only delta: usage goes in
  // usage_chunk()).
  std::vector<nlohmann::json> chunks_for(const StreamDelta& delta);
  // The finish chunk, unless a delta already carried the finish.
  std::vector<nlohmann::json> finish(const std::string& finish_reason);
  // {choices: [], usage, generation_context}: sent when the client asked for
  // stream_options.include_usage.
  nlohmann::json usage_chunk(const nlohmann::json& usage, const nlohmann::json& generation_context) const;

 private:
  nlohmann::json chunk(nlohmann::json delta, nlohmann::json finish_reason) const;

  AnswerIdentity identity_;
  bool sent_role_ = false;
  bool finished_ = false;
};

}  // namespace weir
