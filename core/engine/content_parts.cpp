#include "core/engine/content_parts.hpp"

#include <array>
#include <cctype>

#include "core/ascii_case.hpp"
#include "core/base64.hpp"
#include "core/error.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

bool starts_with_case_insensitive(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_lowercase(text.substr(0, prefix.size())) == prefix;
}


// One row per part type: its wire name, the member object holding its
// fields, and the capability an adapter needs to take it.
struct PartRule {
  ContentPartType type;
  std::string_view name;
  std::string_view what;  // for messages: "image input"
  bool ProviderCapabilities::*capability;  // null: every provider takes it
};

constexpr std::array<PartRule, 5> kPartRules = {{
    {ContentPartType::text, "text", "text", nullptr},
    {ContentPartType::image_url, "image_url", "image input", &ProviderCapabilities::image_input},
    {ContentPartType::input_audio, "input_audio", "audio input", &ProviderCapabilities::audio_input},
    {ContentPartType::file, "file", "file input (PDFs and other documents)", &ProviderCapabilities::file_input},
    {ContentPartType::refusal, "refusal", "refusals", nullptr},
}};

const PartRule& rule_for(ContentPartType type) {
  for (const auto& rule : kPartRules)
    if (rule.type == type) return rule;
  return kPartRules.front();
}

std::string known_types() {
  std::string list;
  for (const auto& rule : kPartRules) list += (list.empty() ? "" : ", ") + std::string(rule.name);
  return list;
}

// Where a problem is, for every message below.
std::string place(size_t message_index, size_t part_index) {
  return "message " + std::to_string(message_index) + ", content part " + std::to_string(part_index);
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(key);
  return found == object.end() || found->is_null() ? nullptr : &*found;
}

// A string member that must be there and not be empty.
const std::string& required_string(const json& object, const char* key, const std::string& where,
                                   const std::string& field) {
  const json* value = member(object, key);
  if (value == nullptr) throw Error(ErrorKind::usage, where + ": \"" + field + "\" is missing");
  if (!value->is_string()) throw Error(ErrorKind::usage, where + ": \"" + field + "\" must be a string");
  const auto& text = value->get_ref<const std::string&>();
  if (text.empty()) throw Error(ErrorKind::usage, where + ": \"" + field + "\" is empty");
  return text;
}

const json& required_object(const json& part, const char* key, const std::string& where) {
  const json* value = member(part, key);
  if (value == nullptr || !value->is_object())
    throw Error(ErrorKind::usage, where + " (type " + std::string(key) + ") needs an object \"" + key + "\"");
  return *value;
}

// A data URL, with the place and field named when it is malformed.
DataUrl checked_data_url(std::string_view url, const std::string& where, const std::string& field) {
  try {
    return parse_data_url(url);
  } catch (const Error& error) {
    throw Error(ErrorKind::usage, where + ": \"" + field + "\" " + error.what());
  }
}

void check_image(const json& part, const std::string& where) {
  const auto& image = required_object(part, "image_url", where);
  const auto& url = required_string(image, "url", where, "image_url.url");
  if (is_data_url(url)) {
    auto data = checked_data_url(url, where, "image_url.url");
    if (data.media_type.rfind("image/", 0) != 0)
      throw Error(ErrorKind::usage, where + ": \"image_url.url\" is a data URL of type '" + data.media_type +
                                        "', not an image; send images as image/png, image/jpeg, image/gif or "
                                        "image/webp (PDFs go in a \"file\" part)");
  } else if (!starts_with_case_insensitive(url, "https://") && !starts_with_case_insensitive(url, "http://")) {
    throw Error(ErrorKind::usage, where + ": \"image_url.url\" must be an http(s) URL or a data: URL "
                                          "(data:image/png;base64,...), got '" + url.substr(0, 40) + "'");
  }
  if (const json* detail = member(image, "detail")) {
    if (!detail->is_string() || (*detail != "auto" && *detail != "low" && *detail != "high"))
      throw Error(ErrorKind::usage, where + ": \"image_url.detail\" must be \"auto\", \"low\" or \"high\"");
  }
}

