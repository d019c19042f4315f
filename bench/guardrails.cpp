// Guardrails' own cost, in process (issue 17): Engine::run through a gateway
// with five guards (regex, PII mask, words, length, JSON schema) beside the
// same gateway without them, on an adapter that answers instantly (no HTTP),
// at 4 KB prompts holding an email, a card and a key to mask. Measured
// non-streamed (the whole run) and streamed (time to the first content delta
// the caller sees; the answer is a few chunks, so the output window holds it
// to the end). Interleaved batches, medians of batch medians, as
// bench/routing.cpp. Also times the pathological `(a+)+$` over 100 KB of a's
// (RE2: one linear pass). Prints JSON.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/temporary_directory.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/resolved_targets.hpp"
#include "core/policy/guardrails.hpp"
#include "core/policy/pii_kinds.hpp"
#include "core/store/database.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/provider_repository.hpp"
#include "core/store/request_log_writer.hpp"

using namespace weir;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Answers a small JSON object in three chunks, repeating a placeholder.
class InstantAdapter final : public Provider {
 public:
  ProviderCapabilities capabilities() const override { return {}; }
  Completion chat(const ChatRequest&, const DeltaCallback& on_delta, const CancelToken&) override {
    Completion completion;
    for (const char* part : {"{\"answer\": \"I wrote to ", "[EMAIL_1] about it", "\"}"}) {
      StreamDelta delta;
      delta.content = part;
      completion.apply(delta);
      on_delta(delta);
    }
    StreamDelta end;
    end.finish_reason = "stop";
    end.usage = Usage{900, 12, 0, 0, 0};
    completion.apply(end);
    on_delta(end);
    return completion;
  }
  json describe_request(const ChatRequest&) const override { return json::object(); }
  std::vector<std::string> models(const CancelToken&) override { return {}; }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    return {};
  }
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// About 4 KB of ordinary prose with an email, a card number and a key in it.
std::string prompt_4k() {
  std::string text = "Hello, I am bob@example.com and my card is 4111 1111 1111 1111; the key is AKIAIOSFODNN7EXAMPLE. ";
  const std::string filler =
      "The quarterly report covers revenue, churn and the hiring plan for the next two quarters of the year. ";
  while (text.size() < 4096 - filler.size()) text += filler;
  return text;
}

json five_guards() {
  return json::array(
      {{{"name", "ticket"}, {"type", "regex"}, {"patterns", {"INC-[0-9]{6}", "(?i)password\\s*[:=]"}}},
       {{"name", "pii"}, {"type", "pii"}, {"action", "mask"}},
       {{"name", "words"}, {"type", "words"}, {"words", {"darn", "heck", "confidential-x"}}},
       {{"name", "length"}, {"type", "length"}, {"max_characters", 16000}},
       {{"name", "shape"}, {"type", "json_schema"}, {"on", "output"},
        {"schema", {{"type", "object"}, {"required", {"answer"}}}}}});
}

}  // namespace

