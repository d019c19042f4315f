// OpenAI request — the one place weir reads a chat-completions request body
// (as a client POSTs it to /v1/chat/completions, or as a line of an OpenAI
// Batch API file) into a ChatInput for the Engine.
//
// `model` is the target (a gateway or @provider/model, checked against the
// caller's policy); `messages`, or `prompt` as one user message; `stream` and
// `stream_options.include_usage` go to `choice`; `metadata` and `user` are
// kept for the request log (`metadata.conversation_id` names the
// conversation); `n` must be 1. Every other field is a request override,
// which the gateway allows or refuses. Error(usage) names a malformed field.
#pragma once

#include <nlohmann/json.hpp>

#include "core/engine/request_context.hpp"

namespace weir {

struct OpenAiStreamChoice {
  bool stream = false;
  bool include_usage = false;
};

// Takes the messages out of `body` (moved, not copied: they may hold
// megabytes of base64 image or audio data). front_door is "http".
ChatInput chat_input_from_openai_body(nlohmann::json& body, const Caller& caller, OpenAiStreamChoice& choice);

}  // namespace weir
