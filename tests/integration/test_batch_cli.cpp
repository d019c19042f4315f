// Batch jobs end to end: `weir batch` against fake upstreams. A job of 2,000
// items killed with SIGKILL three times and resumed records and charges every
// item exactly once; answers that need healing, fail validation, are refused
// or keep failing land in the right states, and each retry mode moves exactly
// its items; error-stop pauses a job with its reason. A retried item is
// charged for every attempt; a run keeps within its gateway's
// concurrent_requests and stops when paused while waiting out a budget; on
// `weir serve`, a blocked batch holds no other back and a batch's requests
// are its creating key's.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

const json kLabelSchema = {{"type", "object"},
                           {"properties",
                            {{"n", {{"type", "integer"}}},
                             {"label", {{"type", "string"}, {"enum", {"even", "odd"}}}},
                             {"serial", {{"type", "integer"}}}}},
                           {"required", {"n", "label"}}};

// The last user message of an OpenAI request body.
std::string last_user_text(const json& body) {
  std::string text;
  if (!body.is_object() || !body.contains("messages")) return text;
  for (const auto& message : body["messages"])
    if (message.value("role", "") == "user" && message.contains("content") && message["content"].is_string())
      text = message["content"].get<std::string>();
  return text;
}

size_t user_messages(const json& body) {
  size_t count = 0;
  for (const auto& message : body.value("messages", json::array()))
    if (message.value("role", "") == "user") ++count;
  return count;
}

struct BatchFixture {
  FakeUpstream upstream;
  WeirHome home;

  BatchFixture() {
    // 10 prompt and 5 completion tokens a request: 10 * 1 + 5 * 2 = 20 micro-USD.
    std::ofstream(home.path() + "/prices.json") << R"({"fake-model": {"input": 1, "output": 2}})";
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "labeller", "--provider", "fake", "--model", "fake-model"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = home.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  json status(const std::string& job) { return json::parse(run_ok({"--json", "batch", "status", job}).out); }
  // Every item, by its input's "n" (or its input text).
  std::map<std::string, json> items(const std::string& job) {
    std::map<std::string, json> by_input;
    auto out = run_ok({"batch", "export", job, "--state", "all"}).out;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      json item = json::parse(out.substr(start, end - start));
      const json& input = item["input"];
      by_input[input.is_object() ? std::to_string(input["n"].get<int>()) : input.get<std::string>()] = item;
      start = end + 1;
    }
    return by_input;
  }
};

constexpr double kItemCost = 20e-6;

}  // namespace