void check_audio(const json& part, const std::string& where) {
  const auto& audio = required_object(part, "input_audio", where);
  const auto& data = required_string(audio, "data", where, "input_audio.data");
  if (!is_base64(data))
    throw Error(ErrorKind::usage, where + ": \"input_audio.data\" is not base64 (send the audio bytes base64-"
                                          "encoded, without a data: prefix)");
  const auto& format = required_string(audio, "format", where, "input_audio.format");
  if (format != "wav" && format != "mp3")
    throw Error(ErrorKind::usage,
                where + ": \"input_audio.format\" must be \"wav\" or \"mp3\", got '" + format + "'");
}

void check_file(const json& part, const std::string& where) {
  const auto& file = required_object(part, "file", where);
  const json* data = member(file, "file_data");
  const json* id = member(file, "file_id");
  if (data == nullptr && id == nullptr)
    throw Error(ErrorKind::usage, where + ": a \"file\" part needs \"file.file_data\" (a data: URL such as "
                                          "data:application/pdf;base64,...) or \"file.file_id\"");
  if (data != nullptr) {
    const auto& text = required_string(file, "file_data", where, "file.file_data");
    if (is_data_url(text))
      checked_data_url(text, where, "file.file_data");
    else if (!is_base64(text))
      throw Error(ErrorKind::usage, where + ": \"file.file_data\" is neither a data: URL nor base64");
  }
  if (id != nullptr) required_string(file, "file_id", where, "file.file_id");
  if (const json* name = member(file, "filename"); name != nullptr && !name->is_string())
    throw Error(ErrorKind::usage, where + ": \"file.filename\" must be a string");
}

}  // namespace

std::string_view to_string(ContentPartType type) noexcept { return rule_for(type).name; }

bool is_data_url(std::string_view url) noexcept {
  if (url.size() < 5) return false;
  static constexpr std::string_view kPrefix = "data:";
  for (size_t index = 0; index < kPrefix.size(); ++index)
    if (std::tolower(static_cast<unsigned char>(url[index])) != kPrefix[index]) return false;
  return true;
}

