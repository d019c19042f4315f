// weir_bench_mcp: `weir mcp serve` as an MCP client meets it.
//
//  1. Handshake: spawn the server, send `initialize`, stop the clock when the
//     reply line arrives (then close stdin and reap, untimed). Beside it, in
//     the same run and round-robin, the reference server
//     `@modelcontextprotocol/server-everything` (npm, tests/peers) doing the
//     same handshake under node. Goal: weir median <= 5 ms; the ratio is
//     reported.
//  2. Search round trip: SciFact (../shared/data/scifact) imported into a
//     temporary home through the product path, one `weir mcp serve
//     --collections scifact` kept running, and each SciFact test query sent
//     as `scifact_search` {search_terms: [query]}: the clock runs from writing
//     the request to reading its response. Goal: p50 <= 5 ms. The same queries
//     through an in-process Searcher give the search's own share, so the
//     difference is what MCP (spawned process, JSON, pipes) adds.
// Prints one JSON object on stdout.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "bench/process_timing.hpp"
#include "bench/temporary_directory.hpp"
#include "bench/retrieval_metrics.hpp"
#include "core/rag/ingest.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/paths.hpp"

extern char** environ;

namespace {

using namespace weir::bench;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr double kGoalHandshakeMs = 5.0;
constexpr double kGoalSearchMs = 5.0;

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A child with its stdin and stdout on pipes (stderr to /dev/null), spoken
// to one line at a time.
class PipedServer {
 public:
  explicit PipedServer(const std::vector<std::string>& arguments) {
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> copies = arguments;
    std::vector<char*> pointers;
    for (auto& argument : copies) pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    int spawned = posix_spawn(&pid_, pointers[0], &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_ = in_pipe[1];
    out_ = out_pipe[0];
    if (spawned != 0) throw std::runtime_error("cannot start " + arguments[0] + ": " + std::strerror(spawned));
  }
  ~PipedServer() {
    close_input();
    if (pid_ > 0) {
      int status;
      // Give it a moment to leave on its own at end of input, as clients do.
      for (int attempt = 0; attempt < 500; ++attempt) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        usleep(2000);
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (out_ >= 0) close(out_);
  }
  PipedServer(const PipedServer&) = delete;
  PipedServer& operator=(const PipedServer&) = delete;

  void write_line(const std::string& line) {
    std::string bytes = line + "\n";
    size_t written = 0;
    while (written < bytes.size()) {
      auto count = ::write(in_, bytes.data() + written, bytes.size() - written);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) throw std::runtime_error("the server closed its stdin");
      written += static_cast<size_t>(count);
    }
  }
  // The next line the server writes; throws after `timeout` of silence.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    while (true) {
      auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        auto line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      pollfd poll_fd{out_, POLLIN, 0};
      int ready = poll(&poll_fd, 1, static_cast<int>(timeout.count()));
      if (ready == 0) throw std::runtime_error("the server did not answer within the timeout");
      if (ready < 0 && errno == EINTR) continue;
      char chunk[65536];
      auto count = ::read(out_, chunk, sizeof chunk);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) throw std::runtime_error("the server closed its stdout");
      buffer_.append(chunk, static_cast<size_t>(count));
    }
  }
  // Reads lines until the response with this id (notifications are skipped).
  json read_response(int id) {
    while (true) {
      auto message = json::parse(read_line());
      if (message.contains("id") && message["id"] == id) return message;
    }
  }
  void close_input() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffer_;
};

std::string initialize_line() {
  return json{{"jsonrpc", "2.0"},
              {"id", 1},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", "2025-11-25"},
                {"capabilities", json::object()},
                {"clientInfo", {{"name", "weir-bench"}, {"version", "1"}}}}}}
      .dump();
}

struct BenchOptions {
  std::string weir = WEIR_BENCH_DEFAULT_BINARY;
  std::string data = WEIR_SOURCE_DIR "/../shared/data/scifact";
  std::string peers = WEIR_SOURCE_DIR "/tests/peers";
  int handshakes = 100;
  int warmups = 10;
  int queries = 300;
};

BenchOptions parse(int argc, char** argv) {
  BenchOptions options;
  for (int index = 1; index < argc; ++index) {
    std::string flag = argv[index];
    auto value = [&]() -> std::string {
      if (index + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++index];
    };
    if (flag == "--weir") options.weir = value();
    else if (flag == "--data") options.data = value();
    else if (flag == "--peers") options.peers = value();
    else if (flag == "--handshakes") options.handshakes = std::stoi(value());
    else if (flag == "--warmups") options.warmups = std::stoi(value());
    else if (flag == "--queries") options.queries = std::stoi(value());
    else {
      std::cout << "usage: weir_bench_mcp [--weir PATH] [--data SCIFACT_DIR] [--peers tests/peers] [--handshakes N]\n"
                   "                      [--warmups N] [--queries N]\n"
                   "Times `weir mcp serve`: spawn -> initialize reply (beside server-everything), and\n"
                   "scifact_search round trips on SciFact. Prints JSON.\n";
      std::exit(flag == "--help" ? 0 : 2);
    }
  }
  return options;
}

