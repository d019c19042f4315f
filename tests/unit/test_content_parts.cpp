// Content parts: data URL parsing, base64, media types by name and by bytes,
// the shape check of every part type, the capability check that names the
// part, the message and the provider, and attachments made from file bytes.
#include <doctest/doctest.h>

#include <string>

#include "core/base64.hpp"
#include "core/engine/attachment.hpp"
#include "core/engine/content_parts.hpp"
#include "core/error.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kPngBytes = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR", 8) + "pixels";
const std::string kPdfBytes = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
const std::string kWavBytes = std::string("RIFF\x24\0\0\0WAVEfmt ", 16) + std::string(8, '\0');

json user_with(json parts) { return {{"role", "user"}, {"content", std::move(parts)}}; }

json image_part(const std::string& url) { return {{"type", "image_url"}, {"image_url", {{"url", url}}}}; }

ProviderConfig provider_named(const std::string& name, ProviderKind kind) {
  ProviderConfig config;
  config.name = name;
  config.kind = kind;
  return config;
}

}  // namespace

TEST_CASE("content parts: a data URL gives its media type and its base64 without copying it") {
  std::string url = "data:Image/PNG;base64,iVBORw0KGgo=";
  auto parsed = parse_data_url(url);
  CHECK(parsed.media_type == "image/png");
  CHECK(parsed.base64 == "iVBORw0KGgo=");
  CHECK(parsed.base64.data() == url.data() + url.find(',') + 1);

  auto with_parameters = parse_data_url("data:text/plain;charset=utf-8;base64,aGk=");
  CHECK(with_parameters.media_type == "text/plain");
  CHECK(with_parameters.base64 == "aGk=");
  CHECK(parse_data_url("data:;base64,aGk=").media_type.empty());
  CHECK(is_data_url("DATA:image/png;base64,aGk="));
  CHECK_FALSE(is_data_url("https://example.com/cat.png"));
}

TEST_CASE("content parts: a data URL that is not base64 or is malformed is refused saying why") {
  CHECK(contains(expect_error([] { parse_data_url("https://example.com/a.png"); }).what(), "not a data: URL"));
  CHECK(contains(expect_error([] { parse_data_url("data:image/png;base64"); }).what(), "without a comma"));
  auto percent = expect_error([] { parse_data_url("data:image/png,%89PNG"); });
  CHECK(percent.kind() == ErrorKind::usage);
  CHECK(contains(percent.what(), "not base64-encoded"));
  CHECK(contains(expect_error([] { parse_data_url("data:image/png;base64,"); }).what(), "no data"));
  CHECK(contains(expect_error([] { parse_data_url("data:image/png;base64,ab$d"); }).what(), "not valid base64"));
  CHECK(contains(expect_error([] { parse_data_url("data:png;base64,aGk="); }).what(), "malformed media type"));
}

TEST_CASE("content parts: base64 round trips and its validity check follows the decoder's rules") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(is_base64("Zm9v"));
  CHECK(is_base64("Zg=="));
  CHECK(is_base64("Zm8"));  // unpadded is accepted where it decodes
  CHECK_FALSE(is_base64(""));
  CHECK_FALSE(is_base64("Z"));
  CHECK_FALSE(is_base64("Zg="));    // padded to a length that is not a multiple of 4
  CHECK_FALSE(is_base64("Zg===")); // three pads
  CHECK_FALSE(is_base64("Z=g="));  // padding in the middle
  CHECK_FALSE(is_base64("Zm9v\n")); // no whitespace
  CHECK_FALSE(is_base64("Zm-_"));   // base64url is not base64
}

TEST_CASE("content parts: media types come from the bytes, and the name only suggests one") {
  CHECK(sniff_media_type(kPngBytes) == "image/png");
  CHECK(sniff_media_type("\xFF\xD8\xFF\xE0rest") == "image/jpeg");
  CHECK(sniff_media_type("GIF89a....") == "image/gif");
  CHECK(sniff_media_type(std::string("RIFF\0\0\0\0WEBPVP8 ", 16)) == "image/webp");
  CHECK(sniff_media_type(kWavBytes) == "audio/wav");
  CHECK(sniff_media_type(kPdfBytes) == "application/pdf");
  CHECK(sniff_media_type(std::string("ID3\x04\0\0\0\0\0\0", 10)) == "audio/mpeg");
  CHECK(sniff_media_type("\xFF\xFB\x90\x64") == "audio/mpeg");
  CHECK(sniff_media_type("ID3 tags are metadata").empty());  // text, not an ID3v2 header
  CHECK(sniff_media_type("hello").empty());
  CHECK(sniff_media_type("").empty());

  CHECK(media_type_from_file_name("/tmp/Report.PDF") == "application/pdf");
  CHECK(media_type_from_file_name("cat.jpg") == "image/jpeg");
  CHECK(media_type_from_file_name("notes.md") == "text/markdown");
  CHECK(media_type_from_file_name("archive.tar.xz").empty());
  CHECK(media_type_from_file_name(".bashrc").empty());
  CHECK(media_type_from_file_name("dir.d/README").empty());
  CHECK(audio_format_for("audio/wav") == "wav");
  CHECK(audio_format_for("audio/mpeg") == "mp3");
  CHECK(audio_format_for("audio/ogg").empty());
}

