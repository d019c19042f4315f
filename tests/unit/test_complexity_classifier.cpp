// The complexity classifier (core/routing/complexity_classifier.hpp): its
// accuracy on the labelled prompts of tests/data/complexity_prompts.jsonl
// (tuned on the "train" prompts, measured on the held-out "test" ones), what each
// feature counts, odd shapes that must not throw, its speed, and the router
// model's request and the reading of its answer.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>

#include "core/json_input.hpp"
#include "core/routing/complexity_classifier.hpp"

using namespace weir;

namespace {

const std::string kPromptsPath = std::string(WEIR_SOURCE_DIR) + "/tests/data/complexity_prompts.jsonl";

json user(std::string text) { return {{"role", "user"}, {"content", std::move(text)}}; }
json assistant(std::string text) { return {{"role", "assistant"}, {"content", std::move(text)}}; }
json system_message(std::string text) { return {{"role", "system"}, {"content", std::move(text)}}; }
json one_user(std::string text) { return json::array({user(std::move(text))}); }

int64_t feature(const ComplexityVerdict& verdict, const char* name) { return verdict.features.at(name).get<int64_t>(); }

struct LabelledPrompt {
  ComplexityTier tier;
  std::string split;
  json messages;
};

std::vector<LabelledPrompt> load_prompts() {
  std::ifstream file(kPromptsPath);
  REQUIRE_MESSAGE(file.good(), "cannot open ", kPromptsPath);
  std::vector<LabelledPrompt> prompts;
  std::string line;
  size_t line_number = 0;
  while (std::getline(file, line)) {
    ++line_number;
    if (line.empty()) continue;
    json item = read_json_or_throw(line, "line " + std::to_string(line_number), ErrorKind::usage);
    auto tier = parse_complexity_tier(item.at("tier").get<std::string>());
    REQUIRE_MESSAGE(tier.has_value(), "line ", line_number, " has an unknown tier");
    std::string split = item.at("split").get<std::string>();
    REQUIRE_MESSAGE((split == "train" || split == "test"), "line ", line_number, " has an unknown split");
    REQUIRE(item.at("messages").is_array());
    prompts.push_back({*tier, split, item.at("messages")});
  }
  return prompts;
}

// confusion[expected][predicted]
using Confusion = std::array<std::array<int, 3>, 3>;

struct Measurement {
  Confusion confusion{};
  int total = 0;
  int correct = 0;
  double accuracy() const { return total == 0 ? 0 : static_cast<double>(correct) / total; }
};

Measurement measure(const std::vector<LabelledPrompt>& prompts, std::string_view split) {
  Measurement result;
  for (const LabelledPrompt& prompt : prompts) {
    if (split != "all" && prompt.split != split) continue;
    ComplexityTier predicted = classify_complexity(prompt.messages).tier;
    ++result.confusion[static_cast<size_t>(prompt.tier)][static_cast<size_t>(predicted)];
    ++result.total;
    if (predicted == prompt.tier) ++result.correct;
  }
  return result;
}

std::string describe(const Measurement& measurement, std::string_view split) {
  std::ostringstream out;
  out << split << ": " << measurement.correct << "/" << measurement.total << " correct ("
      << static_cast<int>(measurement.accuracy() * 1000 + 0.5) / 10.0 << "%)\n"
      << "  expected \\ predicted    low  medium  high\n";
  for (size_t expected = 0; expected < 3; ++expected) {
    std::string name(to_string(static_cast<ComplexityTier>(expected)));
    out << "  " << name << std::string(24 - name.size(), ' ');
    for (size_t predicted = 0; predicted < 3; ++predicted) {
      std::string cell = std::to_string(measurement.confusion[expected][predicted]);
      out << std::string(predicted == 0 ? 3 - cell.size() : 8 - cell.size(), ' ') << cell;
    }
    out << "\n";
  }
  return out.str();
}

constexpr size_t kLow = static_cast<size_t>(ComplexityTier::low);
constexpr size_t kHigh = static_cast<size_t>(ComplexityTier::high);

}  // namespace

TEST_CASE("complexity: the labelled set has at least 60 prompts, 20 per tier, a held-out part of each") {
  auto prompts = load_prompts();
  CHECK(prompts.size() >= 60);
  std::array<int, 3> per_tier{};
  std::array<int, 3> per_tier_test{};
  for (const LabelledPrompt& prompt : prompts) {
    ++per_tier[static_cast<size_t>(prompt.tier)];
    if (prompt.split == "test") ++per_tier_test[static_cast<size_t>(prompt.tier)];
  }
  for (size_t tier = 0; tier < 3; ++tier) {
    CAPTURE(tier);
    CHECK(per_tier[tier] >= 20);
    // A third of each tier or more is held out for the measurement.
    CHECK(per_tier_test[tier] >= 16);
    CHECK(per_tier_test[tier] * 3 >= per_tier[tier]);
  }
}

