// `weir batch create|add|run|pause|resume|status|list|retry|export|delete`:
// schema-checked jobs over JSONL lines, text lines or files (core/batch,
// core/store/batch_repository.hpp). Translation only: the rules live in core.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/json_argument.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/batch/batch_import.hpp"
#include "core/batch/batch_runner.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/json_schema.hpp"
#include "core/store/batch_repository.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

// "@FILE" reads the file; anything else is the text itself.
std::string text_or_file(const std::string& value, const std::string& flag) {
  if (value.empty() || value.front() != '@') return value;
  std::ifstream in(value.substr(1), std::ios::binary);
  if (!in) throw Error(ErrorKind::usage, flag + ": cannot read " + value.substr(1));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string money(double amount) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "$%.4f", amount);
  return buffer;
}

std::string duration(double seconds) {
  auto whole = static_cast<long long>(std::llround(seconds));
  if (whole < 60) return std::to_string(whole) + "s";
  if (whole < 3600) return std::to_string(whole / 60) + "m" + std::to_string(whole % 60) + "s";
  return std::to_string(whole / 3600) + "h" + std::to_string(whole % 3600 / 60) + "m";
}

json job_json(const BatchJob& job, const BatchCounts& counts) {
  return {{"id", job.id},
          {"name", job.name},
          {"state", counts.pending == 0 && job.state == "ready" ? "completed" : job.state},
          {"reason", job.reason.empty() ? json(nullptr) : json(job.reason)},
          {"gateway", job.settings.gateway},
          {"items", counts.to_json()},
          {"cost", job.cost},
          {"settings", job.settings.to_json()},
          {"created_at", job.created_at}};
}

std::string progress_line(const BatchProgress& progress) {
  const auto& counts = progress.counts;
  std::string line = std::to_string(counts.finished + counts.failed()) + "/" + std::to_string(counts.total()) +
                     " done, " + std::to_string(counts.failed()) + " failed";
  if (progress.rate > 0) {
    char rate[32];
    std::snprintf(rate, sizeof rate, ", %.1f/s", progress.rate);
    line += rate;
  }
  if (progress.eta_seconds) line += ", ETA " + duration(*progress.eta_seconds);
  line += ", " + money(progress.cost);
  return line;
}

}  // namespace