DataUrl parse_data_url(std::string_view url) {
  if (!is_data_url(url)) throw Error(ErrorKind::usage, "is not a data: URL");
  auto comma = url.find(',');
  if (comma == std::string_view::npos)
    throw Error(ErrorKind::usage, "is a data: URL without a comma before its data (expected "
                                  "data:<media type>;base64,<data>)");
  auto header = url.substr(5, comma - 5);
  bool base64 = false;
  std::string media_type;
  size_t start = 0;
  for (size_t index = 0; start <= header.size(); ++index) {
    auto end = header.find(';', start);
    auto piece = header.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (index == 0)
      media_type = ascii_lowercase(piece);
    else if (ascii_lowercase(piece) == "base64")
      base64 = true;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (!base64)
    throw Error(ErrorKind::usage, "is a data: URL that is not base64-encoded (expected data:" +
                                      (media_type.empty() ? std::string("<media type>") : media_type) +
                                      ";base64,<data>)");
  if (!media_type.empty() && media_type.find('/') == std::string::npos)
    throw Error(ErrorKind::usage, "is a data: URL with the malformed media type '" + media_type + "'");
  auto payload = url.substr(comma + 1);
  if (payload.empty()) throw Error(ErrorKind::usage, "is a data: URL with no data after the comma");
  if (!is_base64(payload))
    throw Error(ErrorKind::usage, "is a data: URL whose data is not valid base64 (only A-Z a-z 0-9 + / and "
                                  "trailing = may appear)");
  return {std::move(media_type), payload};
}


std::string media_type_from_file_name(std::string_view file_name) {
  struct Extension {
    std::string_view extension;
    std::string_view media_type;
  };
  static constexpr std::array<Extension, 22> kExtensions = {{
      {"png", "image/png"},         {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},         {"webp", "image/webp"},      {"pdf", "application/pdf"},
      {"wav", "audio/wav"},         {"mp3", "audio/mpeg"},       {"txt", "text/plain"},
      {"md", "text/markdown"},      {"markdown", "text/markdown"}, {"csv", "text/csv"},
      {"tsv", "text/tab-separated-values"}, {"json", "application/json"}, {"jsonl", "application/jsonl"},
      {"html", "text/html"},        {"htm", "text/html"},        {"xml", "application/xml"},
      {"yaml", "application/yaml"}, {"yml", "application/yaml"}, {"log", "text/plain"},
      {"rst", "text/x-rst"},
  }};
  auto slash = file_name.find_last_of('/');
  auto base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  auto extension = ascii_lowercase(base.substr(dot + 1));
  for (const auto& row : kExtensions)
    if (row.extension == extension) return std::string(row.media_type);
  return {};
}

std::string sniff_media_type(std::string_view bytes) noexcept {
  auto starts = [&](std::string_view signature, size_t at = 0) {
    return bytes.size() >= at + signature.size() && bytes.substr(at, signature.size()) == signature;
  };
  if (starts(std::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("RIFF") && starts("WEBP", 8)) return "image/webp";
  if (starts("RIFF") && starts("WAVE", 8)) return "audio/wav";
  if (starts("%PDF-")) return "application/pdf";
  // An ID3v2 tag (major version 2 to 4) in front of MPEG audio; text that
  // merely starts with "ID3" has a printable character there.
  if (starts("ID3") && bytes.size() > 3 && bytes[3] >= 2 && bytes[3] <= 4) return "audio/mpeg";
  // An MPEG audio frame header: 11 sync bits, a version that is not the
  // reserved one, layer III.
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF) {
    auto second = static_cast<unsigned char>(bytes[1]);
    bool sync = (second & 0xE0) == 0xE0;
    bool version_valid = ((second >> 3) & 0x3) != 0x1;
    bool layer_three = ((second >> 1) & 0x3) == 0x1;
    if (sync && version_valid && layer_three) return "audio/mpeg";
  }
  return {};
}

std::string audio_format_for(std::string_view media_type) {
  auto type = ascii_lowercase(media_type);
  if (type == "audio/wav" || type == "audio/x-wav" || type == "audio/wave") return "wav";
  if (type == "audio/mpeg" || type == "audio/mp3") return "mp3";
  return {};
}

ContentPartType check_content_part(const json& part, size_t message_index, size_t part_index) {
  auto where = place(message_index, part_index);
  if (!part.is_object()) throw Error(ErrorKind::usage, where + " is " + part.type_name() + ", not an object");
  const json* type = member(part, "type");
  if (type == nullptr || !type->is_string())
    throw Error(ErrorKind::usage, where + " has no \"type\"; use one of: " + known_types());
  const auto& name = type->get_ref<const std::string&>();
  const PartRule* rule = nullptr;
  for (const auto& candidate : kPartRules)
    if (candidate.name == name) rule = &candidate;
  if (rule == nullptr)
    throw Error(ErrorKind::usage, where + " has the unknown type '" + name + "'; use one of: " + known_types());
  switch (rule->type) {
    case ContentPartType::text: {
      const json* text = member(part, "text");
      if (text == nullptr || !text->is_string())
        throw Error(ErrorKind::usage, where + " (type text) needs a string \"text\"");
      break;
    }
    case ContentPartType::refusal: {
      const json* text = member(part, "refusal");
      if (text == nullptr || !text->is_string())
        throw Error(ErrorKind::usage, where + " (type refusal) needs a string \"refusal\"");
      break;
    }
    case ContentPartType::image_url: check_image(part, where); break;
    case ContentPartType::input_audio: check_audio(part, where); break;
    case ContentPartType::file: check_file(part, where); break;
  }
  return rule->type;
}

void check_content_parts(const json& messages, const ProviderCapabilities& capabilities,
                         const ProviderConfig& provider) {
  if (!messages.is_array()) return;
  for (size_t message_index = 0; message_index < messages.size(); ++message_index) {
    const json* content = member(messages[message_index], "content");
    if (content == nullptr || content->is_string()) continue;
    if (!content->is_array())
      throw Error(ErrorKind::usage, "message " + std::to_string(message_index) + ": \"content\" is " +
                                        content->type_name() + "; it must be text or a list of content parts");
    for (size_t part_index = 0; part_index < content->size(); ++part_index) {
      const auto& rule = rule_for(check_content_part((*content)[part_index], message_index, part_index));
      if (rule.capability == nullptr || capabilities.*rule.capability) continue;
      throw Error(ErrorKind::usage,
                  "message " + std::to_string(message_index) + " has a content part of type " +
                      std::string(rule.name) + " (part " + std::to_string(part_index) + "), but provider '" +
                      provider.name +
                      "' (kind " + std::string(to_string(provider.kind)) + ") does not take " +
                      std::string(rule.what) + "; remove the part or use a gateway whose provider accepts it " +
                      "(see docs/attachments.md)");
    }
  }
}

}  // namespace weir
