// Attachments and content parts end to end: `weir chat -a FILE` against a
// fake OpenAI upstream (what it receives, what is refused before anything is
// sent), sessions that replay parts, and `weir serve` passing parts through
// or refusing them with an OpenAI error object.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/base64.hpp"
#include "core/engine/content_parts.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

const std::string kPngBytes = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR", 8) + "fake pixels";
const std::string kPdfBytes = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
const std::string kWavBytes = std::string("RIFF\x24\0\0\0WAVEfmt ", 16) + std::string(16, '\x01');

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct AttachmentFixture {
  FakeUpstream upstream;
  WeirHome home;

  AttachmentFixture() {
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    auto path = home.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  json last_user_content() const {
    auto requests = upstream.requests();
    REQUIRE(!requests.empty());
    const auto& messages = requests.back().json_body["messages"];
    REQUIRE(messages.is_array());
    REQUIRE(!messages.empty());
    return messages.back()["content"];
  }
};

json text_part(const std::string& text) { return {{"type", "text"}, {"text", text}}; }
json image_part(const std::string& bytes, const std::string& media_type = "image/png") {
  return {{"type", "image_url"}, {"image_url", {{"url", "data:" + media_type + ";base64," + weir::base64_encode(bytes)}}}};
}

}  // namespace

TEST_CASE("chat -a: a PNG reaches the upstream as an image_url data URL part beside the message") {
  AttachmentFixture fixture;
  auto png = fixture.write("screenshot.dat", kPngBytes);  // sniffed as PNG whatever its name
  fixture.upstream.enqueue(ScriptedResponse::text_answer("a cat", true));
  // -a takes exactly one value: the message after it is not swallowed as a second file.
  auto result = fixture.home.run({"chat", "g", "-a", png, "what is in this picture?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "a cat\n");
  CHECK(fixture.last_user_content() == json::array({text_part("what is in this picture?"), image_part(kPngBytes)}));
}

TEST_CASE("chat --attach: a PDF, a text file and a WAV become file, text and input_audio parts in order") {
  AttachmentFixture fixture;
  auto pdf = fixture.write("report.pdf", kPdfBytes);
  auto notes = fixture.write("notes.md", "# Notes\n- ship it\n");
  auto wav = fixture.write("hello.wav", kWavBytes);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("summary", false));
  auto result =
      fixture.home.run({"chat", "g", "--no-stream", "--attach", pdf, "summarise these", "--attach", notes, "-a", wav});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  json expected = json::array(
      {text_part("summarise these"),
       {{"type", "file"},
        {"file", {{"filename", "report.pdf"}, {"file_data", "data:application/pdf;base64," + weir::base64_encode(kPdfBytes)}}}},
       text_part("File: notes.md\n\n# Notes\n- ship it\n"),
       {{"type", "input_audio"}, {"input_audio", {{"data", weir::base64_encode(kWavBytes)}, {"format", "wav"}}}}});
  CHECK(fixture.last_user_content() == expected);
}

TEST_CASE("chat -a: an unknown binary, a missing file or a too-large one exit 2 before anything is sent") {
  AttachmentFixture fixture;
  auto binary = fixture.write("program.bin", std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0", 12));
  auto unknown = fixture.home.run({"chat", "g", "-a", binary, "run this"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "program.bin"));
  CHECK(contains(unknown.err, "images (PNG, JPEG, GIF, WebP), PDF documents, audio (WAV, MP3) and UTF-8 text"));

  auto missing = fixture.home.run({"chat", "g", "-a", fixture.home.path() + "/nope.png", "hi"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "nope.png': no such file"));

  // 21 MiB, written sparse: the size is refused before a byte is read.
  auto large = fixture.home.path() + "/huge.png";
  {
    std::ofstream file(large, std::ios::binary);
    file << kPngBytes;
  }
  std::filesystem::resize_file(large, size_t{21} << 20);
  auto too_large = fixture.home.run({"chat", "g", "-a", large, "look"});
  CHECK(too_large.exit_code == 2);
  CHECK(contains(too_large.err, "huge.png': it is 21 MiB, more than the limit of 20 MiB per file"));

  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("chat --dry-run -a shows the parts, data URLs whole, and sends nothing") {
  AttachmentFixture fixture;
  auto png = fixture.write("cat.png", kPngBytes);
  auto dry = fixture.home.run({"chat", "g", "--dry-run", "-a", png, "describe"});
  REQUIRE_MESSAGE(dry.exit_code == 0, dry.err);
  auto described = json::parse(dry.out);
  CHECK(described["body"]["messages"].back()["content"] == json::array({text_part("describe"), image_part(kPngBytes)}));
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("chat -a: providers that cannot take a part refuse it with exit 2 and nothing reaches the upstream") {
  AttachmentFixture fixture;
  auto png = fixture.write("cat.png", kPngBytes);
  auto pdf = fixture.write("report.pdf", kPdfBytes);
  auto wav = fixture.write("hello.wav", kWavBytes);

  // The built-in extractive provider reads text only.
  auto offline = fixture.home.run({"chat", "@local/extractive", "-a", png, "what is this?"});
  CHECK(offline.exit_code == 2);
  CHECK(contains(offline.err, "message 0 has a content part of type image_url"));
  CHECK(contains(offline.err, "provider 'local' (kind extractive) does not take image input"));

  // An ollama-kind provider pointed at the fake: images pass, audio and files do not.
  fixture.run_ok({"provider", "add", "llama", "--kind", "ollama", "--base-url", fixture.upstream.base_url()});
  for (const auto& [file, what] : {std::pair{wav, std::string("input_audio")}, std::pair{pdf, std::string("file")}}) {
    auto refused = fixture.home.run({"chat", "@llama/llava", "-a", file, "listen"});
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "content part of type " + what));
    CHECK(contains(refused.err, "provider 'llama' (kind ollama)"));
  }
  CHECK(fixture.upstream.request_count() == 0);

  fixture.upstream.enqueue(ScriptedResponse::text_answer("a cat", true));
  auto seen = fixture.home.run({"chat", "@llama/llava", "-a", png, "what is this?"});
  REQUIRE_MESSAGE(seen.exit_code == 0, seen.err);
  CHECK(fixture.upstream.request_count() == 1);
  CHECK(fixture.last_user_content()[1] == image_part(kPngBytes));
}

TEST_CASE("chat --session keeps an attached image and replays it on the next turn") {
  AttachmentFixture fixture;
  auto png = fixture.write("cat.png", kPngBytes);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("a cat", true));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("grey", true));
  fixture.run_ok({"chat", "g", "--session", "pictures", "-a", png, "what is this?"});
  fixture.run_ok({"chat", "g", "--session", "pictures", "what colour is it?"});
  auto messages = fixture.upstream.requests().back().json_body["messages"];
  json expected = json::array(
      {{{"role", "user"}, {"content", json::array({text_part("what is this?"), image_part(kPngBytes)})}},
       {{"role", "assistant"}, {"content", "a cat"}},
       {{"role", "user"}, {"content", "what colour is it?"}}});
  CHECK(messages == expected);
}

