// Spawning and timing whole processes, shared by the benchmark programs.
//
// Commands are timed from just before posix_spawn to just after the child is
// reaped, so a figure is what a user's shell would wait for. Commands given
// to one measurement run round-robin, each round starting at the next command
// in turn, so machine noise and the after-effects of the previous process
// (warm caches, a busy core) fall on every command alike; only then do side by
// side ratios mean anything on a shared machine.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir::bench {

// Keys stay in the order written, so a report reads top-down as it was meant.
using json = nlohmann::ordered_json;

struct Command {
  std::string name;                    // the key it is reported under
  std::vector<std::string> arguments;  // arguments[0] is an absolute path
};

struct CapturedRun {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string standard_output;
  std::string standard_error;
};

struct Summary {
  size_t runs = 0;
  double median_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
};

struct Options {
  std::string weir;  // path of the weir binary
  int iterations = 0;
  int warmups = 0;
};

// Parses --weir PATH, --iterations N and --warmups N; prints usage and exits
// on --help or on anything it does not know.
Options parse_options(int argc, char** argv, const std::string& description, Options defaults);

// The absolute path of `name`, found on $PATH as a shell would; resolved once
// up front so the measured spawns do not pay for the search.
std::string find_executable(const std::string& name);

// Runs a command once with standard input on /dev/null, capturing its output;
// for setting up and checking, not for timing.
CapturedRun run_capturing(const std::vector<std::string>& arguments,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Runs each command `warmups` times untimed, then `iterations` times timed,
// round-robin; all standard streams go to /dev/null. Throws if any run exits
// non-zero or outlives `timeout`: a failed run is not a fast one.
std::map<std::string, std::vector<double>> measure_interleaved(
    const std::vector<Command>& commands, int warmups, int iterations,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

Summary summarize(std::vector<double> samples_ms);
json to_json(const Summary& summary);

// The command as one line a user could paste into a shell.
std::string shell_line(const std::vector<std::string>& arguments);

// Rounded to microseconds: finer digits are noise and clutter the report.
double round_ms(double milliseconds);

}  // namespace weir::bench
