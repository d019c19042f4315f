// `weir logs [list] [--limit N] [filters] [--follow]`, `weir logs show ID`, `logs export`, `logs prune`
#include <poll.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/request_log.hpp"
#include "core/store/key_repository.hpp"
#include "core/store/tool_call_log.hpp"
#include "core/store/usage_report.hpp"

namespace weir::cli {

namespace {
std::string format_milliseconds(double milliseconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, milliseconds < 10 ? "%.1f ms" : "%.0f ms", milliseconds);
  return buffer;
}

std::string format_cost(double cost) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "$%.6f", cost);
  return buffer;
}

struct FilterOptions {
  std::string gateway, model, status, user, since;
  RequestFilter filter() const {
    if (!status.empty() && status != "ok" && status != "error" && status != "cancelled")
      throw Error(ErrorKind::usage, "--status takes ok, error or cancelled, got '" + status + "'");
    RequestFilter filter{gateway, model, status, user, 0, 0};
    if (!since.empty()) filter.since = parse_time_bound(since, now_milliseconds());
    return filter;
  }
};

void add_filter_options(CLI::App& command, const std::shared_ptr<FilterOptions>& options) {
  command.add_option("--gateway", options->gateway, "Only this gateway's requests (name or id)")
      ->type_name("GATEWAY");
  command.add_option("--model", options->model, "Only requests to this model")->type_name("MODEL");
  command.add_option("--status", options->status, "Only requests that ended so: ok, error or cancelled")
      ->type_name("STATUS");
  command.add_option("--user", options->user, "Only requests made for this user")->type_name("USER");
  command.add_option("--since", options->since, "Only requests since this long ago (1d, 12h) or this UTC date")
      ->type_name("TIME");
}

std::vector<std::string> row_cells(const RequestRecord& record) {
  return {record.id, format_timestamp(record.created_at), record.front_door, record.gateway_name, record.model,
          record.status, std::to_string(record.prompt_tokens) + "/" + std::to_string(record.completion_tokens),
          format_cost(record.cost), format_milliseconds(record.latency_ms),
          record.time_to_first_token_ms ? format_milliseconds(*record.time_to_first_token_ms) : "-"};
}

// How often a follower looks for new rows: a glance at the store's end, cheap.
constexpr int kFollowIntervalMilliseconds = 200;

// The matching rows as they are written, until Ctrl-C (exit 130, as `weir
// chat` does): one line each, or one JSON object per line with --json.
void follow_logs(CommandContext& context, const FilterOptions& filters) {
  auto filter = filters.filter();
  RequestLog log(context.database());
  auto position = log.end_position();
  CancelToken stop;
  InterruptScope interrupt(stop);
  while (!stop.cancelled()) {
    for (const auto& record : log.written_after(filter, position)) {
      if (context.options.json) {
        std::cout << record.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      } else {
        std::string line;
        for (const auto& cell : row_cells(record)) line += (line.empty() ? "" : "  ") + cell;
        std::cout << line << '\n';
      }
    }
    std::cout.flush();
    // Without SA_RESTART, Ctrl-C ends the wait at once.
    poll(nullptr, 0, kFollowIntervalMilliseconds);
  }
  throw Error(ErrorKind::interrupted, "stopped following the request log");
}

// A message's text: its content, or the text of its parts with the others named.
std::string message_text(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return content.is_null() ? "" : content.dump();
  std::string text;
  for (const auto& part : content) {
    if (!text.empty()) text += '\n';
    auto type = part.is_object() ? part.value("type", nlohmann::json("?")) : nlohmann::json("?");
    auto part_text = part.is_object() ? part.value("text", nlohmann::json("")) : nlohmann::json("");
    if (type == "text" && part_text.is_string())
      text += part_text.get<std::string>();
    else
      text += "[" + (type.is_string() ? type.get<std::string>() : type.dump()) + "]";
  }
  return text;
}

