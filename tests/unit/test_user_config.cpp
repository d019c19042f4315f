// The user's defaults file and the rules that read it: known keys only,
// valid values only, a malformed file refused with its name, atomic saves
// that leave no temporary file; the colour and Markdown rule; and how a chat
// run picks its conversation and target (default-gateway, -m, -c, the first
// word) against a real store.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include "core/config/terminal_style.hpp"
#include "core/config/user_config.hpp"
#include "core/engine/chat_start.hpp"
#include "core/engine/session_transcript.hpp"
#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/session_repository.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using json = nlohmann::json;
using weir::testing::expect_error;

namespace {

struct Directory {
  std::filesystem::path path;
  explicit Directory(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("weir-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Store {
  Directory directory{"chat-start"};
  std::unique_ptr<Database> database = std::make_unique<Database>((directory.path / "weir.db").string());
  GatewayRepository gateways{*database};
  SessionRepository sessions{*database};
  Store() {
    gateways.create("reviewer", GatewayConfig::from_json({{"provider", "local"}, {"model", "extractive"}}));
    gateways.create("helper", GatewayConfig::from_json({{"provider", "local"}, {"model", "extractive"}}));
  }
};

}  // namespace

TEST_CASE("config: a missing file is an empty config with the keys' defaults") {
  Directory directory("config-missing");
  auto config = UserConfig::load((directory.path / "weir" / "config.json").string());
  CHECK(config.values().empty());
  CHECK_FALSE(config.get("default-gateway"));
  CHECK(config.value_or_fallback("default-gateway").empty());
  CHECK(config.value_or_fallback("output") == "markdown");
  CHECK(config.value_or_fallback("color") == "auto");
}

TEST_CASE("config: set, save and load round-trip; the file is written whole, 0600, with no temporary left") {
  Directory directory("config-save");
  auto path = directory.path / "nested" / "weir" / "config.json";
  auto config = UserConfig::load(path.string());
  config.set("default-gateway", "reviewer");
  config.set("color", "off");
  config.set("output", "raw");
  config.save();  // creates the missing directories

  auto loaded = UserConfig::load(path.string());
  CHECK(loaded.get("default-gateway") == "reviewer");
  CHECK(loaded.get("color") == "off");
  CHECK(loaded.get("output") == "raw");
  // In the table's order, one key a line: it reads like `weir config list`.
  CHECK(read(path) == "{\n  \"default-gateway\": \"reviewer\",\n  \"output\": \"raw\",\n  \"color\": \"off\"\n}\n");
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path.parent_path())) ++entries;
  CHECK(entries == 1);  // no .tmp file beside it

  CHECK(loaded.unset("color"));
  CHECK_FALSE(loaded.unset("color"));
  loaded.save();
  CHECK_FALSE(UserConfig::load(path.string()).get("color"));
}

TEST_CASE("config: an unknown key is refused with the list of known ones") {
  Directory directory("config-unknown");
  auto config = UserConfig::load((directory.path / "config.json").string());
  for (auto action : {std::function<void()>([&] { config.set("colour", "on"); }),
                      std::function<void()>([&] { config.get("default_gateway"); }),
                      std::function<void()>([&] { config.unset("theme"); })}) {
    auto error = expect_error(action);
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("the keys are: default-gateway, output, color") != std::string::npos);
  }
}

TEST_CASE("config: invalid values are refused, saying what the key accepts") {
  Directory directory("config-invalid");
  auto config = UserConfig::load((directory.path / "config.json").string());
  auto error = expect_error([&] { config.set("color", "yes"); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()) == "invalid value 'yes' for color: use auto, on or off");
  CHECK(std::string(expect_error([&] { config.set("output", "html"); }).what()) ==
        "invalid value 'html' for output: use markdown or raw");
  CHECK(expect_error([&] { config.set("default-gateway", ""); }).kind() == ErrorKind::usage);
  CHECK(expect_error([&] { config.set("default-gateway", "two words"); }).kind() == ErrorKind::usage);
  CHECK(std::string(expect_error([&] { config.set("default-gateway", "@openai"); }).what())
            .find("@provider/model") != std::string::npos);
  config.set("default-gateway", "@openai/gpt-4o-mini");
  config.set("default-gateway", "reviewer:1a2b");
  CHECK(config.values().size() == 1);  // nothing refused was kept
}