TEST_CASE("a batch of 2,000 items killed three times with SIGKILL records and charges each item exactly once") {
  BatchFixture fixture;
  // Each answer names its item and the request it answers (its serial in
  // the fake's log), after a small latency so kills find items in flight.
  fixture.upstream.set_responder([](const RecordedRequest& request, size_t serial) {
    json input = json::parse(last_user_text(request.json_body));
    int n = input["n"].get<int>();
    json answer = {{"n", n}, {"label", n % 2 ? "odd" : "even"}, {"serial", serial}};
    auto response = ScriptedResponse::json_body(200, chat_completion(answer.dump(), "stop", 10, 5));
    response.latency = std::chrono::milliseconds(1);
    return response;
  });
  std::string lines;
  constexpr int kItems = 2000;
  for (int n = 0; n < kItems; ++n) lines += json{{"n", n}}.dump() + "\n";
  fixture.run_ok({"batch", "create", "tickets", "--gateway", "labeller", "--instructions", "Label the number.",
                  "--schema", fixture.write("label.schema.json", kLabelSchema.dump()), "--concurrency", "8"});
  auto added = fixture.run_ok({"batch", "add", "tickets", fixture.write("items.jsonl", lines)});
  CHECK(added.out == "added 2000 items\n");

  // Kill at three moments chosen by observed progress: the run's own JSON
  // lines say how many items are recorded.
  for (int finished : {300, 900, 1500}) {
    auto run = fixture.home.start({"--json", "batch", "run", "tickets"});
    REQUIRE(run->wait_for_output("\"finished\":" + std::to_string(finished) + ",", std::chrono::seconds(60)));
    run->send_signal(SIGKILL);
    CHECK(run->wait().exit_code == 128 + SIGKILL);
  }
  auto before_last = fixture.status("tickets");
  CHECK(before_last["items"]["finished"].get<int>() >= 1500);
  CHECK(before_last["items"]["finished"].get<int>() < kItems);
  auto last = fixture.run_ok({"--json", "batch", "run", "tickets"});
  CHECK(last.out.find("\"stopped\":\"completed\"") != std::string::npos);

  // What "exactly once" means here: every item has one recorded result, the
  // answer to a request that was sent for that item, and is charged once
  // (the job's cost is the sum of the items' costs, each one request's
  // price). The fake's log shows every item sent; an item may have been sent
  // twice only if it was in flight at a kill: at most 8 per kill, 24 in all.
  auto status = fixture.status("tickets");
  CHECK(status["state"] == "completed");
  CHECK(status["items"]["finished"] == kItems);
  CHECK(status["items"]["pending"] == 0);

  std::map<int, std::set<size_t>> serials_of_item;  // item n -> the requests sent for it
  auto requests = fixture.upstream.requests();
  for (size_t serial = 0; serial < requests.size(); ++serial)
    serials_of_item[json::parse(last_user_text(requests[serial].json_body))["n"].get<int>()].insert(serial);
  CHECK(serials_of_item.size() == static_cast<size_t>(kItems));
  int sent_twice = 0;
  for (const auto& [n, serials] : serials_of_item)
    if (serials.size() > 1) ++sent_twice;
  CHECK(sent_twice <= 3 * 8);
  CHECK(requests.size() <= static_cast<size_t>(kItems + 3 * 8));

  auto items = fixture.items("tickets");
  REQUIRE(items.size() == static_cast<size_t>(kItems));
  double sum = 0;
  for (const auto& [key, item] : items) {
    int n = std::stoi(key);
    CHECK(item["state"] == "finished");
    CHECK(item["output"]["n"] == n);
    CHECK(serials_of_item[n].count(item["output"]["serial"].get<size_t>()) == 1);
    CHECK(item["cost"].get<double>() == doctest::Approx(kItemCost).epsilon(1e-9));
    CHECK(item["attempts"].get<size_t>() >= serials_of_item[n].size());
    sum += item["cost"].get<double>();
  }
  CHECK(status["cost"].get<double>() == doctest::Approx(sum).epsilon(1e-9));
  CHECK(status["cost"].get<double>() == doctest::Approx(kItems * kItemCost).epsilon(1e-9));
}

