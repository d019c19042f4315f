// Web chat session rules against a real store, with the clock passed in:
// lifetimes and their bounds, a tag's live session reused with a new key, a
// key that opens its own session only, expiry and extension, and the chat
// client's hourly and lifetime limits (not reset by clearing).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "core/chat_client/chat_sessions.hpp"
#include "core/chat_client/session_answers.hpp"
#include "core/error.hpp"
#include "core/store/chat_client_repository.hpp"
#include "core/store/chat_session_repository.hpp"
#include "core/store/key_repository.hpp"
#include "core/store/database.hpp"

using namespace weir;
using json = nlohmann::json;

namespace {

struct Store {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  explicit Store(ChatClientSettings settings = {}) {
    directory = std::filesystem::temp_directory_path() / ("weir-chat-sessions-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
    ChatClient client;
    client.name = "support";
    client.gateway_id = "0190aaaa-0000-7000-8000-000000000000";
    client.settings = std::move(settings);
    ChatClientRepository(*database).create(client);
  }
  ~Store() {
    database.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
};

constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kMinute = 60'000;

ErrorKind kind_of(const std::function<void()>& work, std::string* code = nullptr) {
  try {
    work();
  } catch (const Error& error) {
    if (code) *code = error.code();
    return error.kind();
  }
  FAIL("no error");
  return ErrorKind::runtime;
}

}  // namespace

TEST_CASE("chat sessions: lifetimes are 10 minutes to 90 days, one hour by default") {
  CHECK_FALSE(session_request_from_json(json::object()).lifetime);  // the default: one hour
  CHECK(session_request_from_json({{"expires", 600}}).lifetime == 600'000);
  CHECK(open_session(*Store().database, "support", {}, "", kNow).session.expires_at == kNow + 3'600'000);
  CHECK(session_request_from_json({{"expires", "90d"}}).lifetime == 90LL * 86'400'000);
  CHECK(kind_of([] { session_request_from_json({{"expires", 599}}); }) == ErrorKind::usage);
  CHECK(kind_of([] { session_request_from_json({{"expires", "91d"}}); }) == ErrorKind::usage);
  CHECK(kind_of([] { session_request_from_json({{"expires", true}}); }) == ErrorKind::usage);
  CHECK(kind_of([] { session_request_from_json({{"tag", ""}}); }) == ErrorKind::usage);
  CHECK(kind_of([] { session_request_from_json({{"extra_context", std::string(64 * 1024 + 1, 'x')}}); }) == ErrorKind::usage);
  CHECK(kind_of([] { session_request_from_json({{"model", "x"}}); }) == ErrorKind::usage);
}

TEST_CASE("chat sessions: a key opens its own session only; a tag's live session is reused with a new key") {
  Store store;
  auto& database = *store.database;
  SessionRequest request;
  auto first = open_session(database, "support", request, "", kNow);
  auto second = open_session(database, "support", request, "", kNow);
  CHECK(first.session.id != second.session.id);
  CHECK(talk_path(first) == "/chat/" + first.session.id + "#key=" + first.access_key);
  CHECK(authorize_session(database, first.session.id, first.access_key, kNow).session.id == first.session.id);
  std::string code;
  CHECK(kind_of([&] { authorize_session(database, first.session.id, second.access_key, kNow); }, &code) ==
        ErrorKind::authentication);
  CHECK(code == "invalid_session_key");
  CHECK(kind_of([&] { authorize_session(database, first.session.id, "", kNow); }) == ErrorKind::authentication);
  CHECK(kind_of([&] { open_session(database, "nobody", request, "", kNow); }) == ErrorKind::not_found);
  // Only the key's SHA-256 is kept.
  auto stored = database.prepare("SELECT count(*) FROM chat_session_keys WHERE hash = ?1");
  stored.bind(1, first.access_key);
  stored.step();
  CHECK(stored.integer(0) == 0);

  request.tag = "alice";
  auto tagged = open_session(database, "support", request, "", kNow);
  auto again = open_session(database, "support", request, "", kNow + kMinute);
  CHECK(again.reused);
  CHECK(again.session.id == tagged.session.id);
  CHECK(authorize_session(database, tagged.session.id, tagged.access_key, kNow).session.tag == "alice");
  CHECK(authorize_session(database, tagged.session.id, again.access_key, kNow).session.id == tagged.session.id);
  // Once it has ended, the tag gets a new session.
  auto later = open_session(database, "support", request, "", kNow + 2 * 3'600'000);
  CHECK_FALSE(later.reused);
  CHECK(later.session.id != tagged.session.id);
}

TEST_CASE("chat sessions: expiry refuses, a message late in the life extends it") {
  Store store;
  auto& database = *store.database;
  auto opened = open_session(database, "support", SessionRequest{}, "", kNow);
  std::string code;
  CHECK(kind_of([&] { authorize_session(database, opened.session.id, opened.access_key, kNow + 3'600'000); }, &code) ==
        ErrorKind::authentication);
  CHECK(code == "session_expired");

  auto grant = authorize_session(database, opened.session.id, opened.access_key, kNow + 10 * kMinute);
  admit_prompt(database, grant, kNow + 10 * kMinute);
  CHECK(grant.session.expires_at == kNow + 3'600'000);  // most of its life left: unchanged
  admit_prompt(database, grant, kNow + 40 * kMinute);
  CHECK(grant.session.expires_at == kNow + 100 * kMinute);  // extended by a whole hour
  CHECK(authorize_session(database, opened.session.id, opened.access_key, kNow + 90 * kMinute).session.expires_at ==
        kNow + 100 * kMinute);
}

TEST_CASE("chat sessions: hourly and lifetime limits, in words, not reset by clearing") {
  ChatClientSettings settings;
  settings.messages_per_hour = 2;
  settings.max_messages = 3;
  Store store(settings);
  auto& database = *store.database;
  auto opened = open_session(database, "support", SessionRequest{90 * 60'000, {}, ""}, "", kNow);
  auto grant = authorize_session(database, opened.session.id, opened.access_key, kNow);
  admit_prompt(database, grant, kNow);
  admit_prompt(database, grant, kNow + 20 * kMinute);
  ChatSessionRepository(database).clear(opened.session.id);
  try {
    admit_prompt(database, grant, kNow + 30 * kMinute);
    FAIL("admitted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(std::string(error.what()) == "This chat allows 2 messages per hour. You can send the next one in 30 minutes.");
    CHECK(error.retry_after_seconds() == 30 * 60);
  }
  admit_prompt(database, grant, kNow + 60 * kMinute);  // the first has left the hour
  try {
    admit_prompt(database, grant, kNow + 130 * kMinute);
    FAIL("admitted");
  } catch (const Error& error) {
    CHECK(error.code() == "session_message_limit");
    CHECK(std::string(error.what()) == "This chat session has reached its limit of 3 messages. Ask for a new link to go on.");
  }
}

TEST_CASE("chat sessions: the prompt carries the gateway, the extra context, the history and the tag") {
  Store store;
  auto& database = *store.database;
  SessionRequest request;
  request.extra_context = "Plan: **Pro**";
  request.tag = "alice";
  auto opened = open_session(database, "support", request, "", kNow);
  auto grant = authorize_session(database, opened.session.id, opened.access_key, kNow);
  json history = json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "hello"}}});
  auto input = prompt_input(grant, history, user_message_from_text("and now?"));
  CHECK(input.target == grant.client.gateway_id);
  CHECK(input.user == "alice");
  CHECK(input.front_door == "web");
  REQUIRE(input.messages.size() == 4);
  CHECK(input.messages[0] == json{{"role", "system"}, {"content", "Plan: **Pro**"}});
  CHECK(input.messages[3]["content"] == "and now?");
  CHECK(kind_of([] { user_message_from_text(" \n"); }) == ErrorKind::usage);

  ChatSessionRepository sessions(database);
  sessions.append(opened.session.id, history, kNow);
  auto taken = sessions.take_last_turn(opened.session.id);
  REQUIRE(taken.size() == history.size());
  CHECK(taken[0]["content"] == "hi");
  CHECK(taken == history);
  CHECK(sessions.messages(opened.session.id).empty());
  CHECK(sessions.take_last_turn(opened.session.id).empty());
}

TEST_CASE("chat clients: settings the page cannot show safely are refused") {
  auto refused = [](auto change) {
    ChatClientSettings settings;
    change(settings);
    return kind_of([&] { settings.check(); });
  };
  CHECK(refused([](ChatClientSettings& s) { s.color = "red"; }) == ErrorKind::usage);
  CHECK(refused([](ChatClientSettings& s) { s.color = "#12345g"; }) == ErrorKind::usage);
  CHECK(refused([](ChatClientSettings& s) { s.title = "a\nb"; }) == ErrorKind::usage);
  CHECK(refused([](ChatClientSettings& s) { s.suggestions.assign(9, "x"); }) == ErrorKind::usage);
  CHECK(refused([](ChatClientSettings& s) { s.messages_per_hour = 0; }) == ErrorKind::usage);
  ChatClientSettings fine;
  fine.color = "#0F766E";
  fine.suggestions = {"How?"};
  fine.max_messages = 5;
  fine.check();
  auto round_trip = ChatClientSettings::from_json(fine.to_json());
  CHECK(round_trip.to_json() == fine.to_json());
}

TEST_CASE("chat sessions: a tag's session belongs to the key that opened it, runs as that key, and ends with it") {
  Store store;
  auto& database = *store.database;
  KeyRepository keys(database);
  auto first_key = keys.create("tenant-a", false, std::nullopt, std::nullopt,
                               {{"limits", {{"requests_per_minute", 5}}}});
  auto second_key = keys.create("tenant-b", false, std::nullopt, std::nullopt);
  SessionRequest request;
  request.tag = "alice";
  request.extra_context = "Plan: free";
  auto opened = open_session(database, "support", request, first_key.key.id, kNow);
  // Another tenant naming the same tag gets a session of its own, not tenant-a's.
  auto other = open_session(database, "support", request, second_key.key.id, kNow);
  CHECK_FALSE(other.reused);
  CHECK(other.session.id != opened.session.id);
  // So does the local user.
  CHECK(open_session(database, "support", request, "", kNow).session.id != opened.session.id);

  // The same key reuses it, and what it gives again replaces the session's.
  request.extra_context = "Plan: pro";
  request.lifetime = 2 * 3'600'000;
  auto again = open_session(database, "support", request, first_key.key.id, kNow + kMinute);
  CHECK(again.reused);
  CHECK(again.session.id == opened.session.id);
  auto grant = authorize_session(database, opened.session.id, again.access_key, kNow + kMinute);
  CHECK(grant.session.extra_context == "Plan: pro");
  CHECK(grant.session.expires_at == kNow + kMinute + 2 * 3'600'000);
  // Reused without them: the session keeps its own.
  auto bare = open_session(database, "support", SessionRequest{std::nullopt, std::nullopt, "alice"}, first_key.key.id,
                           kNow + 2 * kMinute);
  CHECK(bare.session.extra_context == "Plan: pro");
  CHECK(bare.session.expires_at == kNow + kMinute + 2 * 3'600'000);

  // Prompts run as the key, with its limits.
  auto input = prompt_input(grant, json::array(), user_message_from_text("hi"));
  CHECK(input.caller.key_id == first_key.key.id);
  CHECK(input.caller.key_name == "tenant-a");
  CHECK(input.caller.key_limits["limits"]["requests_per_minute"] == 5);

  // Revoking the key ends its sessions.
  ChatSessionRepository sessions(database);
  CHECK(sessions.live_count("support", kNow + 3 * kMinute) == 3);
  keys.revoke("tenant-a");
  CHECK(sessions.live_count("support", kNow + 3 * kMinute) == 2);
  std::string code;
  CHECK(kind_of([&] { authorize_session(database, opened.session.id, again.access_key, kNow + 3 * kMinute); }, &code) ==
        ErrorKind::authentication);
  CHECK(code == "invalid_api_key");
  // The local user's sessions are the local user's.
  auto local = open_session(database, "support", SessionRequest{}, "", kNow);
  auto local_grant = authorize_session(database, local.session.id, local.access_key, kNow);
  CHECK(local_grant.caller.key_id.empty());
  CHECK(local_grant.caller.key_name == "chat-client:support");
}

TEST_CASE("chat sessions: a prompt takes the client's history window, starting at a user message") {
  ChatClientSettings settings;
  settings.history = 3;
  Store store(settings);
  auto& database = *store.database;
  auto opened = open_session(database, "support", SessionRequest{}, "", kNow);
  auto grant = authorize_session(database, opened.session.id, opened.access_key, kNow);
  json history = json::array();
  for (int turn = 0; turn < 5; ++turn) {
    history.push_back({{"role", "user"}, {"content", "q" + std::to_string(turn)}});
    history.push_back({{"role", "assistant"}, {"content", "a" + std::to_string(turn)}});
  }
  auto input = prompt_input(grant, history, user_message_from_text("next"));
  // The last 3 would start at an answer: the window starts at the question after it.
  REQUIRE(input.messages.size() == 3);
  CHECK(input.messages[0]["content"] == "q4");
  CHECK(input.messages[1]["content"] == "a4");
  CHECK(input.messages[2]["content"] == "next");

  grant.client.settings.history = 0;
  CHECK(prompt_input(grant, history, user_message_from_text("alone")).messages.size() == 1);
  grant.client.settings.history = 1000;
  CHECK(prompt_input(grant, history, user_message_from_text("all")).messages.size() == 11);
  settings.history = 1001;
  CHECK(kind_of([&] { settings.check(); }) == ErrorKind::usage);
  CHECK(ChatClientSettings::from_json(json::object()).history == kDefaultHistory);
}

TEST_CASE("chat sessions: a conversation keeps its newest messages; send times older than an hour are forgotten") {
  ChatClientSettings settings;
  settings.max_messages = 3;
  Store store(settings);
  auto& database = *store.database;
  auto opened = open_session(database, "support", SessionRequest{90 * 60'000, {}, ""}, "", kNow);
  ChatSessionRepository sessions(database);
  json many = json::array();
  for (int index = 0; index < kMaxSessionMessages + 10; ++index)
    many.push_back({{"role", index % 2 ? "assistant" : "user"}, {"content", std::to_string(index)}});
  sessions.append(opened.session.id, many, kNow);
  auto kept = sessions.messages(opened.session.id);
  REQUIRE(kept.size() == static_cast<size_t>(kMaxSessionMessages));
  CHECK(kept.front()["content"] == "10");
  CHECK(kept.back()["content"] == std::to_string(kMaxSessionMessages + 9));

  auto grant = authorize_session(database, opened.session.id, opened.access_key, kNow);
  admit_prompt(database, grant, kNow);
  admit_prompt(database, grant, kNow + 61 * kMinute);
  auto rows = database.prepare("SELECT count(*) FROM chat_session_sends WHERE session_id = ?1");
  rows.bind(1, opened.session.id);
  rows.step();
  CHECK(rows.integer(0) == 1);  // the first send left the hour
  CHECK(sessions.total_sends(opened.session.id) == 2);
  admit_prompt(database, grant, kNow + 122 * kMinute);
  std::string code;
  CHECK(kind_of([&] { admit_prompt(database, grant, kNow + 183 * kMinute); }, &code) == ErrorKind::rate_limited);
  CHECK(code == "session_message_limit");
}

TEST_CASE("chat sessions: one answer at a time per session") {
  SessionAnswers answers;
  std::string code;
  {
    auto answering = answers.begin("cs_a");
    CHECK(kind_of([&] { answers.begin("cs_a"); }, &code) == ErrorKind::rate_limited);
    CHECK(code == "session_busy");
    auto other = answers.begin("cs_b");  // another session is not held up
  }
  auto again = answers.begin("cs_a");  // the first answer has ended
}