TEST_CASE("complexity: accuracy on the held-out test split, the train split and overall") {
  // The weights and cut points were tuned looking at the train prompts only;
  // the test prompts were written afterwards and classified once, with the
  // weights frozen: 40/54 (74.1%). docs/routing-complexity.md has the history.
  auto prompts = load_prompts();
  Measurement train = measure(prompts, "train");
  Measurement test = measure(prompts, "test");
  Measurement all = measure(prompts, "all");
  MESSAGE(describe(train, "train"));
  MESSAGE(describe(test, "test"));
  MESSAGE(describe(all, "all"));
  CHECK(test.accuracy() >= 0.70);
  CHECK(train.accuracy() >= 0.90);
  CHECK(all.accuracy() >= 0.82);
  // The costly mistakes: a trivial request sent to the largest model, or a
  // hard one to the smallest.
  CHECK(all.confusion[kLow][kHigh] <= 2);
  CHECK(all.confusion[kHigh][kLow] <= 2);
}

TEST_CASE("complexity: tier names") {
  for (auto tier : {ComplexityTier::low, ComplexityTier::medium, ComplexityTier::high})
    CHECK(parse_complexity_tier(to_string(tier)) == tier);
  CHECK(to_string(ComplexityTier::low) == "low");
  CHECK(to_string(ComplexityTier::medium) == "medium");
  CHECK(to_string(ComplexityTier::high) == "high");
  CHECK_FALSE(parse_complexity_tier("High").has_value());
  CHECK_FALSE(parse_complexity_tier(" low").has_value());
  CHECK_FALSE(parse_complexity_tier("").has_value());
  CHECK_FALSE(parse_complexity_tier("med").has_value());
}

