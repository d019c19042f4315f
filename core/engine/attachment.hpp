// Attachment — a file on this machine turned into one content part of a user
// message (`weir chat GATEWAY -a FILE "message"`).
//
// The kind is decided by the file's bytes, not only its name:
//   PNG, JPEG, GIF, WebP  -> {type:"image_url", image_url:{url:"data:image/...;base64,..."}}
//   PDF                   -> {type:"file", file:{filename, file_data:"data:application/pdf;base64,..."}}
//   WAV, MP3              -> {type:"input_audio", input_audio:{data, format:"wav"|"mp3"}}
//   UTF-8 text (no NUL)   -> {type:"text", text:"File: NAME\n\n<the text>"}
// Anything else is Error(usage) naming the file and the kinds accepted. The
// parts are checked against the provider later, by the engine's
// content_parts stage, like parts a client sends over HTTP.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace weir {

// The largest file attached as it is (before base64, which adds a third).
inline constexpr size_t kMaxAttachmentBytes = size_t{20} << 20;

// The part for a file named `file_name` (only its last path component is
// used) holding `bytes`. Error(usage) when the bytes are of no accepted kind.
nlohmann::json attachment_part(std::string_view file_name, std::string_view bytes);

// Reads `path` and returns its part. Error(usage) when the file does not
// exist, is not a regular file, cannot be opened, or is larger than
// `max_bytes` (checked before reading); Error(runtime) when reading fails
// midway.
nlohmann::json read_attachment(const std::string& path, size_t max_bytes = kMaxAttachmentBytes);

}  // namespace weir