TEST_CASE("content parts: every part type's shape is checked, naming the message and the part") {
  auto check = [](const json& part) { return check_content_part(part, 3, 1); };
  CHECK(check({{"type", "text"}, {"text", "hi"}}) == ContentPartType::text);
  CHECK(check(image_part("https://example.com/cat.png")) == ContentPartType::image_url);
  CHECK(check(image_part("data:image/png;base64,iVBORw0KGgo=")) == ContentPartType::image_url);
  CHECK(check({{"type", "input_audio"}, {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}}) ==
        ContentPartType::input_audio);
  CHECK(check({{"type", "file"}, {"file", {{"file_data", "data:application/pdf;base64,JVBERi0="}, {"filename", "a.pdf"}}}}) ==
        ContentPartType::file);
  CHECK(check({{"type", "file"}, {"file", {{"file_id", "file-abc"}}}}) == ContentPartType::file);

  auto no_url = expect_error([&] { check({{"type", "image_url"}, {"image_url", json::object()}}); });
  CHECK(no_url.kind() == ErrorKind::usage);
  CHECK(contains(no_url.what(), "message 3, content part 1"));
  CHECK(contains(no_url.what(), "\"image_url.url\" is missing"));
  CHECK(contains(expect_error([&] { check({{"type", "image_url"}, {"image_url", "https://x/y.png"}}); }).what(),
                 "needs an object \"image_url\""));
  CHECK(contains(expect_error([&] { check(image_part("data:image/png,rawbytes")); }).what(), "not base64-encoded"));
  CHECK(contains(expect_error([&] { check(image_part("data:application/pdf;base64,JVBERi0=")); }).what(),
                 "not an image"));
  CHECK(contains(expect_error([&] { check(image_part("file:///etc/passwd")); }).what(), "http(s) URL or a data: URL"));
  CHECK(contains(expect_error([&] {
                   check({{"type", "image_url"}, {"image_url", {{"url", "https://x/y.png"}, {"detail", "max"}}}});
                 }).what(),
                 "\"image_url.detail\""));
  CHECK(contains(expect_error([&] {
                   check({{"type", "input_audio"}, {"input_audio", {{"data", "UklGRg=="}, {"format", "flac"}}}});
                 }).what(),
                 "must be \"wav\" or \"mp3\""));
  CHECK(contains(expect_error([&] {
                   check({{"type", "input_audio"}, {"input_audio", {{"data", "not base64!"}, {"format", "wav"}}}});
                 }).what(),
                 "not base64"));
  CHECK(contains(expect_error([&] { check({{"type", "file"}, {"file", {{"filename", "a.pdf"}}}}); }).what(),
                 "\"file.file_data\""));
  auto unknown = expect_error([&] { check({{"type", "video_url"}, {"video_url", {{"url", "https://x"}}}}); });
  CHECK(contains(unknown.what(), "unknown type 'video_url'"));
  CHECK(contains(unknown.what(), "image_url, input_audio, file"));
  CHECK(contains(expect_error([&] { check(json("just text")); }).what(), "not an object"));
  CHECK(contains(expect_error([&] { check({{"text", "no type"}}); }).what(), "has no \"type\""));
  CHECK(contains(expect_error([&] { check({{"type", "text"}}); }).what(), "needs a string \"text\""));
}