TEST_CASE("complexity: each feature counts what it names") {
  SUBCASE("code: a fenced block, identifiers and a stack trace") {
    auto verdict = classify_complexity(one_user(
        "Why does this fail?\n```python\ndef load(path):\n    return open(path).read()\n```\n"
        "Traceback (most recent call last):\n  File \"app.py\", line 3, in load_config\nFileNotFoundError: x"));
    CHECK(feature(verdict, "code") >= 6);
    CHECK(feature(verdict, "math") == 0);
    auto prose = classify_complexity(one_user("Tell me about the history of Rome."));
    CHECK(feature(prose, "code") == 0);
  }
  SUBCASE("math: operators, LaTeX and proof words") {
    auto verdict = classify_complexity(one_user("Prove that \\sum_{k=1}^{n} k = n(n+1)/2 by induction."));
    CHECK(feature(verdict, "math") >= 6);
    auto unicode = classify_complexity(one_user("Is ∀x ∈ ℝ, x² ≥ 0 true?"));
    CHECK(feature(unicode, "math") >= 3);
  }
  SUBCASE("multi_step: list items, sequencing words and extra questions") {
    auto verdict = classify_complexity(one_user("1. Read the file\n2. Count the words\n3. Then print the top ten"));
    CHECK(feature(verdict, "multi_step") == 4);
    auto questions = classify_complexity(one_user("Why? How? When?"));
    CHECK(feature(questions, "multi_step") == 2);
  }
  SUBCASE("reasoning and constraints") {
    auto verdict = classify_complexity(
        one_user("Compare the designs, explain the trade-offs, and keep it under budget: at most 3 servers."));
    CHECK(feature(verdict, "reasoning") == 3);  // compare, design(s), trade off(s)
    CHECK(feature(verdict, "constraints") == 2);  // budget, at most
  }
  SUBCASE("simple requests count near the start only") {
    CHECK(feature(classify_complexity(one_user("hi! thanks a lot")), "simple_request") == 2);
    std::string late = std::string(200, 'x') + " thanks";
    CHECK(feature(classify_complexity(one_user(late)), "simple_request") == 0);
  }
  SUBCASE("depth, tools and attachments describe the whole conversation") {
    json messages = json::array({
        user("first"), assistant("ok"), user("second"),
        {{"role", "assistant"}, {"content", nullptr},
         {"tool_calls", json::array({{{"id", "c1"}, {"type", "function"},
                                      {"function", {{"name", "f"}, {"arguments", "{}"}}}}})}},
        {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "42"}},
        {{"role", "user"},
         {"content", json::array({{{"type", "text"}, {"text", "and this?"}},
                                  {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/a.png"}}}}})}},
    });
    auto verdict = classify_complexity(messages);
    CHECK(feature(verdict, "user_turns") == 2);
    CHECK(feature(verdict, "tool_messages") == 2);
    CHECK(feature(verdict, "attachments") == 1);
  }
  SUBCASE("only the last user message is read for text features; system messages never") {
    std::string code = "```cpp\nint main() { return 0; }\n```";
    auto earlier = classify_complexity(json::array({user(code), assistant("ok"), user("thanks")}));
    CHECK(feature(earlier, "code") == 0);
    auto with_system = classify_complexity(json::array({system_message(code + " Prove it. Compare."), user("hi")}));
    auto without_system = classify_complexity(json::array({user("hi")}));
    CHECK(with_system.score == without_system.score);
    CHECK(with_system.tier == ComplexityTier::low);
  }
  SUBCASE("the score is the weighted sum the tier is cut from") {
    auto low = classify_complexity(one_user("hello"));
    CHECK(low.score < kComplexityLowBelow);
    CHECK(low.tier == ComplexityTier::low);
    auto high = classify_complexity(one_user(
        "Design a sharded key-value store, prove that its replication protocol is linearizable, and compare it "
        "with Raft; analyse the trade-offs of each design under a 10 ms latency budget."));
    CHECK(high.score >= kComplexityHighFrom);
    CHECK(high.tier == ComplexityTier::high);
    // Deterministic.
    CHECK(classify_complexity(one_user("hello")).score == low.score);
    CHECK(classify_complexity(one_user("hello")).features == low.features);
  }
}

TEST_CASE("complexity: odd shapes never throw") {
  SUBCASE("empty array, not an array, no user message: medium, score 0") {
    for (const json& messages : {json::array(), json(nullptr), json::object(), json("hi"), json(42),
                                 json::array({system_message("You are terse.")}),
                                 json::array({assistant("Hello! How can I help?")})}) {
      CAPTURE(messages.dump());
      ComplexityVerdict verdict;
      CHECK_NOTHROW(verdict = classify_complexity(messages));
      CHECK(verdict.tier == ComplexityTier::medium);
      CHECK(verdict.score == 0);
      CHECK(verdict.features.is_object());
    }
  }
  SUBCASE("messages that are not objects, roles and content of every wrong type") {
    json messages = json::array({
        42, "user", nullptr, json::array({1, 2}),
        {{"role", 7}, {"content", "x"}},
        {{"role", "user"}, {"content", 3.5}},
        {{"role", "user"}, {"content", {{"text", "an object"}}}},
        {{"role", "assistant"}, {"tool_calls", "not a list"}},
        {{"role", "user"},
         {"content", json::array({1, "text", nullptr, {{"type", 5}}, {{"type", "text"}, {"text", 9}},
                                  {{"type", "text"}}, {{"type", "text"}, {"text", "What is a monad?"}}})}},
    });
    ComplexityVerdict verdict;
    CHECK_NOTHROW(verdict = classify_complexity(messages));
    CHECK(feature(verdict, "user_turns") == 2);  // earlier user turns: 2 of the 3
    CHECK(feature(verdict, "length_tokens") == 4);  // "What is a monad?" only
  }
  SUBCASE("content parts: text parts joined, other parts are attachments") {
    json messages = json::array({{{"role", "user"},
                                  {"content", json::array({{{"type", "text"}, {"text", "Compare these two"}},
                                                           {{"type", "image_url"}, {"image_url", {{"url", "a"}}}},
                                                           {{"type", "file"}, {"file", {{"file_id", "f"}}}},
                                                           {{"type", "text"}, {"text", "designs."}}})}}});
    auto verdict = classify_complexity(messages);
    CHECK(feature(verdict, "attachments") == 2);
    CHECK(feature(verdict, "reasoning") == 2);
    // Only attachments, no text: still a request to judge.
    auto image_only = classify_complexity(json::array(
        {{{"role", "user"}, {"content", json::array({{{"type", "image_url"}, {"image_url", {{"url", "a"}}}}})}}}));
    CHECK(feature(image_only, "attachments") == 1);
    CHECK(image_only.score > 0);
  }
  SUBCASE("invalid UTF-8 bytes") {
    std::string bytes = "Prove \xff\xfe\xc3 that \xe2\x88 x \xed\xa0\x80 = y \xf4\x90\x80\x80";
    ComplexityVerdict verdict;
    CHECK_NOTHROW(verdict = classify_complexity(one_user(bytes)));
    CHECK(feature(verdict, "math") >= 3);
    CHECK_NOTHROW(static_cast<void>(verdict.features.dump()));
  }
  SUBCASE("a huge message is bounded and still judged") {
    std::string huge = "Prove the theorem below. ";
    while (huge.size() < 8u * 1024 * 1024) huge += "lorem ipsum dolor sit amet, consectetur adipiscing elit. ";
    huge += " Then compare it with the other design.";
    ComplexityVerdict verdict;
    CHECK_NOTHROW(verdict = classify_complexity(one_user(huge)));
    CHECK(feature(verdict, "length_tokens") == static_cast<int64_t>((huge.size() + 3) / 4));
    CHECK(feature(verdict, "math") >= 4);       // the start is scanned
    CHECK(feature(verdict, "reasoning") >= 3);  // and the end
    CHECK(verdict.tier == ComplexityTier::high);
  }
}

TEST_CASE("complexity: the router model's request") {
  SUBCASE("short, deterministic, one word asked for, the last user message as the user turn") {
    json messages = json::array({system_message("gateway instructions"), user("first question"), assistant("ok"),
                                 user("Design a cache for our API.")});
    ChatRequest request = complexity_request(messages, "small-model");
    CHECK(request.model == "small-model");
    CHECK_FALSE(request.stream);
    REQUIRE(request.sampling.temperature.has_value());
    CHECK(*request.sampling.temperature == 0.0);
    REQUIRE(request.sampling.max_tokens.has_value());
    CHECK(*request.sampling.max_tokens <= 16);
    REQUIRE(request.messages.size() == 2);
    CHECK(request.messages[0]["role"] == "system");
    std::string instruction = request.messages[0]["content"].get<std::string>();
    CHECK(instruction.find("exactly one word: low, medium or high") != std::string::npos);
    CHECK(request.messages[1] == user("Design a cache for our API."));
    CHECK(request.tools.empty());
  }
  SUBCASE("a long message is cut at a character boundary, saying how much was left out") {
    std::string text = std::string(kComplexityExcerptBytes - 1, 'a') + "\xc3\xa9" + std::string(5000, 'b');
    ChatRequest request = complexity_request(one_user(text), "m");
    std::string content = request.messages[1]["content"].get<std::string>();
    CHECK(content.substr(0, kComplexityExcerptBytes - 1) == std::string(kComplexityExcerptBytes - 1, 'a'));
    CHECK(content[kComplexityExcerptBytes - 1] == '\n');  // é did not fit whole, and is not split
    CHECK(content.find("5002 more bytes") != std::string::npos);
    CHECK(content.size() < kComplexityExcerptBytes + 100);
  }
  SUBCASE("content parts, attachments, invalid UTF-8, no user message") {
    json parts = json::array({{{"type", "text"}, {"text", "What is in"}},
                              {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/x.png"}}}},
                              {{"type", "text"}, {"text", "this picture?"}}});
    ChatRequest request = complexity_request(json::array({{{"role", "user"}, {"content", parts}}}), "m");
    std::string content = request.messages[1]["content"].get<std::string>();
    CHECK(content.find("What is in\nthis picture?") == 0);
    CHECK(content.find("1 attachment") != std::string::npos);

    ChatRequest invalid = complexity_request(one_user("bad \xff bytes \xe2\x88"), "m");
    std::string dumped;
    CHECK_NOTHROW(dumped = invalid.messages.dump());
    CHECK(invalid.messages[1]["content"] == "bad \xEF\xBF\xBD bytes \xEF\xBF\xBD\xEF\xBF\xBD");

    for (const json& messages : {json::array(), json(nullptr), json::array({system_message("s")})}) {
      ChatRequest empty = complexity_request(messages, "m");
      REQUIRE(empty.messages.size() == 2);
      CHECK(empty.messages[1]["content"] == "(The conversation has no user message.)");
    }
  }
}

TEST_CASE("complexity: reading the router model's answer") {
  CHECK(read_complexity_answer("High.") == ComplexityTier::high);
  CHECK(read_complexity_answer("the answer is low") == ComplexityTier::low);
  CHECK(read_complexity_answer("MEDIUM") == ComplexityTier::medium);
  CHECK(read_complexity_answer("**Medium**\n") == ComplexityTier::medium);
  CHECK(read_complexity_answer("  low ") == ComplexityTier::low);
  CHECK(read_complexity_answer("Complexity: high (multi-part design)") == ComplexityTier::high);
  CHECK_FALSE(read_complexity_answer("none of these").has_value());
  CHECK_FALSE(read_complexity_answer("").has_value());
  CHECK_FALSE(read_complexity_answer("highly unclear, below average").has_value());
  CHECK_FALSE(read_complexity_answer("\xff\xfe").has_value());
  // A reasoning model's thinking is skipped; only its answer counts.
  CHECK(read_complexity_answer("<think>low? no, it asks for a proof</think>high") == ComplexityTier::high);
  CHECK_FALSE(read_complexity_answer("<think>maybe low, maybe high").has_value());
  CHECK(read_complexity_answer("medium <think>or high</think>") == ComplexityTier::medium);
}