// Each message under its role, indented, then the answer and its calls.
void print_conversation(const nlohmann::json& conversation) {
  if (!conversation.is_object()) return;
  // Callers wrote these: control characters are shown, not sent to the terminal.
  auto visible = [](const std::string& text) {
    std::string shown;
    for (char character : text) {
      auto byte = static_cast<unsigned char>(character);
      if ((byte < 0x20 && character != '\n' && character != '\t') || byte == 0x7f) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
        shown += escaped;
      } else {
        shown += character;
      }
    }
    return shown;
  };
  auto call_text = [](const nlohmann::json& call) {
    auto function = call.is_object() ? call.value("function", nlohmann::json::object()) : nlohmann::json::object();
    if (!function.is_object()) return std::string();
    auto name = function.value("name", nlohmann::json(""));
    auto arguments = function.value("arguments", nlohmann::json(""));
    return (name.is_string() ? name.get<std::string>() : name.dump()) + " " +
           (arguments.is_string() ? arguments.get<std::string>() : arguments.dump());
  };
  auto block = [&visible](const std::string& heading, const std::string& raw) {
    std::string text = visible(raw);
    std::cout << "  [" << visible(heading) << "]\n";
    size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::cout << "    " << text.substr(start, end - start) << '\n';
      start = end + 1;
    }
  };
  std::cout << "conversation:\n";
  if (conversation.contains("omitted_messages"))
    std::cout << "  (" << conversation["omitted_messages"].get<long long>() << " earlier messages not logged)\n";
  for (const auto& message : conversation.value("messages", nlohmann::json::array())) {
    if (!message.is_object()) continue;
    std::string text = message_text(message.value("content", nlohmann::json(nullptr)));
    for (const auto& call : message.value("tool_calls", nlohmann::json::array()))
      text += (text.empty() ? "" : "\n") + std::string("call ") + call_text(call);
    auto role = message.value("role", nlohmann::json("?"));
    block(role.is_string() ? role.get<std::string>() : role.dump(), text);
  }
  for (const auto& function : conversation.value("functions", nlohmann::json::array()))
    block("server tool", function.value("name", "") + " " + function.value("arguments", nlohmann::json::object()).dump());
  block("answer", conversation.value("answer", ""));
  for (const auto& call : conversation.value("tool_calls", nlohmann::json::array())) block("tool call", call_text(call));
}

void list_logs(CommandContext& context, int limit, const FilterOptions& filters) {
  auto records = RequestLog(context.database()).list(filters.filter(), limit);
  if (context.options.json) {
    auto list = nlohmann::json::array();
    for (const auto& record : records) list.push_back(record.to_json());
    print_json(list);
    return;
  }
  if (records.empty()) {
    print_notice("no requests logged yet", context.options.quiet);
    return;
  }
  Table table({"ID", "TIME", "DOOR", "GATEWAY", "MODEL", "STATUS", "TOKENS", "COST", "LATENCY", "TTFT"});
  for (const auto& record : records) table.add(row_cells(record));
  table.print();
}
}  // namespace