void register_batch_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("batch", "Batch jobs: one schema-checked request per item, resumable");
  group->require_subcommand(1);

  {
    struct Options {
      std::string name, gateway, instructions, schema, validate_with, validation_instructions;
      int max_retries = 2, error_stop = 5, concurrency = 4;
    };
    auto options = std::make_shared<Options>();
    auto* create = group->add_subcommand("create", "Create a batch job");
    create->add_option("name", options->name, "The job's name")->required();
    create->add_option("--gateway", options->gateway, "The gateway (or @provider/model) every item goes through")
        ->required()
        ->type_name(value_name::target);
    create->add_option("--instructions", options->instructions, "System instructions for every item (TEXT or @FILE)");
    create->add_option("--schema", options->schema, "The answer's JSON Schema (a file, or inline JSON)")
        ->type_name(value_name::file);
    create->add_option("--validate-with", options->validate_with,
                       "PROVIDER/MODEL that checks each answer and gives its confidence");
    create->add_option("--validation-instructions", options->validation_instructions,
                       "What the validator checks (TEXT or @FILE)");
    create->add_option("--max-retries", options->max_retries,
                       "More tries after an upstream error, and more healing attempts (default 2)");
    create->add_option("--error-stop", options->error_stop,
                       "Pause after this many failed items in a row (default 5, 0: never)");
    create->add_option("--concurrency", options->concurrency, "Items in flight at once (default 4)");
    create->callback([&context, options] {
      BatchSettings settings;
      settings.gateway = options->gateway;
      settings.instructions = text_or_file(options->instructions, "--instructions");
      if (!options->schema.empty()) {
        settings.schema = json_argument(options->schema, "--schema");
        JsonSchema::compile(settings.schema, "--schema");
      }
      settings.validate_with = options->validate_with;
      settings.validation_instructions = text_or_file(options->validation_instructions, "--validation-instructions");
      settings.max_retries = options->max_retries;
      settings.error_stop = options->error_stop;
      settings.concurrency = options->concurrency;
      settings.check();
      auto& database = context.database();
      GatewayRepository(database).resolve_target(settings.gateway);  // a clear not-found now, not per item
      auto job = BatchRepository(database).create(options->name, settings);
      if (context.options.json) {
        print_json(job_json(job, BatchCounts{}));
        return;
      }
      print_notice("created batch job '" + job.name + "'; add items with `weir batch add " + job.name + " FILE`",
                   context.options.quiet);
    });
  }

  {
    struct Options {
      std::string name, path, mode;
    };
    auto options = std::make_shared<Options>();
    auto* add = group->add_subcommand("add", "Add items: JSONL lines, text lines, files, or a zip archive's files");
    add->add_option("name", options->name, "The job")->required();
    add->add_option("path", options->path, "A .jsonl file, a text file, a folder, or a .zip archive")
        ->required()
        ->type_name(value_name::path);
    add->add_option("--mode", options->mode,
                    "lines (a JSON value per line), text (a line per item), files (a file per item) or zip (a "
                    "text file in the archive per item)")
        ->check(CLI::IsMember({"lines", "text", "files", "zip"}));
    add->callback([&context, options] {
      auto& database = context.database();
      BatchRepository jobs(database);
      auto job = jobs.get(options->name);
      auto import = read_batch_inputs(options->path, options->mode);
      jobs.add_items(job.id, import.inputs);
      if (context.options.json) {
        json rejected = json::array();
        for (const auto& item : import.rejected) rejected.push_back({{"where", item.where}, {"reason", item.reason}});
        json skipped = json::array();
        for (const auto& item : import.skipped) skipped.push_back({{"where", item.where}, {"reason", item.reason}});
        print_json({{"added", import.inputs.size()}, {"rejected", rejected}, {"skipped", skipped}});
        return;
      }
      for (const auto& item : import.rejected) print_error(options->path + ": " + item.where + ": " + item.reason);
      std::cout << "added " << import.inputs.size() << " items";
      if (!import.rejected.empty()) std::cout << ", rejected " << import.rejected.size();
      if (!import.skipped.empty()) std::cout << ", skipped " << import.skipped.size() << " binary";
      std::cout << '\n';
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto* run = group->add_subcommand("run", "Work through the pending items (resumes where a run stopped)");
    run->add_option("name", *name, "The job")->required();
    run->callback([&context, name] {
      BatchRunOptions options;
      const bool as_json = context.options.json;
      const bool bar = !as_json && !context.options.quiet && stderr_is_terminal();
      auto last_drawn = std::chrono::steady_clock::time_point{};
      options.on_progress = [&](const BatchProgress& progress) {
        if (as_json) {
          std::cout << progress.to_json().dump() << '\n' << std::flush;
          return;
        }
        if (!bar) return;
        auto now = std::chrono::steady_clock::now();
        if (!progress.done && now - last_drawn < std::chrono::milliseconds(100)) return;
        last_drawn = now;
        std::cerr << "\r\033[K" << progress_line(progress) << std::flush;
      };
      context.database();  // creates the home and migrates before the workers open theirs
      BatchProgress result;
      {
        InterruptScope interrupt(options.cancel);
        result = run_batch(context.paths(), *name, options);
      }
      if (bar) std::cerr << '\n';
      if (!as_json) std::cout << progress_line(result) << '\n';
      if (result.stopped == "interrupted") throw Error(ErrorKind::interrupted, "interrupted; `weir batch run " + *name + "` resumes");
      if (result.stopped == "paused") throw Error(ErrorKind::upstream, "batch job '" + *name + "' " + result.reason);
    });
  }

  auto add_simple = [&](const char* command_name, const char* help, auto action) {
    auto name = std::make_shared<std::string>();
    auto* command = group->add_subcommand(command_name, help);
    command->add_option("name", *name, "The job")->required();
    command->callback([&context, name, action] { action(context, *name); });
  };
  add_simple("pause", "Pause a job: a running `batch run` stops after its items in flight",
             [](CommandContext& command, const std::string& name) {
               BatchRepository jobs(command.database());
               auto job = jobs.get(name);
               jobs.set_state(job.id, "paused", "paused by the user");
               if (command.options.json) print_json({{"name", job.name}, {"state", "paused"}});
               print_notice("paused batch job '" + job.name + "'", command.options.quiet);
             });
  add_simple("resume", "Clear a job's pause so `batch run` continues it", [](CommandContext& command, const std::string& name) {
    BatchRepository jobs(command.database());
    auto job = jobs.get(name);
    if (job.state == "cancelled") throw Error(ErrorKind::usage, "batch job '" + job.name + "' was cancelled");
    jobs.set_state(job.id, "ready");
    if (command.options.json) print_json({{"name", job.name}, {"state", "ready"}});
    print_notice("resumed batch job '" + job.name + "'; `weir batch run " + job.name + "` continues it",
                 command.options.quiet);
  });
  add_simple("status", "A job's state, item counts and cost", [](CommandContext& command, const std::string& name) {
    BatchRepository jobs(command.database());
    auto job = jobs.get(name);
    auto counts = jobs.counts(job.id);
    auto object = job_json(job, counts);
    if (command.options.json) {
      print_json(object);
      return;
    }
    std::cout << "name:       " << job.name << "\nstate:      " << object["state"].get<std::string>() << '\n';
    if (!job.reason.empty()) std::cout << "reason:     " << job.reason << '\n';
    std::cout << "gateway:    " << job.settings.gateway << "\nitems:      " << counts.total()
              << "\n  pending:          " << counts.pending << "\n  finished:         " << counts.finished
              << "\n  refused:          " << counts.refused << "\n  execution_error:  " << counts.execution_error
              << "\n  validation_error: " << counts.validation_error << "\n  cancelled:        " << counts.cancelled
              << "\ncost:       " << money(job.cost) << '\n';
  });
  add_simple("delete", "Delete a job and its items", [](CommandContext& command, const std::string& name) {
    BatchRepository jobs(command.database());
    auto job = jobs.get(name);
    jobs.remove(job.id);
    if (command.options.json) print_json({{"name", job.name}, {"deleted", true}});
    print_notice("deleted batch job '" + job.name + "'", command.options.quiet);
  });

  {
    auto* list = group->add_subcommand("list", "List batch jobs, newest first");
    list->callback([&context] {
      BatchRepository jobs(context.database());
      auto all = jobs.list();
      if (context.options.json) {
        json array = json::array();
        for (const auto& job : all) array.push_back(job_json(job, jobs.counts(job.id)));
        print_json(array);
        return;
      }
      if (all.empty()) {
        print_notice("no batch jobs; create one with `weir batch create NAME --gateway G`", context.options.quiet);
        return;
      }
      Table table({"NAME", "STATE", "GATEWAY", "ITEMS", "FINISHED", "FAILED", "COST"});
      for (const auto& job : all) {
        auto counts = jobs.counts(job.id);
        table.add({job.name, job_json(job, counts)["state"].get<std::string>(), job.settings.gateway,
                   std::to_string(counts.total()), std::to_string(counts.finished), std::to_string(counts.failed()),
                   money(job.cost)});
      }
      table.print();
    });
  }

  {
    struct Options {
      std::string name, mode;
      double below = kDefaultLowConfidence;
    };
    auto options = std::make_shared<Options>();
    auto* retry = group->add_subcommand("retry", "Put failed (or doubtful) items back to pending");
    retry->add_option("name", options->name, "The job")->required();
    retry->add_option("--mode", options->mode, "errors, execution-error, validation-error or low-confidence")
        ->required()
        ->check(CLI::IsMember({"errors", "execution-error", "validation-error", "low-confidence"}));
    retry->add_option("--below", options->below, "low-confidence: finished items whose confidence is below this (default 0.5)")
        ->check(CLI::Range(0.0, 1.0));
    retry->callback([&context, options] {
      BatchRepository jobs(context.database());
      auto job = jobs.get(options->name);
      auto moved = jobs.retry(job.id, parse_retry_mode(options->mode), options->below);
      if (context.options.json) {
        print_json({{"pending_again", moved}});
        return;
      }
      std::cout << moved << " items pending again; `weir batch run " << job.name << "` sends them\n";
    });
  }

  {
    struct Options {
      std::string name, state = "finished";
    };
    auto options = std::make_shared<Options>();
    auto* exported = group->add_subcommand("export", "Write items as JSONL on stdout");
    exported->add_option("name", options->name, "The job")->required();
    exported->add_option("--state", options->state, "finished (default), errors, or all")
        ->check(CLI::IsMember({"finished", "errors", "all"}));
    exported->callback([&context, options] {
      BatchRepository jobs(context.database());
      auto job = jobs.get(options->name);
      std::vector<ItemState> states;
      if (options->state == "finished") states = {ItemState::finished};
      if (options->state == "errors") states = {ItemState::refused, ItemState::execution_error, ItemState::validation_error};
      jobs.for_each_item(job.id, states, [](const BatchItem& item) {
        std::cout << item.to_json().dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
      });
      std::cout.flush();
    });
  }
}

}  // namespace weir::cli