TEST_CASE("batch items land in the state their answers earn, and each retry mode moves exactly its items") {
  BatchFixture fixture;
  fixture.run_ok({"provider", "add", "judge", "--base-url", fixture.upstream.base_url(), "--max-retries", "0"});
  // Items by their text: good answers well; heal answers badly first, then
  // well when asked again; invalid never matches the schema; refuse is
  // refused (OpenAI's message.refusal); broken fails upstream every time;
  // doubt answers well but the judge is not confident.
  fixture.upstream.set_responder([](const RecordedRequest& request, size_t) {
    const json& body = request.json_body;
    std::string text = last_user_text(body);
    bool judging = text.rfind("Input:\n", 0) == 0 || text.find("\nInput:\n") != std::string::npos;
    if (judging) {
      bool doubtful = text.find("Input:\ndoubt") != std::string::npos;
      json verdict = {{"valid", true}, {"confidence", doubtful ? 0.3 : 0.9}, {"reason", "looks right"}};
      return ScriptedResponse::json_body(200, chat_completion(verdict.dump()));
    }
    if (user_messages(body) > 1) {  // a healing round: the first user message is the item
      std::string item;
      for (const auto& message : body["messages"])
        if (message.value("role", "") == "user" && item.empty()) item = message["content"].get<std::string>();
      if (item == "heal") return ScriptedResponse::json_body(200, chat_completion(R"({"n": 2, "label": "even"})"));
      return ScriptedResponse::json_body(200, chat_completion(R"({"n": "not a number"})"));
    }
    if (text == "good" || text == "doubt")
      return ScriptedResponse::json_body(200, chat_completion(R"({"n": 1, "label": "odd"})"));
    if (text == "heal" || text == "invalid")
      return ScriptedResponse::json_body(200, chat_completion(R"({"n": 1, "label": "prime"})"));
    if (text == "refuse") {
      json completion = chat_completion("");
      completion["choices"][0]["message"] = {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help with that."}};
      return ScriptedResponse::json_body(200, completion);
    }
    return ScriptedResponse::json_body(500, {{"error", {{"message", "upstream exploded"}, {"type", "server_error"}}}});
  });
  fixture.run_ok({"batch", "create", "mixed", "--gateway", "labeller", "--schema",
                  fixture.write("label.schema.json", kLabelSchema.dump()), "--validate-with", "judge/fake-model",
                  "--validation-instructions", "The label must fit the number.", "--max-retries", "1",
                  "--error-stop", "0", "--concurrency", "2"});
  fixture.run_ok({"batch", "add", "mixed", fixture.write("items.txt", "good\nheal\ninvalid\nrefuse\nbroken\ndoubt\n"),
                  "--mode", "text"});
  fixture.run_ok({"batch", "run", "mixed"});

  auto states = [&] {
    std::map<std::string, std::string> by_item;
    for (const auto& [key, item] : fixture.items("mixed")) by_item[key] = item["state"].get<std::string>();
    return by_item;
  };
  auto items = fixture.items("mixed");
  CHECK(items["good"]["state"] == "finished");
  CHECK(items["good"]["confidence"] == 0.9);
  CHECK(items["good"]["output"] == json{{"n", 1}, {"label", "odd"}});
  CHECK(items["heal"]["state"] == "finished");
  CHECK(items["heal"]["output"] == json{{"n", 2}, {"label", "even"}});
  CHECK(items["invalid"]["state"] == "validation_error");
  CHECK(items["invalid"]["error"].get<std::string>().find("2 attempts") != std::string::npos);
  CHECK(items["invalid"]["cost"].get<double>() == doctest::Approx(2 * kItemCost));  // both attempts billed
  CHECK(items["refuse"]["state"] == "refused");
  CHECK_MESSAGE(items["refuse"]["error"].get<std::string>().find("I can't help with that.") != std::string::npos, items["refuse"].dump());
  CHECK(items["broken"]["state"] == "execution_error");
  CHECK(items["broken"]["attempts"] == 2);  // --max-retries 1
  CHECK(items["doubt"]["state"] == "finished");
  CHECK(items["doubt"]["confidence"] == 0.3);
  // The healed item cost its two attempts and the judge's answer.
  CHECK(items["heal"]["cost"].get<double>() == doctest::Approx(3 * kItemCost));
  auto status = fixture.status("mixed");
  CHECK(status["cost"].get<double>() == doctest::Approx(2 * 2 * kItemCost + 3 * kItemCost + 2 * kItemCost + kItemCost));

  auto retry = [&](const std::string& mode) {
    return json::parse(fixture.run_ok({"--json", "batch", "retry", "mixed", "--mode", mode}).out)["pending_again"];
  };
  using States = std::map<std::string, std::string>;
  CHECK(retry("validation-error") == 1);
  CHECK(states() == States{{"good", "finished"}, {"heal", "finished"}, {"invalid", "pending"},
                           {"refuse", "refused"}, {"broken", "execution_error"}, {"doubt", "finished"}});
  CHECK(retry("execution-error") == 1);
  CHECK(states() == States{{"good", "finished"}, {"heal", "finished"}, {"invalid", "pending"},
                           {"refuse", "refused"}, {"broken", "pending"}, {"doubt", "finished"}});
  CHECK(retry("low-confidence") == 1);
  CHECK(states() == States{{"good", "finished"}, {"heal", "finished"}, {"invalid", "pending"},
                           {"refuse", "refused"}, {"broken", "pending"}, {"doubt", "pending"}});
  CHECK(retry("errors") == 1);
  CHECK(states() == States{{"good", "finished"}, {"heal", "finished"}, {"invalid", "pending"},
                           {"refuse", "pending"}, {"broken", "pending"}, {"doubt", "pending"}});
  CHECK(retry("errors") == 0);

  // A finished export holds only the finished items, each with its answer.
  auto finished = fixture.run_ok({"batch", "export", "mixed"}).out;
  CHECK(std::count(finished.begin(), finished.end(), '\n') == 2);
}

TEST_CASE("error-stop pauses a batch job after that many failures in a row, and status says why") {
  BatchFixture fixture;
  fixture.upstream.set_default(
      ScriptedResponse::json_body(500, {{"error", {{"message", "upstream exploded"}, {"type", "server_error"}}}}));
  fixture.run_ok({"batch", "create", "doomed", "--gateway", "labeller", "--max-retries", "0", "--error-stop", "3",
                  "--concurrency", "1"});
  fixture.run_ok({"batch", "add", "doomed", fixture.write("items.txt", "a\nb\nc\nd\ne\n"), "--mode", "text"});
  auto run = fixture.home.run({"batch", "run", "doomed"});
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("paused after 3 failed items in a row") != std::string::npos);
  auto status = fixture.status("doomed");
  CHECK(status["state"] == "paused");
  CHECK(status["reason"].get<std::string>().find("upstream exploded") != std::string::npos);
  CHECK(status["items"]["execution_error"] == 3);
  CHECK(status["items"]["pending"] == 2);
  CHECK(fixture.upstream.request_count() == 3);
  // A paused job does not run until resumed.
  auto refused = fixture.home.run({"batch", "run", "doomed"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("weir batch resume doomed") != std::string::npos);
  fixture.run_ok({"batch", "resume", "doomed"});
  CHECK(fixture.status("doomed")["state"] == "ready");
}

TEST_CASE("batch add reports bad lines by number, lands the rest, and refuses folders in line mode") {
  BatchFixture fixture;
  fixture.run_ok({"batch", "create", "imports", "--gateway", "labeller"});
  auto result = fixture.home.run(
      {"batch", "add", "imports", fixture.write("items.jsonl", "{\"n\": 1}\n{broken\n\n{\"n\": 2}\n")});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "added 2 items, rejected 1\n");
  CHECK(result.err.find("line 2: not acceptable JSON") != std::string::npos);
  auto folder = fixture.home.run({"batch", "add", "imports", fixture.home.path(), "--mode", "lines"});
  CHECK(folder.exit_code == 2);
  CHECK(folder.err.find("--mode files") != std::string::npos);
  auto missing = fixture.home.run({"batch", "add", "nowhere", fixture.home.path()});
  CHECK(missing.exit_code == 3);
}