TEST_CASE("config: a malformed file is refused naming the file and what is wrong; nothing is guessed") {
  Directory directory("config-malformed");
  auto path = directory.path / "config.json";
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const auto& item : {Case{"{\"color\": \"on\",}", "is not valid JSON"},
                           Case{"[\"color\"]", "must hold one JSON object"},
                           Case{"{\"colour\": \"on\"}", "unknown config key 'colour'"},
                           Case{"{\"color\": true}", "the value of color must be a string"},
                           Case{"{\"color\": \"maybe\"}", "invalid value 'maybe' for color"}}) {
    CAPTURE(item.text);
    write(path, item.text);
    auto error = expect_error([&] { UserConfig::load(path.string()); });
    CHECK(error.kind() == ErrorKind::usage);
    std::string message = error.what();
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(message.find(item.expected) != std::string::npos);
  }
}

TEST_CASE("terminal style: auto follows the terminal and NO_COLOR, on and off override both; raw is never styled") {
  CHECK(uses_color("auto", {true, false}));
  CHECK_FALSE(uses_color("auto", {false, false}));
  CHECK_FALSE(uses_color("auto", {true, true}));
  CHECK(uses_color("on", {false, true}));
  CHECK_FALSE(uses_color("off", {true, false}));

  Directory directory("config-style");
  auto config = UserConfig::load((directory.path / "config.json").string());
  CHECK(styles_markdown(config, false, {true, false}));
  CHECK_FALSE(styles_markdown(config, true, {true, false}));  // --raw
  CHECK_FALSE(styles_markdown(config, false, {false, false}));
  config.set("output", "raw");
  CHECK_FALSE(styles_markdown(config, false, {true, false}));
  config.set("output", "markdown");
  config.set("color", "on");
  CHECK(styles_markdown(config, false, {false, true}));
}

TEST_CASE("chat start: the first word is the target only when it is @... or an existing gateway") {
  Store store;
  auto choose = [&](ChatTargetRequest request) { return choose_chat_target(store.gateways, request); };
  auto named = choose({"", {"reviewer", "is", "this", "safe?"}, "", "helper"});
  CHECK(named.target == "reviewer");
  CHECK(named.message_words == std::vector<std::string>{"is", "this", "safe?"});
  auto bare = choose({"", {"@openai/gpt-4o", "hi"}, "", "helper"});
  CHECK(bare.target == "@openai/gpt-4o");
  CHECK(bare.message_words == std::vector<std::string>{"hi"});
  // Not a gateway: with a default, every word is the message.
  auto defaulted = choose({"", {"hello", "there"}, "", "helper"});
  CHECK(defaulted.target == "helper");
  CHECK(defaulted.message_words == std::vector<std::string>{"hello", "there"});
  // -m: every word is the message, even one naming a gateway.
  auto model = choose({"@openai/gpt-4o-mini", {"reviewer", "hi"}, "", "helper"});
  CHECK(model.target == "@openai/gpt-4o-mini");
  CHECK(model.message_words == std::vector<std::string>{"reviewer", "hi"});
  // A continued session's target comes before the default.
  CHECK(choose({"", {"more"}, "reviewer", "helper"}).target == "reviewer");
  // No words at all: the default (a REPL with it).
  CHECK(choose({"", {}, "", "helper"}).target == "helper");
}

TEST_CASE("chat start: without a target or a default, the error says how to set one") {
  Store store;
  auto none = expect_error([&] { choose_chat_target(store.gateways, {"", {}, "", ""}); });
  CHECK(none.kind() == ErrorKind::usage);
  CHECK(std::string(none.what()).find("weir config set default-gateway NAME") != std::string::npos);
  auto unknown = expect_error([&] { choose_chat_target(store.gateways, {"", {"reviwer", "hi"}, "", ""}); });
  CHECK(unknown.kind() == ErrorKind::not_found);
  std::string message = unknown.what();
  CHECK(message.find("no gateway 'reviwer'; did you mean: reviewer") != std::string::npos);
  CHECK(message.find("weir config set default-gateway NAME") != std::string::npos);
  // A default that names nothing (deleted since) is named as the default.
  auto stale = expect_error([&] { choose_chat_target(store.gateways, {"", {"hi"}, "", "gone"}); });
  CHECK(stale.kind() == ErrorKind::not_found);
  CHECK(std::string(stale.what()).find("(the default-gateway)") != std::string::npos);
  CHECK(expect_error([&] { check_default_gateway(store.gateways, "gone"); }).kind() == ErrorKind::not_found);
  check_default_gateway(store.gateways, "reviewer");
  check_default_gateway(store.gateways, "@openai/gpt-4o");
}