TEST_CASE("content parts: a part the provider cannot take is refused naming the part type, message and provider") {
  json messages = json::array({json{{"role", "system"}, {"content", "Be brief."}},
                               user_with(json::array({json{{"type", "text"}, {"text", "what is this?"}},
                                                      image_part("data:image/png;base64,iVBORw0KGgo=")})),
                               json{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array()}}});
  ProviderCapabilities sees_images;
  sees_images.image_input = true;
  CHECK_NOTHROW(check_content_parts(messages, sees_images, provider_named("openai", ProviderKind::openai)));

  ProviderCapabilities text_only;
  auto refused = expect_error(
      [&] { check_content_parts(messages, text_only, provider_named("local", ProviderKind::extractive)); });
  CHECK(refused.kind() == ErrorKind::usage);
  CHECK(exit_code(refused.kind()) == 2);
  CHECK(http_status(refused.kind()) == 400);
  std::string text = refused.what();
  CHECK(contains(text, "message 1"));
  CHECK(contains(text, "image_url"));
  CHECK(contains(text, "provider 'local' (kind extractive)"));
  CHECK(contains(text, "does not take image input"));

  json audio = json::array({user_with(json::array(
      {json{{"type", "input_audio"}, {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}}}))});
  auto no_audio = expect_error(
      [&] { check_content_parts(audio, sees_images, provider_named("llama", ProviderKind::ollama)); });
  CHECK(contains(no_audio.what(), "message 0 has a content part of type input_audio"));
  CHECK(contains(no_audio.what(), "provider 'llama' (kind ollama) does not take audio input"));

  json file = json::array({user_with(json::array(
      {json{{"type", "file"}, {"file", {{"file_data", "data:application/pdf;base64,JVBERi0="}}}}}))});
  CHECK(contains(expect_error([&] {
                   check_content_parts(file, sees_images, provider_named("llama", ProviderKind::ollama));
                 }).what(),
                 "does not take file input"));
  ProviderCapabilities everything = sees_images;
  everything.audio_input = everything.file_input = true;
  CHECK_NOTHROW(check_content_parts(audio, everything, provider_named("openai", ProviderKind::openai)));
  CHECK_NOTHROW(check_content_parts(file, everything, provider_named("openai", ProviderKind::openai)));

  // A malformed part is refused whatever the provider can take.
  json malformed = json::array({user_with(json::array({image_part("data:image/png;base64,%%%")}))});
  CHECK(contains(expect_error([&] {
                   check_content_parts(malformed, everything, provider_named("openai", ProviderKind::openai));
                 }).what(),
                 "not valid base64"));
  json object_content = json::array({json{{"role", "user"}, {"content", {{"text", "hi"}}}}});
  CHECK(contains(expect_error([&] {
                   check_content_parts(object_content, everything, provider_named("openai", ProviderKind::openai));
                 }).what(),
                 "must be text or a list of content parts"));
}

TEST_CASE("attachments: each kind of file becomes its content part, by its bytes") {
  auto png = attachment_part("/home/me/shot.dat", kPngBytes);  // the name does not matter, the bytes do
  CHECK(png["type"] == "image_url");
  CHECK(png["image_url"]["url"] == "data:image/png;base64," + base64_encode(kPngBytes));

  auto pdf = attachment_part("docs/report.pdf", kPdfBytes);
  CHECK(pdf["type"] == "file");
  CHECK(pdf["file"]["filename"] == "report.pdf");
  CHECK(pdf["file"]["file_data"] == "data:application/pdf;base64," + base64_encode(kPdfBytes));

  auto wav = attachment_part("hello.wav", kWavBytes);
  CHECK(wav["type"] == "input_audio");
  CHECK(wav["input_audio"]["format"] == "wav");
  CHECK(wav["input_audio"]["data"] == base64_encode(kWavBytes));

  auto text = attachment_part("notes/todo.txt", "buy milk\nnaïve café\n");
  CHECK(text["type"] == "text");
  CHECK(text["text"] == "File: todo.txt\n\nbuy milk\nnaïve café\n");

  // Every part made here passes the engine's own check.
  for (const auto& part : {png, pdf, wav, text}) CHECK_NOTHROW(check_content_part(part, 0, 0));
}

TEST_CASE("attachments: binary or invalid UTF-8 files are refused naming the file and the accepted kinds") {
  auto binary = expect_error([] { attachment_part("blob.bin", std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10)); });
  CHECK(binary.kind() == ErrorKind::usage);
  CHECK(contains(binary.what(), "'blob.bin'"));
  CHECK(contains(binary.what(), "PNG, JPEG, GIF, WebP"));
  CHECK(contains(binary.what(), "UTF-8 text"));
  CHECK(contains(expect_error([] { attachment_part("latin1.txt", "caf\xe9\n"); }).what(), "'latin1.txt'"));
  CHECK(contains(expect_error([] { attachment_part("nul.txt", std::string("a\0b", 3)); }).what(), "'nul.txt'"));
  CHECK(contains(expect_error([] { attachment_part("overlong.txt", "\xC0\xAF"); }).what(), "'overlong.txt'"));
  CHECK(contains(expect_error([] { attachment_part("surrogate.txt", "\xED\xA0\x80"); }).what(), "'surrogate.txt'"));
  auto named = expect_error([] { attachment_part("clip.mp4", std::string("\0\0\0\x18" "ftypmp42", 12)); });
  CHECK(contains(named.what(), "'clip.mp4'"));
}

TEST_CASE("attachments: a missing file or one over the size limit is a usage error before it is read") {
  auto missing = expect_error([] { read_attachment("/nonexistent/weir/photo.png"); });
  CHECK(missing.kind() == ErrorKind::usage);
  CHECK(contains(missing.what(), "no such file"));
  auto directory = expect_error([] { read_attachment("/tmp"); });
  CHECK(contains(directory.what(), "not a regular file"));
  auto too_large = expect_error([] { read_attachment("/proc/self/exe", 1024); });
  CHECK(too_large.kind() == ErrorKind::usage);
  CHECK(contains(too_large.what(), "more than the limit of 1 KiB per file"));
}