TEST_CASE("weir serve's Batch API refuses a bad input file by line, and writes failed requests to the error file") {
  BatchFixture fixture;
  fixture.upstream.set_responder([](const RecordedRequest& request, size_t) {
    if (last_user_text(request.json_body) == "fail")
      return ScriptedResponse::json_body(400, {{"error", {{"message", "the upstream refused this"}, {"type", "invalid_request_error"}}}});
    return ScriptedResponse::json_body(200, chat_completion("fine"));
  });
  ServeProcess serve(fixture.home);
  auto upload = [&](const std::string& content) {
    const std::string boundary = "weirtestboundary";
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
                       "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
    auto reply = http_request(serve.port(), "POST", "/v1/files", body,
                              {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
    auto file = body_json(reply);
    CHECK(file["object"] == "file");
    CHECK(file["bytes"] == content.size());
    return file["id"].get<std::string>();
  };
  auto line = [](const std::string& id, const std::string& text) {
    return json{{"custom_id", id}, {"method", "POST"}, {"url", "/v1/chat/completions"},
                {"body", {{"model", "labeller"}, {"messages", {{{"role", "user"}, {"content", text}}}}}}}.dump() + "\n";
  };
  auto create = [&](const std::string& file) {
    return http_request(serve.port(), "POST", "/v1/batches",
                        json{{"input_file_id", file}, {"endpoint", "/v1/chat/completions"}, {"completion_window", "24h"}}.dump(),
                        {{"Content-Type", "application/json"}});
  };

  auto bad = create(upload(line("a", "hello") + "{\"custom_id\": \"b\", \"method\": \"GET\"}\n" + line("a", "again")));
  CHECK(bad.status == 400);
  CHECK(body_json(bad)["error"]["message"].get<std::string>().find("2 bad line(s); line 2: \"method\" must be \"POST\"") !=
        std::string::npos);

  auto created = create(upload(line("good", "hello") + line("bad", "fail")));
  REQUIRE_MESSAGE(created.status == 200, created.body);
  std::string id = body_json(created)["id"].get<std::string>();
  // weir serve runs it in the background: wait for its two requests upstream,
  // then read the batch until its results are recorded.
  REQUIRE(fixture.upstream.wait_for_requests(2));
  json batch;
  for (int tries = 0; tries < 10000; ++tries) {
    batch = body_json(http_request(serve.port(), "GET", "/v1/batches/" + id));
    if (batch["status"] == "completed") break;
  }
  REQUIRE(batch["status"] == "completed");
  CHECK(batch["request_counts"] == json{{"total", 2}, {"completed", 1}, {"failed", 1}});
  auto output = http_request(serve.port(), "GET", "/v1/files/" + batch["output_file_id"].get<std::string>() + "/content");
  auto good = json::parse(output.body);
  CHECK(good["custom_id"] == "good");
  CHECK(good["response"]["body"]["choices"][0]["message"]["content"] == "fine");
  auto errors = http_request(serve.port(), "GET", "/v1/files/" + batch["error_file_id"].get<std::string>() + "/content");
  auto failed = json::parse(errors.body);
  CHECK(failed["custom_id"] == "bad");
  CHECK(failed["response"]["status_code"].get<int>() >= 400);
  CHECK(failed["response"]["body"]["error"]["message"].get<std::string>().find("the upstream refused this") != std::string::npos);
  CHECK(http_request(serve.port(), "GET", "/v1/batches/batch_nope").status == 404);
}

TEST_CASE("a batch backs off when the upstream answers 429 and sends the item again without counting the attempt") {
  BatchFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      429, {{"error", {{"message", "slow down"}, {"type", "rate_limit_error"}}}}, {{"Retry-After", "1"}}));
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion(R"({"n": 1, "label": "odd"})")));
  fixture.run_ok({"batch", "create", "patient", "--gateway", "labeller", "--schema",
                  fixture.write("label.schema.json", kLabelSchema.dump()), "--max-retries", "0", "--concurrency", "1"});
  fixture.run_ok({"batch", "add", "patient", fixture.write("items.txt", "first\nsecond\n"), "--mode", "text"});
  fixture.run_ok({"batch", "run", "patient"});
  auto items = fixture.items("patient");
  CHECK(items["first"]["state"] == "finished");
  CHECK(items["first"]["attempts"] == 1);  // the 429 was not the item's fault
  CHECK(items["second"]["state"] == "finished");
  CHECK(fixture.upstream.request_count() == 3);
}