TEST_CASE("chat start: a new unnamed chat replaces `last`; -c continues the session used most recently") {
  Store store;
  auto fresh = choose_chat_session(store.sessions, "", false);
  CHECK(fresh.name == "last");
  CHECK(fresh.replace_on_first_turn);
  CHECK_FALSE(fresh.continued);
  auto nothing = expect_error([&] { choose_chat_session(store.sessions, "", true); });
  CHECK(nothing.kind() == ErrorKind::not_found);
  CHECK(std::string(nothing.what()).find("no conversation to continue yet") != std::string::npos);

  json turn = json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "hello"}}});
  store.sessions.append("work", "reviewer", turn);
  store.sessions.replace("last", "helper", turn);
  auto continued = choose_chat_session(store.sessions, "", true);
  CHECK(continued.name == "last");  // appended to last
  CHECK(continued.target == "helper");
  CHECK_FALSE(continued.replace_on_first_turn);
  store.sessions.append("work", "reviewer", turn);
  CHECK(choose_chat_session(store.sessions, "", true).name == "work");

  auto named = choose_chat_session(store.sessions, "work", false);
  CHECK(named.continued);
  CHECK(named.target == "reviewer");
  CHECK_FALSE(choose_chat_session(store.sessions, "new-one", false).continued);
  CHECK(expect_error([&] { choose_chat_session(store.sessions, "work", true); }).kind() == ErrorKind::usage);

  // `last` is kept for unnamed chats: --session may continue it, never start it.
  CHECK(choose_chat_session(store.sessions, "last", false).continued);
  CHECK(store.sessions.remove("last"));
  auto reserved = expect_error([&] { choose_chat_session(store.sessions, "last", false); });
  CHECK(reserved.kind() == ErrorKind::usage);
  CHECK(std::string(reserved.what()).find("the session name 'last' is kept for the latest chat without --session") == 0);
  CHECK(expect_error([] { check_new_session_name("last"); }).kind() == ErrorKind::usage);
  check_new_session_name("lastly");

  // replace() drops what `last` held before, in one step.
  store.sessions.replace("last", "helper", json::array({{{"role", "user"}, {"content", "again"}}}));
  CHECK(store.sessions.messages("last").size() == 1);
}

TEST_CASE("sessions: rename, resolve with suggestions, summaries count turns; transcripts name non-text parts") {
  Store store;
  json turn = json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "hello"}}});
  store.sessions.append("deploy", "reviewer", turn);
  store.sessions.append("deploy", "reviewer", turn);
  store.sessions.append("notes", "helper", turn);
  auto summary = store.sessions.resolve("deploy");
  CHECK(summary.messages == 4);
  CHECK(summary.turns == 2);
  auto missing = expect_error([&] { store.sessions.resolve("deplyo"); });
  CHECK(missing.kind() == ErrorKind::not_found);
  CHECK(std::string(missing.what()).find("did you mean: deploy") != std::string::npos);

  CHECK(expect_error([&] { store.sessions.rename("deploy", "notes"); }).kind() == ErrorKind::usage);
  CHECK(expect_error([&] { store.sessions.rename("deploy", "bad name"); }).kind() == ErrorKind::usage);
  CHECK(expect_error([&] { store.sessions.rename("nope", "other"); }).kind() == ErrorKind::not_found);
  store.sessions.rename("deploy", "deploy-2026");
  CHECK_FALSE(store.sessions.find("deploy"));
  CHECK(store.sessions.messages("deploy-2026").size() == 4);

  json parts = json::array({{{"type", "text"}, {"text", "what is this?"}},
                            {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,AAAA"}}}}});
  CHECK(transcript_text(parts) == "what is this?\n\n[image_url]");
  auto markdown = session_markdown(store.sessions.resolve("notes"), turn);
  CHECK(markdown.rfind("# notes\n\nTarget: `helper` · 1 turn · last used ", 0) == 0);
  CHECK(markdown.find("\n## user\n\nhi\n\n## assistant\n\nhello\n") != std::string::npos);
}
