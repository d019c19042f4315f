// weir_bench_startup: how long `weir --version` takes from spawn to exit,
// beside /bin/true (the cost of spawning any process at all on this machine)
// and `curl --version` (a peer command-line tool that also uses libcurl).
// Prints one JSON object on stdout.
#include <exception>
#include <iostream>

#include "bench/process_timing.hpp"

namespace {

constexpr double kGoalMedianMs = 2.0;

}  // namespace

int main(int argc, char** argv) {
  using namespace weir::bench;
  try {
    Options options = parse_options(argc, argv, "Cold start of `weir --version` beside /bin/true and `curl --version`.",
                                    Options{WEIR_BENCH_DEFAULT_BINARY, 300, 20});

    // A broken binary that exits at once would look wonderfully fast.
    CapturedRun version = run_capturing({options.weir, "--version"});
    if (version.exit_code != 0 || version.standard_output.rfind("weir ", 0) != 0)
      throw std::runtime_error("`" + options.weir + " --version` did not print a version (exit " +
                               std::to_string(version.exit_code) + "): " + version.standard_output + version.standard_error);
    if (version.standard_output.back() == '\n') version.standard_output.pop_back();

    std::vector<Command> commands = {
        {"weir", {options.weir, "--version"}},
        {"true", {"/bin/true"}},
        {"curl", {find_executable("curl"), "--version"}},
    };
    auto samples = measure_interleaved(commands, options.warmups, options.iterations);

    json report = {{"benchmark", "startup"},
                   {"weir_version", version.standard_output},
                   {"iterations", options.iterations},
                   {"warmups", options.warmups},
                   {"commands", json::object()}};
    std::map<std::string, Summary> summaries;
    for (const auto& command : commands) {
      summaries[command.name] = summarize(samples[command.name]);
      report["commands"][command.name] = to_json(summaries[command.name]);
      report["commands"][command.name]["command"] = shell_line(command.arguments);
    }
    double weir_median = summaries["weir"].median_ms;
    report["ratios"] = {{"weir_over_true_median", round_ms(weir_median / summaries["true"].median_ms)},
                        {"weir_over_curl_median", round_ms(weir_median / summaries["curl"].median_ms)}};
    report["weir_minus_true_median_ms"] = round_ms(weir_median - summaries["true"].median_ms);
    report["goal"] = {{"description", "median of `weir --version` at most 2 ms"},
                      {"limit_ms", kGoalMedianMs},
                      {"value_ms", round_ms(weir_median)},
                      {"goal_met", weir_median <= kGoalMedianMs}};
    std::cout << report.dump(2) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_startup: " << error.what() << '\n';
    return 1;
  }
}
