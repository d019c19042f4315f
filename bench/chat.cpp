// weir_bench_chat: what `weir chat` adds on top of the HTTP round trip it
// makes. weir and curl send the same request to the same local fake upstream,
// interleaved, once asking for the whole answer and once for a stream; the
// difference of the medians is weir's own cost (start-up, store, engine).
// Prints one JSON object on stdout.
#include <stdlib.h>

#include <exception>
#include <filesystem>
#include <iostream>

#include "bench/process_timing.hpp"
#include "bench/temporary_directory.hpp"
#include "tests/support/fake_upstream.hpp"

namespace {

using weir::bench::CapturedRun;
using weir::bench::Command;
using weir::bench::json;
// What weir and the upstream exchange, compared as values: key order is not
// part of a request's meaning.
using RequestJson = nlohmann::json;

constexpr double kGoalAddedMedianMs = 5.0;
constexpr const char* kMessage = "hello";
// The fake upstream's built-in answer, in either shape; seeing it in the
// output proves the round trip really happened.
constexpr const char* kExpectedAnswer = "Hello from the fake upstream.";

CapturedRun run_checked(const std::vector<std::string>& arguments) {
  CapturedRun run = weir::bench::run_capturing(arguments);
  if (run.exit_code != 0)
    throw std::runtime_error("`" + weir::bench::shell_line(arguments) + "` exited with " +
                             std::to_string(run.exit_code) + ":\n" + run.standard_output + run.standard_error);
  return run;
}

// One mode of asking (whole answer or stream): weir's command and curl
// sending the very request weir's --dry-run says it would send.
struct Pair {
  std::string mode;  // "no_stream" or "stream"
  Command weir;
  Command curl;
  RequestJson request_body;
};

Pair pair_for_mode(const std::string& mode, const std::string& weir_binary, const std::string& home,
               const std::string& curl_binary) {
  std::vector<std::string> chat = {weir_binary, "--home", home, "chat", "bench"};
  if (mode == "no_stream") chat.push_back("--no-stream");

  std::vector<std::string> dry_run = chat;
  dry_run.push_back("--dry-run");
  dry_run.push_back(kMessage);
  RequestJson request = RequestJson::parse(run_checked(dry_run).standard_output);

  Pair pair;
  pair.mode = mode;
  pair.request_body = request.at("body");
  pair.weir = {"weir_" + mode, chat};
  pair.weir.arguments.push_back(kMessage);
  pair.curl = {"curl_" + mode,
               {curl_binary, "-s", "-X", request.at("method").get<std::string>(), request.at("url").get<std::string>()}};
  for (const auto& [name, value] : request.at("headers").items()) {
    pair.curl.arguments.push_back("-H");
    pair.curl.arguments.push_back(name + ": " + value.get<std::string>());
  }
  pair.curl.arguments.push_back("-d");
  pair.curl.arguments.push_back(pair.request_body.dump());
  return pair;
}

// Runs both commands of a pair once and checks that each got the answer and
// that the upstream saw the same body from both: a comparison with curl
// sending something else would be meaningless.
bool check_pair(const Pair& pair, const weir::testing::FakeUpstream& upstream) {
  for (const Command* command : {&pair.weir, &pair.curl}) {
    CapturedRun run = run_checked(command->arguments);
    if (run.standard_output.find(kExpectedAnswer) == std::string::npos)
      throw std::runtime_error("`" + weir::bench::shell_line(command->arguments) +
                               "` did not print the upstream's answer:\n" + run.standard_output + run.standard_error);
  }
  auto requests = upstream.requests();
  if (requests.size() < 2) throw std::runtime_error("the fake upstream did not record both requests");
  const auto& from_weir = requests[requests.size() - 2].json_body;
  const auto& from_curl = requests[requests.size() - 1].json_body;
  return from_weir == from_curl && from_weir == pair.request_body;
}

// --serve: set everything up, print the commands, and keep the upstream
// listening until standard input closes, so a person can profile one run
// (strace, perf, callgrind) against the very setup the benchmark times.
bool take_serve_flag(int& argc, char** argv) {
  bool serve = false;
  int kept = 1;
  for (int index = 1; index < argc; ++index) {
    if (std::string(argv[index]) == "--serve")
      serve = true;
    else
      argv[kept++] = argv[index];
  }
  argc = kept;
  return serve;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace weir::bench;
  try {
    bool serve = take_serve_flag(argc, argv);
    Options options =
        parse_options(argc, argv, "Time added by `weir chat` over curl sending the same request to a local upstream.\n"
                      "With --serve: set up, print the commands, and keep the upstream listening until\n"
                      "standard input closes, to profile single runs.",
                      Options{WEIR_BENCH_DEFAULT_BINARY, 200, 10});
    std::string curl_binary = find_executable("curl");

    // The built-in default answer follows the request's "stream" field, so
    // one upstream serves both modes in the shape each asks for.
    weir::testing::FakeUpstream upstream;
    weir::bench::TemporaryDirectory home("chat");
    run_checked({options.weir, "--home", home.path(), "provider", "add", "fake", "--base-url", upstream.base_url()});
    run_checked({options.weir, "--home", home.path(), "gateway", "create", "bench", "--provider", "fake", "--model", "m"});

    std::vector<Pair> pairs = {pair_for_mode("no_stream", options.weir, home.path(), curl_binary),
                               pair_for_mode("stream", options.weir, home.path(), curl_binary)};
    std::map<std::string, bool> same_body;
    for (const auto& pair : pairs) same_body[pair.mode] = check_pair(pair, upstream);

    if (serve) {
      json commands = json::object();
      for (const auto& pair : pairs) {
        commands[pair.weir.name] = shell_line(pair.weir.arguments);
        commands[pair.curl.name] = shell_line(pair.curl.arguments);
      }
      std::cout << json{{"serving", upstream.base_url()}, {"home", home.path()}, {"commands", commands}}.dump(2)
                << "\nserving until standard input closes (Ctrl-D)" << std::endl;
      std::string ignored;
      while (std::getline(std::cin, ignored)) {
      }
      return 0;
    }

    std::vector<Command> commands;
    for (const auto& pair : pairs) {
      commands.push_back(pair.weir);
      commands.push_back(pair.curl);
    }
    auto samples = measure_interleaved(commands, options.warmups, options.iterations);

    json report = {{"benchmark", "chat"},
                   {"iterations", options.iterations},
                   {"warmups", options.warmups},
                   {"upstream", upstream.base_url()},
                   {"upstream_requests", upstream.request_count()}};
    bool all_goals_met = true;
    for (const auto& pair : pairs) {
      Summary weir_summary = summarize(samples[pair.weir.name]);
      Summary curl_summary = summarize(samples[pair.curl.name]);
      json weir_json = to_json(weir_summary);
      weir_json["command"] = shell_line(pair.weir.arguments);
      json curl_json = to_json(curl_summary);
      curl_json["command"] = shell_line(pair.curl.arguments);
      double added = weir_summary.median_ms - curl_summary.median_ms;
      bool goal_met = added <= kGoalAddedMedianMs;
      all_goals_met = all_goals_met && goal_met;
      report[pair.mode] = {
          {"weir", weir_json},
          {"curl", curl_json},
          {"same_body_as_weir", same_body[pair.mode]},
          {"added_median_ms", round_ms(added)},
          {"added_p90_ms", round_ms(weir_summary.p90_ms - curl_summary.p90_ms)},
          {"weir_over_curl_median", round_ms(weir_summary.median_ms / curl_summary.median_ms)},
          {"goal",
           {{"description", "median of weir minus median of curl at most 5 ms"},
            {"limit_ms", kGoalAddedMedianMs},
            {"value_ms", round_ms(added)},
            {"goal_met", goal_met}}}};
    }
    report["goal_met"] = all_goals_met;
    std::cout << report.dump(2) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_chat: " << error.what() << '\n';
    return 1;
  }
}
