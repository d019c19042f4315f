// Gemini request — a ChatRequest as a generateContent body.
//
// The translation at the edge for the Generative Language API (v1beta):
// - system (and developer) messages -> systemInstruction {parts: [{text}]};
// - user -> a `user` turn, assistant -> a `model` turn (a trailing assistant
//   message is sent as the last `model` turn: prefill); consecutive turns of
//   one role are merged into one, as Gemini wants roles to alternate;
// - assistant tool_calls -> functionCall parts {name, args}; tool messages ->
//   functionResponse parts {name, response} in a `user` turn, the name taken
//   from the latest assistant tool_call with the message's tool_call_id, the
//   response the tool's JSON object, or {"content": result} when the result
//   is not a JSON object;
// - content parts: text; image_url (data URL -> inlineData, http(s) URL ->
//   fileData with a MIME type guessed from the extension, else image/*);
//   input_audio -> inlineData audio/wav|audio/mp3|audio/<format>; file with
//   file_data (a data URL) -> inlineData with its MIME type;
// - sampling -> generationConfig (temperature, topP, topK, maxOutputTokens,
//   stopSequences, seed, presencePenalty, frequencyPenalty); reasoning_effort
//   -> thinkingConfig {thinkingBudget, includeThoughts} (none 0, minimal 512,
//   low 1024, medium 8192, high 24576 tokens); response_format json_object ->
//   responseMimeType application/json, json_schema -> that and
//   responseSchema (the JSON Schema in Gemini's subset, gemini_schema.hpp:
//   every Gemini model takes it; what the subset drops, weir's own check of
//   the answer still enforces, core/engine/structured_output.hpp);
// - tools -> [{functionDeclarations: [{name, description, parameters}]}] with
//   parameters converted to Gemini's schema subset (gemini_schema.hpp);
//   tool_choice -> toolConfig.functionCallingConfig: auto AUTO, none NONE,
//   required ANY, a named function ANY with allowedFunctionNames.
// Anything Gemini cannot carry (an unknown role or part type, a tool call id
// no assistant message made, a file_id) is Error(usage) saying what to change.
#pragma once

#include <map>
#include <string>

#include "core/provider/chat.hpp"

namespace weir {

// Thought signatures Gemini attached to the function calls it made, keyed by
// thought_signature_key(); sent back on the same calls (Gemini 3 requires it
// within a tool loop).
using ThoughtSignatures = std::map<std::string, std::string>;
std::string thought_signature_key(const std::string& id, const std::string& name, const std::string& arguments);

// The path below the base URL that names the model: "/models/{model}"
// ("models/x" and "tunedModels/x" are taken as they are). Error(usage) for a
// model id with characters that do not belong in a URL path.
std::string gemini_model_path(const std::string& model);

nlohmann::json gemini_request_body(const ChatRequest& request, const ThoughtSignatures& signatures);

}  // namespace weir