TEST_CASE("a retried item is charged for every attempt it consumed, and so is its job") {
  BatchFixture fixture;
  fixture.run_ok({"provider", "add", "judge", "--base-url", fixture.upstream.base_url(), "--max-retries", "0"});
  // The answer is billed, then the judge fails upstream: the item is tried
  // again, and its second answer and verdict are billed too.
  std::atomic<int> verdicts{0};
  fixture.upstream.set_responder([&verdicts](const RecordedRequest& request, size_t) {
    std::string text = last_user_text(request.json_body);
    if (text.find("Input:\n") != std::string::npos) {
      if (verdicts++ == 0)
        return ScriptedResponse::json_body(500, {{"error", {{"message", "judge down"}, {"type", "server_error"}}}});
      return ScriptedResponse::json_body(200, chat_completion(R"({"valid": true, "confidence": 0.8})"));
    }
    return ScriptedResponse::json_body(200, chat_completion(R"({"n": 1, "label": "odd"})"));
  });
  fixture.run_ok({"batch", "create", "retried", "--gateway", "labeller", "--schema",
                  fixture.write("label.schema.json", kLabelSchema.dump()), "--validate-with", "judge/fake-model",
                  "--max-retries", "1", "--concurrency", "1"});
  fixture.run_ok({"batch", "add", "retried", fixture.write("items.txt", "only\n"), "--mode", "text"});
  fixture.run_ok({"batch", "run", "retried"});
  auto item = fixture.items("retried")["only"];
  CHECK(item["state"] == "finished");
  CHECK(item["attempts"] == 2);
  CHECK(fixture.upstream.request_count() == 4);
  CHECK(item["cost"].get<double>() == doctest::Approx(3 * kItemCost));  // two answers and a verdict
  CHECK(fixture.status("retried")["cost"].get<double>() == doctest::Approx(3 * kItemCost));
}

namespace {

// The Batch API of one `weir serve`: upload, create, read, cancel.
struct BatchApi {
  ServeProcess& serve;
  std::vector<std::pair<std::string, std::string>> auth;