double handshake_once(const std::vector<std::string>& command) {
  auto start = Clock::now();
  PipedServer server(command);
  server.write_line(initialize_line());
  auto reply = server.read_response(1);
  double milliseconds = elapsed_ms(start);
  if (!reply.contains("result")) throw std::runtime_error("initialize failed: " + reply.dump());
  return milliseconds;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = parse(argc, argv);
    weir::bench::TemporaryDirectory home("mcp");
    json report = {{"benchmark", "mcp"}};

    // 1. Handshake, weir beside server-everything, round-robin.
    std::vector<std::pair<std::string, std::vector<std::string>>> servers = {
        {"weir", {options.weir, "--home", home.path(), "mcp", "serve", "--gateway", "bench", "--collections", "scifact"}}};
    auto everything = options.peers + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
    std::string everything_skipped;
    if (!fs::exists(everything))
      everything_skipped = "not installed: run `npm ci --prefix tests/peers`";
    else
      servers.push_back({"server_everything", {find_executable("node"), everything, "stdio"}});
    std::map<std::string, std::vector<double>> samples;
    for (int round = 0; round < options.warmups + options.handshakes; ++round)
      for (size_t turn = 0; turn < servers.size(); ++turn) {
        const auto& [name, command] = servers[(round + turn) % servers.size()];
        double milliseconds = handshake_once(command);
        if (round >= options.warmups) samples[name].push_back(milliseconds);
      }
    json handshake = {{"description", "spawn -> initialize reply, then close stdin (untimed)"},
                      {"iterations", options.handshakes},
                      {"warmups", options.warmups},
                      {"servers", json::object()}};
    for (const auto& [name, command] : servers) {
      handshake["servers"][name] = to_json(summarize(samples[name]));
      handshake["servers"][name]["command"] = shell_line(command);
    }
    double weir_median = summarize(samples["weir"]).median_ms;
    if (everything_skipped.empty())
      handshake["server_everything_over_weir_median"] =
          round_ms(summarize(samples["server_everything"]).median_ms / weir_median);
    else
      handshake["server_everything"] = {{"skipped", everything_skipped}};
    handshake["goal"] = {{"description", "median spawn -> initialize reply at most 5 ms"},
                         {"limit_ms", kGoalHandshakeMs},
                         {"value_ms", round_ms(weir_median)},
                         {"goal_met", weir_median <= kGoalHandshakeMs}};
    report["handshake"] = handshake;

    // 2. SciFact: import through the product path, then search round trips.
    auto paths = weir::resolve_paths(home.path());
    weir::ensure_home(paths);
    auto corpus = load_corpus(options.data + "/corpus.jsonl");
    auto queries = load_queries(options.data + "/queries.jsonl");
    if (options.queries > 0 && queries.size() > static_cast<size_t>(options.queries)) queries.resize(static_cast<size_t>(options.queries));
    {
      weir::Database database(paths.database);
      weir::LocalEmbedder embedder;
      weir::CollectionRepository(database).create("scifact", embedder.spec(), embedder.dimension(), "");
      std::string jsonl;
      for (const auto& document : corpus)
        jsonl += json{{"docid", document.id}, {"text", document.title + "\n" + document.text}}.dump() + "\n";
      std::istringstream input(jsonl);
      auto imported = weir::import_documents(database, paths, "scifact", input, weir::ImportOptions{}, weir::CancelToken());
      if (imported.counts.added != static_cast<int64_t>(corpus.size()))
        throw std::runtime_error("the SciFact import added " + std::to_string(imported.counts.added) + " documents");
    }

    PipedServer server({options.weir, "--home", home.path(), "mcp", "serve", "--collections", "scifact"});
    server.write_line(initialize_line());
    server.read_response(1);
    server.write_line(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
    int id = 1;
    auto call = [&](const std::string& query) {
      ++id;
      server.write_line(json{{"jsonrpc", "2.0"},
                             {"id", id},
                             {"method", "tools/call"},
                             {"params", {{"name", "scifact_search"}, {"arguments", {{"search_terms", {query}}}}}}}
                            .dump());
      return server.read_response(id);
    };
    // The first call opens the store and loads the index: timed on its own.
    auto first_start = Clock::now();
    auto first = call(queries.front().text);
    double first_ms = elapsed_ms(first_start);
    if (!first.contains("result") || first["result"]["isError"] == true)
      throw std::runtime_error("scifact_search failed: " + first.dump());
    std::vector<double> round_trips;
    size_t results = 0;
    for (const auto& query : queries) {
      auto start = Clock::now();
      auto response = call(query.text);
      round_trips.push_back(elapsed_ms(start));
      if (response["result"]["isError"] == true) throw std::runtime_error("scifact_search failed: " + response.dump());
      results += response["result"]["structuredContent"]["results"].size();
    }
    server.close_input();

    // The same queries in process: the search's own share of the round trip.
    std::vector<double> in_process;
    {
      weir::Database database(paths.database);
      weir::Searcher searcher(database, paths.indexes);
      weir::SearchRequest request;
      request.collections = {"scifact"};
      request.terms = {queries.front().text};
      searcher.search(request, weir::CancelToken());
      for (const auto& query : queries) {
        request.terms = {query.text};
        auto start = Clock::now();
        searcher.search(request, weir::CancelToken());
        in_process.push_back(elapsed_ms(start));
      }
    }
    auto mcp_summary = summarize(round_trips);
    auto search_summary = summarize(in_process);
    report["search"] = {
        {"description", "scifact_search tools/call round trips on one running `weir mcp serve`, one query each"},
        {"documents", corpus.size()},
        {"queries", queries.size()},
        {"mean_results", round_ms(static_cast<double>(results) / static_cast<double>(queries.size()))},
        {"first_call_ms", round_ms(first_ms)},
        {"round_trip", to_json(mcp_summary)},
        {"in_process_search", to_json(search_summary)},
        {"mcp_added_median_ms", round_ms(mcp_summary.median_ms - search_summary.median_ms)},
        {"goal",
         {{"description", "p50 scifact_search round trip at most 5 ms"},
          {"limit_ms", kGoalSearchMs},
          {"value_ms", round_ms(mcp_summary.median_ms)},
          {"goal_met", mcp_summary.median_ms <= kGoalSearchMs}}}};
    std::cout << report.dump(2) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_mcp: " << error.what() << '\n';
    return 1;
  }
}
