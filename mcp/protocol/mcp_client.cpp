#include "mcp/protocol/mcp_client.hpp"

#include <algorithm>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/versions.hpp"

namespace weir::mcp::protocol {

namespace {

// How often a waiting call looks at its `cancelled` flag.
constexpr std::chrono::milliseconds kCancelPoll{20};
constexpr size_t kMaxQueuedProgress = 256;
constexpr int kMaxToolPages = 1000;

const nlohmann::json* string_member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? &*found : nullptr;
}

}  // namespace

McpClient::McpClient(std::unique_ptr<ClientTransport> transport)
    : transport_(std::move(transport)), description_(transport_->describe()) {}

McpClient::~McpClient() { transport_->close(); }

bool McpClient::closed() const {
  std::lock_guard lock(mutex_);
  return closed_reason_.has_value();
}

void McpClient::connect(std::chrono::milliseconds timeout, std::function<bool()> cancelled) {
  transport_->start([this](const nlohmann::json& message) { on_message(message); },
                    [this](const std::string& reason, const nlohmann::json& undelivered_id) {
                      on_closed(reason, undelivered_id);
                    });
  nlohmann::json params = {{"protocolVersion", kClientOfferedVersion},
                           {"capabilities", nlohmann::json::object()},
                           {"clientInfo", {{"name", "weir"}, {"version", "1"}}}};
  CallOptions options;
  options.timeout = timeout;
  options.cancelled = std::move(cancelled);
  auto result = request("initialize", std::move(params), options);
  const auto* version = string_member(result, "protocolVersion");
  if (version == nullptr)
    throw ClientError(ClientError::Kind::protocol,
                      "the MCP server " + description_ + " answered initialize without a protocolVersion");
  auto supported = std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version->get<std::string>());
  if (supported == kSupportedVersions.end())
    throw ClientError(ClientError::Kind::protocol, "the MCP server " + description_ + " speaks protocol version " +
                                                       version->get<std::string>() +
                                                       ", which weir does not; use a server that supports " +
                                                       std::string(kClientOfferedVersion));
  protocol_version_ = version->get<std::string>();
  if (result.contains("serverInfo") && result["serverInfo"].is_object()) server_info_ = result["serverInfo"];
  try {
    transport_->send(make_notification("notifications/initialized", nullptr));
  } catch (const TransportError& error) {
    throw ClientError(ClientError::Kind::closed, error.what());
  }
}

nlohmann::json McpClient::list_tools(std::chrono::milliseconds timeout, std::function<bool()> cancelled) {
  auto tools = nlohmann::json::array();
  std::optional<std::string> cursor;
  for (int page = 0; page < kMaxToolPages; ++page) {
    nlohmann::json params = nlohmann::json::object();
    if (cursor) params["cursor"] = *cursor;
    CallOptions options;
    options.timeout = timeout;
    options.cancelled = cancelled;
    auto result = request("tools/list", std::move(params), options);
    if (!result.is_object() || !result.contains("tools") || !result["tools"].is_array())
      throw ClientError(ClientError::Kind::protocol,
                        "the MCP server " + description_ + " answered tools/list without a tools array");
    for (auto& tool : result["tools"]) {
      if (string_member(tool, "name") == nullptr)
        throw ClientError(ClientError::Kind::protocol,
                          "the MCP server " + description_ + " listed a tool without a name: " + tool.dump().substr(0, 200));
      tools.push_back(std::move(tool));
    }
    const auto* next = string_member(result, "nextCursor");
    if (next == nullptr || next->get<std::string>().empty()) return tools;
    if (cursor && *cursor == next->get<std::string>())
      throw ClientError(ClientError::Kind::protocol,
                        "the MCP server " + description_ + " answered tools/list with the same cursor twice");
    cursor = next->get<std::string>();
  }
  throw ClientError(ClientError::Kind::protocol,
                    "the MCP server " + description_ + " listed more than " + std::to_string(kMaxToolPages) + " pages of tools");
}

nlohmann::json McpClient::call_tool(const std::string& name, const nlohmann::json& arguments,
                                    const nlohmann::json& meta, const CallOptions& options) {
  nlohmann::json params = {{"name", name},
                           {"arguments", arguments.is_object() ? arguments : nlohmann::json::object()}};
  params["_meta"] = meta.is_object() ? meta : nlohmann::json::object();
  auto result = request("tools/call", std::move(params), options);
  if (!result.is_object())
    throw ClientError(ClientError::Kind::protocol,
                      "the MCP server " + description_ + " answered tools/call for '" + name + "' with a non-object");
  return result;
}