  std::string upload(const std::string& content) {
    const std::string boundary = "weirtestboundary";
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" +
                       boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\r\n" +
                       content + "\r\n--" + boundary + "--\r\n";
    auto headers = auth;
    headers.push_back({"Content-Type", "multipart/form-data; boundary=" + boundary});
    auto reply = http_request(serve.port(), "POST", "/v1/files", body, headers);
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
    return body_json(reply)["id"].get<std::string>();
  }
  static std::string line(const std::string& id, const std::string& model, const std::string& text) {
    return json{{"custom_id", id}, {"method", "POST"}, {"url", "/v1/chat/completions"},
                {"body", {{"model", model}, {"messages", {{{"role", "user"}, {"content", text}}}}}}}.dump() + "\n";
  }
  std::string create(const std::string& content) {
    auto headers = auth;
    headers.push_back({"Content-Type", "application/json"});
    auto reply = http_request(serve.port(), "POST", "/v1/batches",
                              json{{"input_file_id", upload(content)}, {"endpoint", "/v1/chat/completions"},
                                   {"completion_window", "24h"}}.dump(),
                              headers);
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
    return body_json(reply)["id"].get<std::string>();
  }
  json get(const std::string& id) { return body_json(http_request(serve.port(), "GET", "/v1/batches/" + id, "", auth)); }
  // Reads the batch until it has `status` (the requests upstream were awaited first).
  json until(const std::string& id, const std::string& status) {
    json batch;
    for (int tries = 0; tries < 10000; ++tries) {
      batch = get(id);
      if (batch["status"] == status) break;
    }
    return batch;
  }
  json cancel(const std::string& id) {
    return body_json(http_request(serve.port(), "POST", "/v1/batches/" + id + "/cancel", "", auth));
  }
};

}  // namespace

TEST_CASE("on weir serve, a batch waiting out a spent budget holds no other batch back, and cancel stops it") {
  BatchFixture fixture;
  // A budget of $0 a day is spent before anything is asked: every request
  // through "spent" is refused 429 until the day ends, and again after.
  fixture.run_ok({"gateway", "create", "spent", "--provider", "fake", "--model", "fake-model", "--budget-day", "0"});
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("fine")));
  ServeProcess serve(fixture.home);
  BatchApi api{serve, {}};
  std::string blocked = api.create(BatchApi::line("a", "spent", "waits"));
  std::string free = api.create(BatchApi::line("b", "labeller", "runs"));
  REQUIRE(fixture.upstream.wait_for_requests(1));
  auto done = api.until(free, "completed");
  CHECK(done["status"] == "completed");
  CHECK(done["request_counts"]["completed"] == 1);
  CHECK(api.get(blocked)["status"] == "in_progress");
  CHECK(fixture.upstream.request_count() == 1);  // the spent gateway's request never left

  auto cancelled = api.cancel(blocked);
  CHECK(cancelled["status"] == "cancelled");
  // The service is free again at once: a new batch runs.
  std::string after = api.create(BatchApi::line("c", "labeller", "after"));
  REQUIRE(fixture.upstream.wait_for_requests(2));
  CHECK(api.until(after, "completed")["status"] == "completed");
}

TEST_CASE("a Batch API batch's requests count against the limits of the API key that created it") {
  BatchFixture fixture;
  auto key = json::parse(fixture.run_ok({"key", "create", "batcher", "--limit-rpd", "1", "--json"}).out);
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("fine")));
  ServeProcess serve(fixture.home);
  BatchApi api{serve, {{"Authorization", "Bearer " + key["key"].get<std::string>()}}};
  std::string id = api.create(BatchApi::line("only", "labeller", "hello"));
  REQUIRE(fixture.upstream.wait_for_requests(1));
  CHECK(api.until(id, "completed")["status"] == "completed");
  // The key's one request of the day went to the batch: the next is refused.
  auto headers = api.auth;
  headers.push_back({"Content-Type", "application/json"});
  auto direct = http_request(serve.port(), "POST", "/v1/chat/completions",
                             json{{"model", "labeller"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}.dump(),
                             headers);
  CHECK(direct.status == 429);
  CHECK(direct.body.find("API key 'batcher'") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 1);
}

TEST_CASE("a batch runs no more items at once than its gateway's concurrent_requests, so none is refused") {
  BatchFixture fixture;
  fixture.run_ok({"gateway", "create", "narrow", "--provider", "fake", "--model", "fake-model", "--limit-concurrent", "2"});
  auto answer = ScriptedResponse::json_body(200, chat_completion(R"({"n": 1, "label": "odd"})"));
  answer.latency = std::chrono::milliseconds(20);
  fixture.upstream.set_default(answer);
  fixture.run_ok({"batch", "create", "bounded", "--gateway", "narrow", "--schema",
                  fixture.write("label.schema.json", kLabelSchema.dump()), "--concurrency", "8"});
  std::string lines;
  for (int index = 0; index < 8; ++index) lines += "item " + std::to_string(index) + "\n";
  fixture.run_ok({"batch", "add", "bounded", fixture.write("items.txt", lines), "--mode", "text"});
  fixture.run_ok({"batch", "run", "bounded"});
  CHECK(fixture.status("bounded")["items"]["finished"] == 8);
  // Every request the log holds was answered: the limit never had to refuse one.
  auto logged = json::parse(fixture.run_ok({"logs", "--json", "--limit", "1000"}).out);
  CHECK(logged.size() == 8);
  for (const auto& row : logged) CHECK_MESSAGE(row.value("status", "") == "ok", row.dump());
}

