// Routing's own cost, in process: Engine::run through a plain gateway, a
// fallback gateway whose first target is healthy, and one whose first target
// fails at once, all on an adapter that answers instantly (no HTTP), so what
// is measured is weir's per-request work and nothing else. Interleaved
// batches, medians of batch medians; prints JSON. bench/serve measures the
// same over HTTP, where a few microseconds drown in the loopback's noise.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/temporary_directory.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/resolved_targets.hpp"
#include "core/error.hpp"
#include "core/net/http_client.hpp"
#include "core/store/database.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/provider_repository.hpp"
#include "core/store/request_log_writer.hpp"

using namespace weir;
using json = nlohmann::json;

namespace {

class InstantAdapter final : public Provider {
 public:
  explicit InstantAdapter(bool refuses) : refuses_(refuses) {}
  ProviderCapabilities capabilities() const override { return {}; }
  Completion chat(const ChatRequest&, const DeltaCallback& on_delta, const CancelToken&) override {
    if (refuses_) throw HttpConnectionError(ErrorKind::upstream, "connection refused");
    StreamDelta delta;
    delta.content = "Hello!";
    delta.finish_reason = "stop";
    delta.usage = Usage{9, 2, 0, 0, 0};
    on_delta(delta);
    Completion completion;
    completion.apply(delta);
    return completion;
  }
  json describe_request(const ChatRequest&) const override { return json::object(); }
  std::vector<std::string> models(const CancelToken&) override { return {}; }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    return {};
  }

 private:
  bool refuses_;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int batches = 30, per_batch = 400;
  std::vector<std::string> names = {"plain", "routed", "failover"};
  for (int index = 1; index + 1 < argc; index += 2) {
    std::string flag = argv[index];
    if (flag == "--only") names = {argv[index + 1]};  // for a profiler
    if (flag == "--batches") batches = std::stoi(argv[index + 1]);
    if (flag == "--requests-per-batch") per_batch = std::stoi(argv[index + 1]);
  }
  weir::bench::TemporaryDirectory work("routing");
  Paths paths = resolve_paths(work.path());
  Database database(paths.database);
  for (const char* name : {"healthy", "healthy-again", "refusing"}) {
    ProviderConfig provider;
    provider.name = name;
    provider.base_url = "http://127.0.0.1:9/v1";
    ProviderRepository(database).save(provider);
  }
  GatewayRepository gateways(database);
  gateways.create("plain", GatewayConfig::from_json({{"provider", "healthy"}, {"model", "m"}}));
  auto target = [](const char* provider) { return json{{"provider", provider}, {"model", "m"}}; };
  gateways.create("routed", GatewayConfig::from_json(
                                {{"routing", {{"targets", {target("healthy"), target("healthy-again")}}}}}));
  gateways.create("failover",
                  GatewayConfig::from_json({{"routing",
                                             {{"targets", {target("refusing"), target("healthy")}},
                                              {"breaker_failures", 0}}}}));

  DatabasePool pool(paths);
  RequestLogWriter log_writer(pool);
  EngineOptions options;
  options.log_writer = &log_writer;
  ResolvedTargets resolved_targets;  // as weir serve keeps them
  options.resolved_targets = &resolved_targets;
  options.providers = [](const ProviderConfig& config) -> std::unique_ptr<Provider> {
    return std::make_unique<InstantAdapter>(config.name == "refusing");
  };
  // A request's store connection, as weir serve leases it (no mmap).
  auto lease = pool.acquire();
  Engine engine(*lease, paths, options);
  auto run = [&](const std::string& gateway) {
    ChatInput input;
    input.target = gateway;
    input.messages = json::array({{{"role", "user"}, {"content", "Say hello."}}});
    input.stream = false;
    input.front_door = "http";
    auto result = engine.run(std::move(input), [](const StreamDelta&) {}, CancelToken());
    return result.response.dump().size();  // what a front door does with it
  };

  std::map<std::string, std::vector<double>> batch_medians;
  for (const auto& name : names)
    for (int warm = 0; warm < 200; ++warm) run(name);
  for (int batch = 0; batch < batches; ++batch)
    for (const auto& name : names) {
      std::vector<double> micros;
      micros.reserve(static_cast<size_t>(per_batch));
      for (int request = 0; request < per_batch; ++request) {
        auto start = std::chrono::steady_clock::now();
        run(name);
        micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      }
      batch_medians[name].push_back(median(micros));
      log_writer.flush();
    }
  if (names.size() == 1) {
    std::cout << json{{names[0] + "_us", median(batch_medians[names[0]])}}.dump() << '\n';
    return 0;
  }
  double plain = median(batch_medians["plain"]);
  json report = {{"benchmark", "routing"},
                 {"description", "Engine::run per request in process, instant adapters; median of " +
                                     std::to_string(batches) + " interleaved batch medians of " +
                                     std::to_string(per_batch) + " requests"},
                 {"plain_us", plain},
                 {"routed_healthy_first_us", median(batch_medians["routed"])},
                 {"routed_first_refusing_us", median(batch_medians["failover"])},
                 {"routing_added_us", median(batch_medians["routed"]) - plain},
                 {"failover_added_us", median(batch_medians["failover"]) - plain}};
  std::cout << report.dump(2) << '\n';
  return 0;
}
