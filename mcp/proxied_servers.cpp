#include "mcp/proxied_servers.hpp"

#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/json_schema.hpp"
#include "core/provider/json_fields.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/proxied_tool_names.hpp"
#include "mcp/tool_errors.hpp"

namespace weir::mcp {

using json = nlohmann::json;
using protocol::CallContext;
using protocol::ToolResult;

namespace {

struct ProxiedTool {
  std::shared_ptr<McpServerConnection> connection;
  json tool;         // the server's Tool object
  std::string name;  // what weir offers it as
};

// The server's schema, compiled once; nullopt when the schema uses what the
// validator cannot read (the server still checks it).
std::optional<JsonSchema> input_schema(const json& schema, const std::string& what, std::ostream& warnings) {
  try {
    return JsonSchema::compile(schema, what);
  } catch (const Error& error) {
    warnings << "weir: arguments of " << what << " are not checked before a call: " << error.what() << '\n';
    return std::nullopt;
  }
}

void add_tool(protocol::ToolSet& tools, const ProxiedTool& proxied, std::ostream& warnings) {
  const auto& tool = proxied.tool;
  const auto server_name = string_member(tool, "name");
  const auto owner = proxied.connection->settings().owner();
  protocol::ToolDefinition definition;
  definition.name = proxied.name;
  definition.source = owner;
  if (server_name != proxied.name) definition.source_name = server_name;
  definition.title = string_member(tool, "title");
  definition.description = string_member(tool, "description");
  if (tool.contains("inputSchema") && tool["inputSchema"].is_object()) definition.input_schema = tool["inputSchema"];
  if (tool.contains("outputSchema") && tool["outputSchema"].is_object()) definition.output_schema = tool["outputSchema"];
  if (tool.contains("annotations") && tool["annotations"].is_object()) definition.annotations = tool["annotations"];
  auto schema = input_schema(definition.input_schema, "tool '" + server_name + "' of " + owner, warnings);
  auto connection = proxied.connection;
  tools.add(std::move(definition), [connection, server_name, owner, schema = std::move(schema)](
                                       const json& given, CallContext& context) {
    json arguments = given.is_null() ? json::object() : given;
    if (schema) {
      auto violations = schema->validate(arguments);
      if (!violations.empty())
        return ToolResult::error("invalid arguments for '" + server_name + "' (nothing was sent to " + owner +
                                 "): " + describe_violations(violations));
    }
    CancelToken cancel;
    context.on_cancel([cancel] { cancel.cancel(); });
    // The server's progress, as this call's: MCP wants it to grow.
    std::optional<double> last;
    auto on_progress = [&context, &last](const json& params) {
      if (!context.wants_progress() || !params.contains("progress") || !params["progress"].is_number()) return;
      auto value = params["progress"].get<double>();
      if (last && !(value > *last)) return;
      last = value;
      std::optional<double> total;
      if (params.contains("total") && params["total"].is_number()) total = params["total"].get<double>();
      context.progress(value, total, string_member(params, "message"));
    };
    try {
      auto result = connection->call(server_name, arguments, json::object(), cancel, on_progress);
      ToolResult forwarded;
      if (result.contains("content") && result["content"].is_array()) forwarded.content = result["content"];
      if (result.contains("structuredContent")) {
        forwarded.structured_content = result["structuredContent"];
        // A client older than structuredContent reads content only.
        if (forwarded.content.empty())
          forwarded.content.push_back({{"type", "text"}, {"text", forwarded.structured_content.dump()}});
      }
      auto is_error = result.find("isError");
      forwarded.is_error = is_error != result.end() && is_error->is_boolean() && is_error->get<bool>();
      return forwarded;
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

// The proxied servers' tools behind one holder, kept current: each server's
// latest list, and the whole set rebuilt from them when one changes.
class ProxiedTools {
 public:
  ProxiedTools(protocol::ToolSet fixed, std::vector<McpServerSettings> servers,
               std::vector<std::shared_ptr<McpServerConnection>> connections, FinishToolSet finish)
      : holder(nullptr, true),
        fixed_(std::move(fixed)),
        servers_(std::move(servers)),
        connections_(std::move(connections)),
        finish_(std::move(finish)),
        listed_(servers_.size()) {
    gate_->tools = this;
  }
  ~ProxiedTools() {
    stop_.cancel();  // a listing under way gives up
    // A rebuild under way ends first (what `finish` uses may go with the
    // holder's owner); none starts after.
    std::lock_guard lock(gate_->mutex);
    gate_->tools = nullptr;
  }
  ProxiedTools(const ProxiedTools&) = delete;
  ProxiedTools& operator=(const ProxiedTools&) = delete;

  protocol::ToolSetHolder holder;

  // Before the first listing, so that a change made during it is not missed.
  void watch() {
    for (size_t index = 0; index < connections_.size(); ++index) {
      // The connection runs this on its own thread, and outlives the call.
      auto* connection = connections_[index].get();
      watches_.push_back(connection->watch_tools([gate = gate_, index, connection, stop = stop_] {
        // Runs on the connection's notifier thread: anything thrown here
        // would end the process, so a failed rebuild keeps the tools served.
        try {
          auto listed = connection->tools(stop);
          std::lock_guard lock(gate->mutex);
          if (gate->tools) gate->tools->update(index, std::move(listed));
        } catch (const std::exception& error) {
          if (!stop.cancelled())
            std::cerr << "weir: " << connection->settings().owner()
                      << " changed its tools, which could not be served again (its tools are served as they were): "
                      << error.what() << std::endl;
        }
      }));
    }
  }

  // The first listing of every server (null: it is down); its warnings go to `warnings`.
  void start(std::vector<json> first, std::ostream& warnings) {
    std::lock_guard lock(mutex_);
    for (size_t index = 0; index < first.size(); ++index)
      if (!listed_[index] && !first[index].is_null()) listed_[index] = std::move(first[index]);
    std::ostringstream said;
    auto tools = build(said);
    warnings << said.str();
    remember(said.str());
    holder.replace(std::move(tools));
  }

 private:
  // Who may still rebuild: the listeners reach this object through it, and
  // the destructor closes it.
  struct Gate {
    std::mutex mutex;
    ProxiedTools* tools = nullptr;
  };

  void update(size_t index, json listed) {
    std::lock_guard lock(mutex_);  // held through replace(): sets are published in the order they were built
    if (listed_[index] && *listed_[index] == listed) return;  // told of a change that changed nothing
    listed_[index] = std::move(listed);
    std::ostringstream said;
    auto tools = build(said);
    // A warning given once (a clash, a schema the validator cannot read) is not repeated at every change.
    for (const auto& line : remember(said.str())) std::cerr << line << '\n';
    std::cerr << std::flush;
    holder.replace(std::move(tools));
  }

  // Under mutex_: the fixed tools, then the proxied ones named afresh, then `finish`.
  std::shared_ptr<const protocol::ToolSet> build(std::ostream& warnings) const {
    auto tools = std::make_shared<protocol::ToolSet>(fixed_);
    std::vector<json> listed;
    for (const auto& list : listed_) listed.push_back(list ? *list : json(nullptr));
    std::vector<std::string> taken, left_out;
    for (const auto& registered : fixed_.tools()) taken.push_back(registered.definition.name);
    auto named = name_proxied_tools(servers_, listed, taken, left_out);
    for (const auto& reason : left_out) warnings << "weir: not served (" << reason << ")\n";
    for (auto& tool : named) {
      ProxiedTool proxied{connections_[tool.server], std::move(tool.tool), tool.name};
      try {
        add_tool(*tools, proxied, warnings);
      } catch (const std::invalid_argument& clash) {
        warnings << "weir: not served (tool '" << proxied.name << "' of " << proxied.connection->settings().owner()
                 << ": " << clash.what() << ")\n";
      }
    }
    if (finish_) finish_(*tools, warnings);
    return tools;
  }

  // Under mutex_: the lines of `text` not said before.
  std::vector<std::string> remember(const std::string& text) {
    std::vector<std::string> fresh;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (warned_.insert(line).second) fresh.push_back(line);
    return fresh;
  }

  const protocol::ToolSet fixed_;
  const std::vector<McpServerSettings> servers_;
  const std::vector<std::shared_ptr<McpServerConnection>> connections_;
  const FinishToolSet finish_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  CancelToken stop_;
  std::vector<std::shared_ptr<void>> watches_;
  std::mutex mutex_;
  std::vector<std::optional<json>> listed_;  // nullopt: not listed (down at the start)
  std::set<std::string> warned_;
};

}  // namespace

std::shared_ptr<protocol::ToolSetHolder> serve_proxied_servers(protocol::ToolSet fixed,
                                                               const std::vector<McpServerSettings>& servers,
                                                               const std::string& log_directory,
                                                               std::ostream& warnings, FinishToolSet finish) {
  if (servers.empty()) {
    if (finish) finish(fixed, warnings);
    return std::make_shared<protocol::ToolSetHolder>(std::make_shared<const protocol::ToolSet>(std::move(fixed)));
  }
  std::vector<std::shared_ptr<McpServerConnection>> connections;
  for (const auto& settings : servers) connections.push_back(McpServerPool::shared().connection(settings, log_directory));
  auto proxied = std::make_shared<ProxiedTools>(std::move(fixed), servers, connections, std::move(finish));
  proxied->watch();

  // Every server is started and listed at once: a slow one (an `npx` that
  // downloads) delays the start by its own time, not by the sum.
  std::vector<std::future<json>> listings;
  for (const auto& connection : connections)
    listings.push_back(std::async(std::launch::async, [connection] {
      CancelToken never;
      return connection->tools(never);
    }));
  std::vector<json> listed;
  for (size_t index = 0; index < servers.size(); ++index) {
    try {
      listed.push_back(listings[index].get());
    } catch (const Error& error) {
      warnings << "weir: not served (" << servers[index].owner() << " is down: " << error.what() << ")\n";
      listed.push_back(nullptr);
    }
  }
  proxied->start(std::move(listed), warnings);
  // The holder lives as long as what keeps it current.
  return std::shared_ptr<protocol::ToolSetHolder>(proxied, &proxied->holder);
}

}  // namespace weir::mcp
