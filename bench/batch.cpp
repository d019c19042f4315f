// Batch throughput (issue 20): `run_batch` (core/batch/batch_runner.hpp, what
// `weir batch run` calls) against a fake OpenAI upstream that answers each
// request after a fixed latency. With latency L and concurrency C the bound is
// C / L items per second; the report gives each level's throughput and its
// ratio to that bound, and weir's own time per item: at concurrency 1, the
// time per item minus the latency, and with no latency at all (the local
// HTTP round trip, the claim and result transactions, the engine and the
// request log row).
//
// Usage: weir_bench_batch [--weir PATH] [--latency-ms 200] [--seconds 2] [--levels 1,8,64]
// Prints one JSON document.
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/process_timing.hpp"
#include "bench/temporary_directory.hpp"
#include "core/batch/batch_runner.hpp"
#include "core/store/batch_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/paths.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using weir::bench::json;

// A chat-completions upstream with `latency` before each answer and enough
// threads that it is never the bottleneck.
class SlowUpstream {
 public:
  explicit SlowUpstream(std::chrono::milliseconds latency) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(256); };
    // httplib writes the head and the body apart: without TCP_NODELAY, Nagle
    // holds the body until the client's delayed ACK (up to 40 ms), which
    // would be timed as weir's.
    server_.set_tcp_nodelay(true);
    server_.Post("/v1/chat/completions", [latency](const httplib::Request&, httplib::Response& response) {
      if (latency.count() > 0) std::this_thread::sleep_for(latency);
      nlohmann::json body = {
          {"id", "chatcmpl-bench"}, {"object", "chat.completion"}, {"created", 1700000000}, {"model", "fake-model"},
          {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", R"({"label": "ok"})"}}}, {"finish_reason", "stop"}}}},
          {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}};
      response.set_content(body.dump(), "application/json");
    });
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& response) { response.set_content("ready", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens: an answer proves the accept loop runs.
    httplib::Client probe("127.0.0.1", port_);
    if (!probe.Get("/ready")) throw std::runtime_error("the slow upstream did not start");
  }
  ~SlowUpstream() {
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

void run_or_die(const std::vector<std::string>& arguments) {
  auto run = weir::bench::run_capturing(arguments);
  if (run.exit_code != 0) {
    std::cerr << "weir_bench_batch: setup failed: " << run.standard_error;
    std::exit(1);
  }
}

struct Level {
  int concurrency;
  int items;
  double seconds;
};

// A job of `items` items at `concurrency`, run to the end; its wall time.
Level run_level(const std::string& weir, const std::string& home, int concurrency, int items,
                const std::string& name) {
  run_or_die({weir, "--home", home, "-q", "batch", "create", name, "--gateway", "bench", "--schema",
              R"({"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]})",
              "--concurrency", std::to_string(concurrency), "--error-stop", "0"});
  auto paths = weir::resolve_paths(home);
  {
    weir::Database database(paths.database);
    weir::BatchRepository jobs(database);
    std::vector<weir::BatchInput> inputs;
    for (int index = 0; index < items; ++index) inputs.push_back({"bench:" + std::to_string(index), "item " + std::to_string(index)});
    jobs.add_items(jobs.get(name).id, inputs);
  }
  auto start = Clock::now();
  auto result = weir::run_batch(paths, name, {});
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (result.counts.finished != items) {
    std::cerr << "weir_bench_batch: " << name << " finished " << result.counts.finished << " of " << items << '\n';
    std::exit(1);
  }
  return {concurrency, items, seconds};
}

std::vector<int> parse_levels(const std::string& text) {
  std::vector<int> levels;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) levels.push_back(std::stoi(part));
  return levels;
}

}  // namespace

int main(int argc, char** argv) {
  std::string weir = WEIR_BENCH_DEFAULT_BINARY;
  int latency_ms = 200;
  double seconds = 2;
  std::string levels_text = "1,8,64";
  for (int index = 1; index < argc; ++index) {
    std::string flag = argv[index];
    auto value = [&]() -> std::string {
      if (index + 1 >= argc) {
        std::cerr << "weir_bench_batch: " << flag << " needs a value\n";
        std::exit(2);
      }
      return argv[++index];
    };
    if (flag == "--weir") weir = value();
    else if (flag == "--latency-ms") latency_ms = std::stoi(value());
    else if (flag == "--seconds") seconds = std::stod(value());
    else if (flag == "--levels") levels_text = value();
    else {
      std::cerr << "usage: weir_bench_batch [--weir PATH] [--latency-ms 200] [--seconds 2] [--levels 1,8,64]\n";
      return flag == "--help" ? 0 : 2;
    }
  }

  weir::bench::TemporaryDirectory home("batch");
  SlowUpstream slow(std::chrono::milliseconds{latency_ms});
  SlowUpstream fast(std::chrono::milliseconds{0});
  run_or_die({weir, "--home", home.path(), "-q", "provider", "add", "slow", "--base-url", slow.base_url(), "--max-retries", "0"});
  run_or_die({weir, "--home", home.path(), "-q", "provider", "add", "fast", "--base-url", fast.base_url(), "--max-retries", "0"});
  run_or_die({weir, "--home", home.path(), "-q", "gateway", "create", "bench", "--provider", "slow", "--model", "fake-model"});

  json report = {{"benchmark", "batch"}, {"latency_ms", latency_ms}, {"levels", json::array()}};
  double overhead_ms = 0;
  for (int concurrency : parse_levels(levels_text)) {
    int items = std::max(1, static_cast<int>(concurrency * seconds * 1000 / latency_ms));
    auto level = run_level(weir, home.path(), concurrency, items, "c" + std::to_string(concurrency));
    double throughput = level.items / level.seconds;
    double bound = concurrency * 1000.0 / latency_ms;
    report["levels"].push_back({{"concurrency", concurrency},
                                {"items", items},
                                {"seconds", level.seconds},
                                {"items_per_second", throughput},
                                {"bound_items_per_second", bound},
                                {"ratio_to_bound", throughput / bound}});
    if (concurrency == 1) overhead_ms = level.seconds * 1000 / items - latency_ms;
  }
  report["overhead_per_item_ms_at_concurrency_1"] = overhead_ms;

  // No latency: what one item costs weir end to end, one at a time.
  run_or_die({weir, "--home", home.path(), "-q", "gateway", "create", "bench-fast", "--provider", "fast", "--model", "fake-model"});
  {
    // The job's gateway is "bench": point a job at the fast upstream instead.
    auto paths = weir::resolve_paths(home.path());
    weir::Database database(paths.database);
    weir::BatchSettings settings;
    settings.gateway = "bench-fast";
    settings.schema = {{"type", "object"}};
    settings.concurrency = 1;
    settings.error_stop = 0;
    weir::BatchRepository jobs(database);
    auto job = jobs.create("fast", settings);
    std::vector<weir::BatchInput> inputs;
    for (int index = 0; index < 300; ++index) inputs.push_back({"bench:" + std::to_string(index), "item"});
    jobs.add_items(job.id, inputs);
  }
  auto start = Clock::now();
  auto result = weir::run_batch(weir::resolve_paths(home.path()), "fast", {});
  double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  report["zero_latency_ms_per_item_at_concurrency_1"] = elapsed / static_cast<double>(result.counts.finished);
  std::cout << report.dump(2) << '\n';
  return 0;
}