void register_logs_commands(CLI::App& app, CommandContext& context) {
  auto limit = std::make_shared<int>(20);
  auto filters = std::make_shared<FilterOptions>();
  auto follow = std::make_shared<bool>(false);
  auto list_or_follow = [&context, limit, filters, follow] {
    if (*follow)
      follow_logs(context, *filters);
    else
      list_logs(context, *limit, *filters);
  };
  auto* logs = app.add_subcommand("logs", "The request log: one row per inference");
  logs->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  add_filter_options(*logs, filters);
  logs->add_flag("--follow,-f", *follow, "Print requests as they are logged, until Ctrl-C (JSON Lines with --json)");
  auto* list = logs->add_subcommand("list", "Recent requests, newest first");
  list->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  add_filter_options(*list, filters);
  list->add_flag("--follow,-f", *follow, "Print requests as they are logged, until Ctrl-C (JSON Lines with --json)");
  list->callback(list_or_follow);

  auto* exported = logs->add_subcommand("export", "Every matching row as JSON Lines, oldest first (for a file)");
  add_filter_options(*exported, filters);
  exported->callback([&context, filters] {
    RequestLog log(context.database());
    auto records = log.list(filters->filter(), 0);
    log.attach_conversations(records);
    for (auto row = records.rbegin(); row != records.rend(); ++row)
      std::cout << row->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  });

  auto older_than = std::make_shared<std::string>();
  auto* prune = logs->add_subcommand("prune", "Delete the rows older than a duration");
  prune->add_option("--older-than", *older_than, "Rows older than this go (30d, 12h)")->required()->type_name("DURATION");
  prune->callback([&context, older_than] {
    auto before = now_milliseconds() - parse_duration_milliseconds(*older_than);
    auto removed = RequestLog(context.database()).prune(before);
    auto tool_calls = ToolCallLog(context.database()).prune(before);
    if (context.options.json) {
      print_json({{"removed", removed}, {"removed_tool_calls", tool_calls}});
      return;
    }
    print_notice("removed " + std::to_string(removed) + " request log row" + (removed == 1 ? "" : "s") + " and " +
                     std::to_string(tool_calls) + " tool call row" + (tool_calls == 1 ? "" : "s") + " older than " +
                     *older_than,
                 context.options.quiet);
  });

  {
    struct ToolOptions {
      std::string tool, since = "7d", until;
      int limit = 20;
    };
    auto options = std::make_shared<ToolOptions>();
    auto* tools = logs->add_subcommand("tools", "Tool calls weir's MCP server answered, newest first");
    tools->add_option("--tool", options->tool, "Only calls of this tool")->type_name("TOOL");
    tools->add_option("--since", options->since, "From this long ago (7d, 12h) or this UTC date (default 7d)")
        ->type_name("TIME");
    tools->add_option("--until", options->until, "Up to this long ago or this UTC date (default now)")->type_name("TIME");
    tools->add_option("--limit", options->limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
    tools->callback([&context, options] {
      auto now = now_milliseconds();
      auto since = parse_time_bound(options->since, now);
      auto until = options->until.empty() ? now + 1 : parse_time_bound(options->until, now);
      auto records = ToolCallLog(context.database()).list(since, until, options->tool, options->limit);
      if (context.options.json) {
        auto rows = nlohmann::json::array();
        for (const auto& record : records) rows.push_back(record.to_json());
        print_json(rows);
        return;
      }
      if (records.empty()) {
        print_notice("no tool calls logged in that time", context.options.quiet);
        return;
      }
      Table table({"TIME", "TOOL", "SOURCE", "CALLER", "STATUS", "LATENCY", "IN", "OUT"});
      for (const auto& record : records)
        table.add({format_timestamp(record.created_at), record.tool, record.source,
                   record.caller.empty() ? "local" : record.caller, record.status,
                   std::to_string(static_cast<long long>(record.latency_ms)) + " ms",
                   std::to_string(record.arguments_bytes), std::to_string(record.result_bytes)});
      table.print();
    });
  }

  auto id = std::make_shared<std::string>();
  auto* show = logs->add_subcommand("show", "One request in full");
  show->add_option("id", *id, "Request id, or any unique part of it (the last characters tell ids of one minute apart)")->required();
  show->callback([&context, id] {
    auto record = RequestLog(context.database()).get(*id);
    auto object = record.to_json();
    if (context.options.json) {
      print_json(object);
      return;
    }
    for (const auto& [key, value] : object.items())
      if (key != "conversation")
        std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << '\n';
    print_conversation(record.conversation);
  });

  logs->callback([logs, list_or_follow] {
    if (logs->get_subcommands().empty()) list_or_follow();
  });
}

}  // namespace weir::cli