int main(int argc, char** argv) {
  int batches = 30, per_batch = 300;
  for (int index = 1; index + 1 < argc; index += 2) {
    std::string flag = argv[index];
    if (flag == "--batches") batches = std::stoi(argv[index + 1]);
    if (flag == "--requests-per-batch") per_batch = std::stoi(argv[index + 1]);
  }
  weir::bench::TemporaryDirectory work("guardrails");
  Paths paths = resolve_paths(work.path());
  Database database(paths.database);
  ProviderConfig provider;
  provider.name = "instant";
  provider.base_url = "http://127.0.0.1:9/v1";
  ProviderRepository(database).save(provider);
  GatewayRepository gateways(database);
  gateways.create("plain", GatewayConfig::from_json({{"provider", "instant"}, {"model", "m"}}));
  gateways.create("guarded",
                  GatewayConfig::from_json({{"provider", "instant"}, {"model", "m"}, {"guardrails", five_guards()}}));

  DatabasePool pool(paths);
  RequestLogWriter log_writer(pool);
  EngineOptions options;
  options.log_writer = &log_writer;
  ResolvedTargets resolved_targets;  // as weir serve keeps them: guards compiled once
  options.resolved_targets = &resolved_targets;
  options.providers = [](const ProviderConfig&) -> std::unique_ptr<Provider> {
    return std::make_unique<InstantAdapter>();
  };
  auto lease = pool.acquire();
  Engine engine(*lease, paths, options);
  const std::string prompt = prompt_4k();

  // Returns {whole run, time to the first content delta} in microseconds.
  auto run = [&](const std::string& gateway, bool stream) {
    ChatInput input;
    input.target = gateway;
    input.messages = json::array({{{"role", "user"}, {"content", prompt}}});
    input.stream = stream;
    input.front_door = "http";
    auto start = Clock::now();
    double first = -1;
    auto result = engine.run(
        std::move(input),
        [&](const StreamDelta& delta) {
          if (first < 0 && !delta.content.empty())
            first = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        },
        CancelToken());
    auto size = result.response.dump().size();  // what a front door does with it
    double whole = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    return std::pair<double, double>(whole + static_cast<double>(size == 0), first);
  };

  std::map<std::string, std::vector<double>> batch_medians;
  for (const std::string name : {"plain", "guarded"})
    for (int warm = 0; warm < 100; ++warm) run(name, true);
  for (int batch = 0; batch < batches; ++batch)
    for (const std::string name : {"plain", "guarded"}) {
      std::vector<double> whole, first;
      for (int request = 0; request < per_batch; ++request) {
        whole.push_back(run(name, false).first);
        first.push_back(run(name, true).second);
      }
      batch_medians[name + "_whole"].push_back(median(whole));
      batch_medians[name + "_first"].push_back(median(first));
      log_writer.flush();
    }

  // The pathological pattern: exponential for a backtracking engine.
  auto pathological = GuardSet::compile(json::array({{{"type", "regex"}, {"patterns", "(a+)+$"}}}));
  const std::string as(100 * 1024, 'a');
  std::vector<double> pathological_ms;
  for (int repeat = 0; repeat < 20; ++repeat) {
    auto start = Clock::now();
    auto matches = pathological->guards()[0].find(as);
    pathological_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count() +
                              (matches.size() == 1 ? 0 : 1e9));
  }

  // Each guard's scan of the 4 KB prompt alone (and each pii kind's), to see where the time goes.
  json per_guard = json::object();
  auto guarded = GuardSet::compile(five_guards());
  auto time_scan = [&](const std::function<void()>& scan) {
    std::vector<double> micros;
    for (int repeat = 0; repeat < 2000; ++repeat) {
      auto start = Clock::now();
      scan();
      micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    return median(micros);
  };
  for (const auto& guard : guarded->guards())
    per_guard[guard.name()] = time_scan([&] {
      if (guard.scans_text()) (void)guard.find(prompt);
      else if (guard.type() == GuardType::length) (void)guard.over_length(prompt);
    });
  for (size_t kind = 0; kind < pii_kinds().size(); ++kind) {
    PiiScanner alone({kind});
    per_guard["pii." + std::string(pii_kinds()[kind].name)] = time_scan([&] { (void)alone.find(prompt); });
  }

  auto value = [&](const std::string& key) { return median(batch_medians[key]); };
  json report = {
      {"benchmark", "guardrails"},
      {"description", "Engine::run in process, instant adapter, 4 KB prompt; five guards (regex, pii mask, words, "
                      "length, json_schema) vs none; median of " + std::to_string(batches) +
                          " interleaved batch medians of " + std::to_string(per_batch) + " requests"},
      {"plain_non_streamed_us", value("plain_whole")},
      {"guarded_non_streamed_us", value("guarded_whole")},
      {"added_non_streamed_us", value("guarded_whole") - value("plain_whole")},
      {"plain_first_token_us", value("plain_first")},
      {"guarded_first_token_us", value("guarded_first")},
      {"added_first_token_us", value("guarded_first") - value("plain_first")},
      {"goal_added_us_p50", 100},
      {"pathological_regex_100kb_ms", median(pathological_ms)},
      {"goal_pathological_ms", 50},
      {"scan_of_4kb_prompt_us", per_guard}};
  std::cout << report.dump(2) << '\n';
  return 0;
}
