// Content parts — the one place that knows what a message's parts may be.
//
// Inside weir a message's content is a string or a list of OpenAI content
// parts: {type:"text", text}, {type:"image_url", image_url:{url, detail?}},
// {type:"input_audio", input_audio:{data, format}}, {type:"file",
// file:{file_data, filename?} or {file_id}} (and {type:"refusal", refusal}
// in an assistant's answer). The engine's content_parts stage calls
// check_content_parts() before anything is sent, so a part an adapter's
// service cannot take is refused with Error(usage) naming the part, the
// message and the provider, instead of costing an upstream call.
//
// Adapters that translate parts into their own wire format reuse the parsing
// helpers here (parse_data_url, media types) rather than writing their own;
// the parts they receive have already passed check_content_parts(). All
// functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/provider/provider.hpp"

namespace weir {

// The "type" of a content part, as written on the wire.
enum class ContentPartType { text, image_url, input_audio, file, refusal };
std::string_view to_string(ContentPartType type) noexcept;

// A `data:` URL taken apart. `base64` points into the URL that was parsed:
// it lives as long as that string does (no copy of a large payload).
struct DataUrl {
  std::string media_type;   // lower case, parameters dropped ("image/png"); "" when the URL names none
  std::string_view base64;  // the payload, standard base64 (checked)
};

// True when `url` starts with "data:" (any case).
bool is_data_url(std::string_view url) noexcept;
// Parses "data:<media type>[;param...];base64,<payload>". Error(usage) saying
// what is wrong when it is not a data URL, is not base64-encoded, or its
// payload is empty or not valid base64.
DataUrl parse_data_url(std::string_view url);

// The media type a file name's extension suggests ("report.PDF" ->
// "application/pdf"), or "" for an extension weir does not know.
std::string media_type_from_file_name(std::string_view file_name);
// The media type the first bytes of a file prove (PNG, JPEG, GIF, WebP, PDF,
// WAV, MP3), or "" when they match none of those signatures.
std::string sniff_media_type(std::string_view bytes) noexcept;
// input_audio's "format" for an audio media type ("audio/wav" -> "wav",
// "audio/mpeg" -> "mp3"), or "" when the chat-completions API has none.
std::string audio_format_for(std::string_view media_type);

// The type of one part, after checking its shape. Error(usage) naming the
// part (by its index), the message and what is wrong for: a part that is not
// an object, an unknown type, a missing or empty field (image_url.url,
// input_audio.data, file.file_data or file.file_id), a data URL or audio data
// that is not base64, an audio format other than wav or mp3.
ContentPartType check_content_part(const nlohmann::json& part, size_t message_index, size_t part_index);

// Checks every message's content (a string, null, or a list of parts each
// passing check_content_part) and that `provider` can take every part type
// used: image_url needs capabilities.image_input, input_audio audio_input,
// file file_input. Error(usage) naming the part type, the message index and
// the provider (with its kind) otherwise. Message indexes count from 0 in
// `messages` as given.
void check_content_parts(const nlohmann::json& messages, const ProviderCapabilities& capabilities,
                         const ProviderConfig& provider);

}  // namespace weir