nlohmann::json McpClient::request(const std::string& method, nlohmann::json params, const CallOptions& options) {
  auto pending = std::make_shared<Pending>();
  int64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_reason_) throw ClientError(ClientError::Kind::closed, *closed_reason_);
    id = next_id_++;
    if (options.on_progress) {
      pending->progress_token = "weir-" + std::to_string(id);
      if (!params.is_object()) params = nlohmann::json::object();
      params["_meta"]["progressToken"] = pending->progress_token;
    }
    pending_[id] = pending;
  }
  auto forget = [&] {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
  };
  nlohmann::json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  try {
    transport_->send(message);
  } catch (const TransportError& error) {
    forget();
    throw ClientError(ClientError::Kind::closed, error.what());
  }

  auto cancel_remote = [&](const std::string& reason) {
    forget();
    try {
      transport_->send(make_notification("notifications/cancelled", {{"requestId", id}, {"reason", reason}}));
    } catch (const TransportError&) {
      // The server is gone: nothing to cancel.
    }
  };
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!pending->progress.empty()) {
      // Handed over unlocked: the caller may take its time (write to a socket).
      auto updates = std::move(pending->progress);
      pending->progress.clear();
      lock.unlock();
      for (const auto& update : updates) options.on_progress(update);
      lock.lock();
      continue;
    }
    if (pending->response) break;
    if (closed_reason_) {
      pending_.erase(id);
      ClientError closed(ClientError::Kind::closed, *closed_reason_);
      if (!pending->undelivered) closed.after_send();
      throw closed;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      lock.unlock();
      cancel_remote("timed out");
      throw ClientError(ClientError::Kind::timeout,
                        "the MCP server " + description_ + " did not answer " + method + " within " +
                            std::to_string(options.timeout.count()) + " ms; raise timeout_ms or check the server");
    }
    if (options.cancelled && options.cancelled()) {
      lock.unlock();
      cancel_remote("the caller cancelled");
      throw ClientError(ClientError::Kind::cancelled, "cancelled");
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (options.cancelled) wait = std::min(wait, kCancelPoll);
    changed_.wait_for(lock, wait);
  }
  pending_.erase(id);
  auto response = std::move(*pending->response);
  lock.unlock();
  if (response.contains("error")) {
    const auto& error = response["error"];
    int code = error.is_object() && error.contains("code") && error["code"].is_number_integer() ? error["code"].get<int>() : 0;
    const auto* text = string_member(error, "message");
    throw ClientError(ClientError::Kind::remote,
                      "the MCP server " + description_ + " refused " + method + ": " +
                          (text ? text->get<std::string>() : error.dump().substr(0, 200)),
                      code);
  }
  return response.contains("result") ? response["result"] : nlohmann::json::object();
}

void McpClient::on_message(const nlohmann::json& message) {
  auto incoming = classify(message);
  switch (incoming.kind) {
    case MessageKind::response: {
      if (!incoming.id.is_number_integer()) return;
      std::lock_guard lock(mutex_);
      auto found = pending_.find(incoming.id.get<int64_t>());
      if (found == pending_.end()) return;  // a call that already gave up
      found->second->response = message;
      changed_.notify_all();
      return;
    }
    case MessageKind::notification: {
      if (incoming.method == "notifications/tools/list_changed") {
        ++tool_list_changes_;
        if (on_tools_changed_) on_tools_changed_();
      } else if (incoming.method == "notifications/progress") {
        const auto* token = string_member(incoming.params, "progressToken");
        if (token == nullptr) return;
        std::lock_guard lock(mutex_);
        for (const auto& [id, pending] : pending_)
          if (!pending->progress_token.empty() && pending->progress_token == token->get<std::string>()) {
            // Bounded: a server flooding progress cannot grow this without end.
            if (pending->progress.size() < kMaxQueuedProgress) pending->progress.push_back(incoming.params);
            changed_.notify_all();
          }
      }
      return;
    }
    case MessageKind::request:
      answer_server_request(incoming.id, incoming.method);
      return;
    case MessageKind::invalid:
      return;
  }
}

void McpClient::answer_server_request(const nlohmann::json& id, const std::string& method) {
  try {
    if (method == "ping")
      transport_->send(make_result(id, nlohmann::json::object()));
    else
      transport_->send(make_error(id, error_code::method_not_found, "weir's MCP client does not offer " + method));
  } catch (const TransportError&) {
    // The server is gone; the waiting calls learn it from on_closed.
  }
}

void McpClient::on_closed(const std::string& reason, const nlohmann::json& undelivered_id) {
  std::lock_guard lock(mutex_);
  if (undelivered_id.is_number_integer())
    if (auto found = pending_.find(undelivered_id.get<int64_t>()); found != pending_.end())
      found->second->undelivered = true;
  if (!closed_reason_) closed_reason_ = reason;
  changed_.notify_all();
}

}  // namespace weir::mcp::protocol
