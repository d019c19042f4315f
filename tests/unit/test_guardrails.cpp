// Guardrails without the engine: the PII kinds (Luhn, mod-97, secrets), the
// compiled guard set and its refusals, input masking and denial, and the two
// stream filters (output guards with their carry-over window, unmasking) fed
// chunk by chunk.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/engine/output_guard_filter.hpp"
#include "core/engine/unmask_filter.hpp"
#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/policy/guardrails.hpp"
#include "core/policy/pii_kinds.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

std::vector<std::string> kinds_found(const std::string& text) {
  std::vector<size_t> all;
  for (size_t index = 0; index < pii_kinds().size(); ++index) all.push_back(index);
  std::vector<std::string> names;
  for (const auto& match : find_pii(text, all)) names.emplace_back(match.kind->name);
  return names;
}

StreamDelta content(std::string text) {
  StreamDelta delta;
  delta.content = std::move(text);
  return delta;
}

// Feeds `chunks` through `filter`; returns what it let through, joined.
std::string through(StreamFilter& filter, const std::vector<std::string>& chunks, std::vector<std::string>* emitted = nullptr) {
  std::string shown;
  DeltaCallback collect = [&](const StreamDelta& delta) {
    shown += delta.content;
    if (emitted && !delta.content.empty()) emitted->push_back(delta.content);
  };
  for (const auto& chunk : chunks) filter.on_delta(content(chunk), collect);
  filter.on_end(collect);
  return shown;
}

std::shared_ptr<const GuardSet> guards(const json& block) { return GuardSet::compile(block); }

}  // namespace

TEST_CASE("guardrails: pii kinds find emails, cards (Luhn), IBANs (mod 97), secrets, IPs, ids and phones") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK(iban_valid("GB82 WEST 1234 5698 7654 32"));
  CHECK_FALSE(iban_valid("GB82 WEST 1234 5698 7654 33"));

  CHECK(kinds_found("write to ana.lopez@example.com today") == std::vector<std::string>{"email"});
  CHECK(kinds_found("card 4111 1111 1111 1111 ok") == std::vector<std::string>{"card"});
  CHECK(kinds_found("card 4111 1111 1111 1112 ok").empty());  // fails Luhn, and is no phone (16 digits)
  CHECK(kinds_found("iban GB82WEST12345698765432.") == std::vector<std::string>{"iban"});
  CHECK(kinds_found("key sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE") ==
        std::vector<std::string>{"secret", "secret"});
  CHECK(kinds_found("token ghp_" + std::string(36, 'a')) == std::vector<std::string>{"secret"});
  CHECK(kinds_found("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----") ==
        std::vector<std::string>{"secret"});
  CHECK(kinds_found("host 192.168.1.20 and 999.1.1.1") == std::vector<std::string>{"ip"});
  CHECK(kinds_found("ssn 123-45-6789") == std::vector<std::string>{"national_id"});
  CHECK(kinds_found("call +1 415 555 2671") == std::vector<std::string>{"phone"});
  CHECK(kinds_found("on 2024-01-15 at 10:30, version 1.2.3").empty());
}