TEST_CASE("serve: an image part of a few MB passes through to an openai-kind upstream unchanged") {
  AttachmentFixture fixture;
  std::mt19937 random(7);
  std::string pixels(3 << 20, '\0');
  for (auto& byte : pixels) byte = static_cast<char>(random() & 0xFF);
  json message = {{"role", "user"},
                  {"content", json::array({text_part("what is this?"), image_part(kPngBytes + pixels)})}};
  message["content"][1]["image_url"]["detail"] = "low";
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("noise", "stop", 800, 1)));
  ServeProcess serve(fixture.home);
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json{{"model", "g"}, {"messages", json::array({message})}}.dump());
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(json::parse(reply.body)["choices"][0]["message"]["content"] == "noise");
  REQUIRE(fixture.upstream.request_count() == 1);
  CHECK(fixture.upstream.requests().back().json_body["messages"] == json::array({message}));
}

TEST_CASE("serve: an audio part for a provider without audio input is a 400 error object and nothing is sent") {
  AttachmentFixture fixture;
  fixture.run_ok({"provider", "add", "llama", "--kind", "ollama", "--base-url", fixture.upstream.base_url()});
  fixture.run_ok({"gateway", "create", "vision", "--provider", "llama", "--model", "llava"});
  ServeProcess serve(fixture.home);
  json message = {{"role", "user"},
                  {"content", json::array({text_part("transcribe"),
                                           {{"type", "input_audio"},
                                            {"input_audio", {{"data", weir::base64_encode(kWavBytes)},
                                                             {"format", "wav"}}}}})}};
  for (bool stream : {false, true}) {
    auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                              json{{"model", "vision"}, {"stream", stream}, {"messages", json::array({message})}}.dump());
    CHECK(reply.status == 400);
    auto body = json::parse(reply.body, nullptr, false);
    REQUIRE_MESSAGE(body.is_object(), reply.raw);
    CHECK(body["error"]["type"] == "invalid_request_error");
    auto text = body["error"]["message"].get<std::string>();
    CHECK(contains(text, "message 0 has a content part of type input_audio (part 1)"));
    CHECK(contains(text, "provider 'llama' (kind ollama) does not take audio input"));
  }
  // A malformed part is a 400 too, whatever the provider takes.
  json broken = {{"role", "user"},
                 {"content", json::array({{{"type", "image_url"}, {"image_url", {{"url", "data:image/png,raw"}}}}})}};
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json{{"model", "g"}, {"messages", json::array({broken})}}.dump());
  CHECK(reply.status == 400);
  CHECK(contains(reply.body, "not base64-encoded"));
  CHECK(fixture.upstream.request_count() == 0);
}
