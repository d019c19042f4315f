// Bedrock Converse body — an OpenAI-shaped ChatRequest as the body of
// Bedrock's Converse and ConverseStream APIs.
//
// The translation (principle 2: adapters translate at the edge):
// - system and developer messages -> `system: [{text}]`, in order;
// - user content (a string or parts) -> content blocks: text -> {text},
//   image_url with a data: URL -> {image: {format: png|jpeg|gif|webp,
//   source: {bytes: <base64>}}}; an http(s) image URL, another image type or
//   another part type is Error(usage) naming it (Bedrock fetches nothing);
// - assistant messages -> {text} and {toolUse: {toolUseId, name, input}};
//   arguments that are not a JSON object are Error(usage);
// - tool messages -> {toolResult: {toolUseId, content: [{text}]}} in a user
//   message; consecutive messages of one role are merged (Bedrock wants turns
//   to alternate);
// - a trailing assistant message (prefill) loses trailing white space, which
//   Bedrock refuses at the end of the final assistant turn;
// - sampling -> inferenceConfig {maxTokens, temperature, topP, stopSequences};
//   fields Converse has no place for (penalties, seed, top_k) are left out;
// - tools -> toolConfig {tools: [{toolSpec: {name, description,
//   inputSchema: {json}}}], toolChoice: auto {} | any {} | tool {name}}.
//   tool_choice "none" sends no toolConfig, unless the conversation already
//   holds tool blocks (then Bedrock requires it) and the tools stay offered.
#pragma once

#include "core/provider/chat.hpp"

namespace weir {

json bedrock_converse_body(const ChatRequest& request);

}  // namespace weir