TEST_CASE("guardrails: a gateway with a pattern RE2 refuses is refused when saved, naming the guard") {
  json fields = {{"provider", "p"},
                 {"model", "m"},
                 {"guardrails", json::array({{{"name", "ok"}, {"type", "words"}, {"words", {"x"}}},
                                             {{"name", "broken"}, {"type", "regex"}, {"patterns", "(a"}}})}};
  auto error = expect_error([&] { (void)GatewayConfig::from_json(fields); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("guardrails[1] 'broken'") != std::string::npos);
  CHECK(std::string(error.what()).find("(a") != std::string::npos);

  // Backreferences are not RE2 (they are what makes other engines exponential).
  CHECK(expect_error([] { guards(json::array({{{"type", "regex"}, {"patterns", "(a)\\1"}}})); }).kind() ==
        ErrorKind::usage);
  auto wrong_field = expect_error([] { guards(json::array({{{"type", "regex"}, {"patterns", "a"}, {"words", {"b"}}}})); });
  CHECK(std::string(wrong_field.what()).find("'words', which applies to words guards only") != std::string::npos);
  auto mask_length = expect_error([] { guards(json::array({{{"type", "length"}, {"max_characters", 5}, {"action", "mask"}}})); });
  CHECK(std::string(mask_length.what()).find("cannot mask") != std::string::npos);
  auto schema_input = expect_error([] { guards(json::array({{{"type", "json_schema"}, {"schema", json::object()}}})); });
  CHECK(std::string(schema_input.what()).find("\"on\": \"output\"") != std::string::npos);
  auto unknown_kind = expect_error([] { guards(json::array({{{"type", "pii"}, {"kinds", {"dna"}}}})); });
  CHECK(std::string(unknown_kind.what()).find("unknown pii kind 'dna'") != std::string::npos);
  auto unknown_key = expect_error([&] {
    (void)GatewayConfig::from_json({{"provider", "p"}, {"model", "m"}, {"guardrails", json::array({{{"type", "pii"}, {"kind", {"email"}}}})}});
  });
  CHECK(std::string(unknown_key.what()).find("did you mean 'kinds'") != std::string::npos);
}

TEST_CASE("guardrails: the pathological (a+)+$ runs in RE2 over 100 KB of a's and matches it whole") {
  // A backtracking engine takes exponential time here; RE2 one linear pass.
  // (The 50 ms figure is measured in bench/guardrails.cpp, not asserted here.)
  auto set = guards(json::array({{{"type", "regex"}, {"patterns", "(a+)+$"}}}));
  std::string text(100 * 1024, 'a');
  auto matches = set->guards()[0].find(text);
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].begin == 0);
  CHECK(matches[0].end == text.size());
  CHECK(set->guards()[0].find(std::string(100 * 1024, 'a') + "!").empty());
}

TEST_CASE("guardrails: input mask numbers placeholders, reuses them for the same value, and masks the other copy") {
  auto set = guards(json::array({{{"type", "pii"}, {"action", "mask"}, {"on", "input"}}}));
  json messages = json::array({{{"role", "system"}, {"content", "mail admin@corp.example for help"}},
                               {{"role", "user"}, {"content", "I am bob@example.com, card 4111111111111111"}},
                               {{"role", "user"},
                                {"content", json::array({{{"type", "text"}, {"text", "again bob@example.com, or eve@example.org"}}})}}});
  json conversation = json::array({messages[1], messages[2]});
  GuardrailRun run;
  apply_input_guards(*set, messages, 1, 2, run, &conversation);
  CHECK(messages[0]["content"] == "mail admin@corp.example for help");  // the gateway's own text is not the caller's
  CHECK(messages[1]["content"] == "I am [EMAIL_1], card [CARD_1]");
  CHECK(messages[2]["content"][0]["text"] == "again [EMAIL_1], or [EMAIL_2]");
  CHECK(conversation[0]["content"] == "I am [EMAIL_1], card [CARD_1]");
  CHECK(run.originals().at("[EMAIL_2]") == "eve@example.org");
  REQUIRE(run.notes().size() == 1);
  CHECK(run.notes()[0]["action"] == "mask");
  CHECK(run.notes()[0]["matches"] == 4);
  CHECK(run.notes()[0]["kinds"] == json::array({"email", "card"}));
  CHECK(run.notes().dump().find("bob@") == std::string::npos);  // notes never hold the text
}

TEST_CASE("guardrails: input mask reaches the arguments of the assistant's earlier tool calls") {
  auto set = guards(json::array({{{"type", "pii"}, {"kinds", {"email"}}, {"action", "mask"}, {"on", "input"}}}));
  json call = {{"id", "c1"}, {"type", "function"},
               {"function", {{"name", "send_mail"}, {"arguments", R"({"to": "bob@example.com"})"}}}};
  json messages = json::array({{{"role", "user"}, {"content", "write to bob@example.com"}},
                               {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {call}}},
                               {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "sent to bob@example.com"}}});
  GuardrailRun run;
  apply_input_guards(*set, messages, 0, 3, run, nullptr);
  CHECK(messages.dump().find("bob@example.com") == std::string::npos);
  CHECK(messages[1]["tool_calls"][0]["function"]["arguments"] == R"({"to": "[EMAIL_1]"})");
  CHECK(messages[1]["content"].is_null());
}