TEST_CASE("a batch run waiting out a spent budget stops as soon as the job is paused from another process") {
  BatchFixture fixture;
  fixture.run_ok({"gateway", "create", "spent", "--provider", "fake", "--model", "fake-model", "--budget-day", "0"});
  fixture.run_ok({"batch", "create", "stuck", "--gateway", "spent", "--concurrency", "2"});
  fixture.run_ok({"batch", "add", "stuck", fixture.write("items.txt", "one\n"), "--mode", "text"});
  auto run = fixture.home.start({"--json", "batch", "run", "stuck"});
  // The refusal is in the request log: the run now waits until the budget's day ends.
  REQUIRE(wait_for_store(fixture.home.path(), [&] {
    return json::parse(fixture.run_ok({"logs", "--json", "--limit", "10"}).out).size() >= 1;
  }));
  fixture.run_ok({"batch", "pause", "stuck"});
  auto stopped = run->wait(std::chrono::seconds(20));
  CHECK(stopped.out.find("\"stopped\":\"paused\"") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 0);
  CHECK(fixture.status("stuck")["items"]["pending"] == 1);
}

TEST_CASE("batch add FILE.zip adds its text files; a zip bomb is exit 2 and adds nothing") {
  BatchFixture fixture;
  fixture.run_ok({"batch", "create", "zipped", "--gateway", "labeller"});
  const std::string data = std::string(WEIR_SOURCE_DIR) + "/tests/data/zip/";
  CHECK(fixture.run_ok({"batch", "add", "zipped", data + "tickets.zip"}).out == "added 2 items, skipped 1 binary\n");
  for (const char* bomb : {"bomb_total.zip", "bomb_lying.zip", "nested.zip"}) {
    auto refused = fixture.home.run({"batch", "add", "zipped", data + bomb});
    CHECK_MESSAGE(refused.exit_code == 2, bomb);
    CHECK_MESSAGE(refused.err.find("nothing was added") != std::string::npos, refused.err);
  }
  CHECK(fixture.status("zipped")["items"]["pending"] == 2);
  std::set<std::string> sources;
  for (const auto& [input, item] : fixture.items("zipped")) sources.insert(item["source"].get<std::string>());
  CHECK(sources == std::set<std::string>{"first.txt", "inbox/second.md"});
}

TEST_CASE("a Batch API item that asks to stream is sent whole, and a model refusal of it lands as refused") {
  BatchFixture fixture;
  json refusal = chat_completion("");
  refusal["choices"][0]["message"] = {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help with that."}};
  fixture.upstream.set_default(ScriptedResponse::json_body(200, refusal));
  ServeProcess serve(fixture.home);
  BatchApi api{serve, {}};
  json body = {{"model", "labeller"},
               {"stream", true},
               {"messages", {{{"role", "user"}, {"content", "label this"}}}},
               {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "label"}, {"schema", kLabelSchema}}}}}};
  std::string id = api.create(json{{"custom_id", "streamed"}, {"method", "POST"}, {"url", "/v1/chat/completions"},
                                   {"body", body}}.dump() + "\n");
  REQUIRE(fixture.upstream.wait_for_requests(1));
  auto batch = api.until(id, "completed");
  REQUIRE(batch["status"] == "completed");
  CHECK(batch["request_counts"]["failed"] == 1);
  CHECK(fixture.upstream.requests()[0].json_body.value("stream", false) == false);
  auto errors = http_request(serve.port(), "GET", "/v1/files/" + batch["error_file_id"].get<std::string>() + "/content");
  auto line = json::parse(errors.body);
  CHECK(line["custom_id"] == "streamed");
  CHECK(line["response"]["body"]["error"]["code"] == "model_refused");
  // The job behind the batch recorded the item as refused, not as an execution error.
  auto jobs = json::parse(fixture.run_ok({"--json", "batch", "list"}).out);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["items"]["refused"] == 1);
}
