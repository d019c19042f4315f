#include "core/engine/attachment.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/base64.hpp"
#include "core/engine/content_parts.hpp"
#include "core/error.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr const char* kAcceptedKinds =
    "images (PNG, JPEG, GIF, WebP), PDF documents, audio (WAV, MP3) and UTF-8 text files";

std::string base_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8_text(std::string_view bytes) {
  size_t index = 0;
  while (index < bytes.size()) {
    auto lead = static_cast<unsigned char>(bytes[index]);
    if (lead == 0) return false;  // NUL: a binary file, whatever else it holds
    if (lead < 0x80) {
      ++index;
      continue;
    }
    size_t length;
    unsigned minimum;
    unsigned code;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      minimum = 0x80;
      code = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      minimum = 0x800;
      code = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      minimum = 0x10000;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (index + length > bytes.size()) return false;
    for (size_t next = 1; next < length; ++next) {
      auto continuation = static_cast<unsigned char>(bytes[index + next]);
      if ((continuation & 0xC0) != 0x80) return false;
      code = (code << 6) | (continuation & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    index += length;
  }
  return true;
}

std::string size_text(size_t bytes) {
  if (bytes >= (size_t{1} << 20)) return std::to_string((bytes + (size_t{1} << 19)) >> 20) + " MiB";
  if (bytes >= 1024) return std::to_string((bytes + 512) >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

json attachment_part(std::string_view file_name, std::string_view bytes) {
  auto name = base_name(file_name);
  auto media_type = sniff_media_type(bytes);
  if (media_type.rfind("image/", 0) == 0)
    return {{"type", "image_url"}, {"image_url", {{"url", "data:" + media_type + ";base64," + base64_encode(bytes)}}}};
  if (media_type == "application/pdf")
    return {{"type", "file"},
            {"file", {{"filename", name}, {"file_data", "data:application/pdf;base64," + base64_encode(bytes)}}}};
  if (auto format = audio_format_for(media_type); !format.empty())
    return {{"type", "input_audio"}, {"input_audio", {{"data", base64_encode(bytes)}, {"format", format}}}};
  if (media_type.empty() && is_utf8_text(bytes))
    return {{"type", "text"}, {"text", "File: " + name + "\n\n" + std::string(bytes)}};
  auto guessed = media_type_from_file_name(name);
  throw Error(ErrorKind::usage, "cannot attach '" + std::string(file_name) + "'" +
                                    (guessed.empty() ? std::string() : " (" + guessed + " by its name)") +
                                    ": its content is of no kind weir attaches; accepted are " + kAcceptedKinds +
                                    " (convert it first, or paste its text)");
}

json read_attachment(const std::string& path, size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code error;
  auto status = fs::status(path, error);
  if (error || !fs::exists(status))
    throw Error(ErrorKind::usage, "cannot attach '" + path + "': no such file; check the path");
  if (!fs::is_regular_file(status))
    throw Error(ErrorKind::usage, "cannot attach '" + path + "': not a regular file (attach files one by one)");
  auto size = fs::file_size(path, error);
  if (error) throw Error(ErrorKind::runtime, "cannot attach '" + path + "': " + error.message());
  if (size > max_bytes)
    throw Error(ErrorKind::usage, "cannot attach '" + path + "': it is " + size_text(size) +
                                      ", more than the limit of " + size_text(max_bytes) +
                                      " per file; shrink it (smaller image, fewer pages) or send a part of it");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(ErrorKind::usage, "cannot attach '" + path + "': cannot open it (" + std::strerror(errno) +
                                      "); check its permissions");
  std::string bytes(size, '\0');
  file.read(bytes.data(), static_cast<std::streamsize>(size));
  if (file.bad() || static_cast<size_t>(file.gcount()) != size)
    throw Error(ErrorKind::runtime, "cannot attach '" + path + "': reading it failed after " +
                                        std::to_string(file.gcount()) + " of " + std::to_string(size) + " bytes");
  return attachment_part(path, bytes);
}

}  // namespace weir