TEST_CASE("guardrails: input deny names the guard with code guardrail_violation; warn and length") {
  auto set = guards(json::array({{{"name", "no-secrets"}, {"type", "pii"}, {"kinds", {"secret"}}, {"on", "input"}}}));
  json messages = json::array({{{"role", "user"}, {"content", "use AKIAIOSFODNN7EXAMPLE"}}});
  GuardrailRun run;
  auto error = expect_error([&] { apply_input_guards(*set, messages, 0, 1, run); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(error.code() == "guardrail_violation");
  CHECK(std::string(error.what()).find("guardrail 'no-secrets' (pii) denied the request") != std::string::npos);
  CHECK(std::string(error.what()).find("AKIA") == std::string::npos);

  auto warn = guards(json::array({{{"type", "words"}, {"words", {"Darn"}}, {"action", "warn"}},
                                  {{"type", "length"}, {"max_characters", 10}, {"action", "warn"}}}));
  json words = json::array({{{"role", "user"}, {"content", "darn it, DARN. darned is fine"}}});
  GuardrailRun warned;
  apply_input_guards(*warn, words, 0, 1, warned);
  CHECK(words[0]["content"] == "darn it, DARN. darned is fine");
  REQUIRE(warned.notes().size() == 2);
  CHECK(warned.notes()[0]["matches"] == 2);  // whole words only, any case
  CHECK(warned.notes()[1]["type"] == "length");

  auto tokens = guards(json::array({{{"name", "short"}, {"type", "length"}, {"max_tokens", 2}}}));
  GuardrailRun counted;
  auto too_long = expect_error([&] { apply_input_guards(*tokens, words, 0, 1, counted); });
  CHECK(std::string(too_long.what()).find("tokens, over the 2 allowed") != std::string::npos);
}

TEST_CASE("guardrails: the unmask filter puts originals back even when a placeholder is split across chunks") {
  auto run = std::make_shared<GuardrailRun>();
  auto email = run->placeholder("EMAIL", "bob@example.com");
  auto card = run->placeholder("CARD", "4111111111111111");
  UnmaskFilter filter(run);
  std::vector<std::string> emitted;
  auto shown = through(filter, {"Mail [EM", "AIL_1] and charge [CARD", "_1]", " [not one] [EMAIL_9] [x"}, &emitted);
  CHECK(shown == "Mail bob@example.com and charge 4111111111111111 [not one] [EMAIL_9] [x");
  CHECK(emitted.front() == "Mail ");  // text before a possible placeholder is not held
  CHECK(email == "[EMAIL_1]");
  CHECK(card == "[CARD_1]");
}

TEST_CASE("guardrails: the unmask filter passes 200 000 '[' without a ']' through whole") {
  auto run = std::make_shared<GuardrailRun>();
  run->placeholder("EMAIL", "bob@example.com");
  UnmaskFilter filter(run);
  std::string brackets(200'000, '[');
  CHECK(through(filter, {brackets + "[EMAIL_1]"}) == brackets + "bob@example.com");
}

TEST_CASE("guardrails: output deny catches a pattern split across chunks before any of it is shown") {
  auto set = guards(json::array({{{"name", "codeword"}, {"type", "regex"}, {"patterns", "swordfish"}, {"window", 16}}}));
  auto run = std::make_shared<GuardrailRun>();
  OutputGuardFilter filter(set, run);
  std::string shown;
  DeltaCallback collect = [&](const StreamDelta& delta) { shown += delta.content; };
  std::string lead(64, '.');
  filter.on_delta(content(lead + " the word is sword"), collect);
  auto error = expect_error([&] { filter.on_delta(content("fish, now"), collect); });
  CHECK(error.code() == "guardrail_violation");
  CHECK(std::string(error.what()).find("guardrail 'codeword' (regex) denied the answer") != std::string::npos);
  CHECK(shown.find(lead) == 0);  // what was well before the window was shown
  CHECK(shown.find("sword") == std::string::npos);
  REQUIRE(run->notes().size() == 1);
  CHECK(run->notes()[0]["direction"] == "output");
}

TEST_CASE("guardrails: output mask replaces split matches with bare placeholders; warn counts; length and schema") {
  auto set = guards(json::array({{{"type", "pii"}, {"kinds", {"email"}}, {"action", "mask"}, {"on", "output"}},
                                 {{"type", "words"}, {"words", {"heck"}}, {"action", "warn"}, {"on", "output"}}}));
  auto run = std::make_shared<GuardrailRun>();
  OutputGuardFilter filter(set, run);
  auto shown = through(filter, {"Write to carol@exa", "mple.org, heck, ", "or dave@example.net"});
  CHECK(shown == "Write to [EMAIL], heck, or [EMAIL]");
  REQUIRE(run->notes().size() == 2);
  CHECK(run->notes()[0]["matches"] == 2);
  CHECK(run->notes()[0]["kinds"] == json::array({"email"}));
  CHECK(run->notes()[1]["action"] == "warn");

  auto limited = guards(json::array({{{"name", "brief"}, {"type", "length"}, {"max_characters", 8}, {"on", "output"}}}));
  OutputGuardFilter length_filter(limited, std::make_shared<GuardrailRun>());
  auto too_long = expect_error([&] { through(length_filter, {"12345", "67890"}); });
  CHECK(std::string(too_long.what()).find("10 characters, over the 8 allowed") != std::string::npos);

  json schema = {{"type", "object"}, {"required", {"answer"}}};
  auto shaped = guards(json::array({{{"name", "shape"}, {"type", "json_schema"}, {"schema", schema}, {"on", "output"}}}));
  OutputGuardFilter good(shaped, std::make_shared<GuardrailRun>());
  CHECK(through(good, {"```json\n{\"ans", "wer\": 42}\n```"}) == "```json\n{\"answer\": 42}\n```");
  OutputGuardFilter bad(shaped, std::make_shared<GuardrailRun>());
  auto violation = expect_error([&] { through(bad, {"{\"other\": 1}"}); });
  CHECK(violation.code() == "guardrail_violation");
  CHECK(std::string(violation.what()).find("does not match its schema") != std::string::npos);
}

TEST_CASE("guardrails: a word is judged with the text already shown before it, wherever a chunk ends") {
  auto set = guards(json::array({{{"name", "violence"}, {"type", "words"}, {"words", {"kill"}}, {"on", "output"}, {"window", 16}}}));
  OutputGuardFilter filter(set, std::make_shared<GuardrailRun>());
  // "s" is shown once 16 more bytes arrive; the next scan starts at "kill".
  CHECK(through(filter, {"s", "kill " + std::string(11, ' '), "and more"}) == "skill " + std::string(11, ' ') + "and more");
  OutputGuardFilter denying(set, std::make_shared<GuardrailRun>());
  auto error = expect_error([&] { through(denying, {"a ", "kill " + std::string(14, ' '), "then"}); });
  CHECK(error.code() == "guardrail_violation");
}

TEST_CASE("guardrails: a match that keeps growing is not held for ever, and both its parts are masked") {
  auto set = guards(json::array({{{"name", "digits"}, {"type", "regex"}, {"patterns", "[0-9]+"}, {"action", "mask"},
                                  {"on", "output"}, {"window", 16}}}));
  OutputGuardFilter filter(set, std::make_shared<GuardrailRun>());
  std::vector<std::string> emitted;
  std::vector<std::string> chunks(40, "0123456789");
  chunks.push_back(" end");
  auto shown = through(filter, chunks, &emitted);
  CHECK(shown.find_first_of("0123456789") == std::string::npos);
  CHECK(shown.substr(shown.size() - 4) == " end");
  CHECK(emitted.size() > 2);  // it streamed: not all at the end
}

TEST_CASE("guardrails: an output length guard counts characters as they stream") {
  auto set = guards(json::array({{{"name", "brief"}, {"type", "length"}, {"max_characters", 100000}, {"on", "output"}}}));
  OutputGuardFilter filter(set, std::make_shared<GuardrailRun>());
  std::vector<std::string> chunks(25'001, "éèêë");  // 4 characters, 8 bytes each
  auto error = expect_error([&] { through(filter, chunks); });
  CHECK(std::string(error.what()).find("100004 characters, over the 100000 allowed") != std::string::npos);
}
