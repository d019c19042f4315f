#include "core/tools/mcp_server_pool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "core/error.hpp"
#include "core/redaction.hpp"
#include "core/store/private_files.hpp"
#include "core/tools/mcp_http_transport.hpp"
#include "mcp/protocol/mcp_client.hpp"
#include "mcp/protocol/stdio_client_transport.hpp"

namespace weir {

namespace {

using mcp::protocol::ClientError;
using mcp::protocol::McpClient;

// The handshake and tools/list share the per-call limit, at least 10 s: a
// server fetched by npx may take a while to start.
std::chrono::milliseconds setup_timeout(const McpServerSettings& settings) {
  return std::chrono::milliseconds(std::max(settings.timeout_ms, 10'000));
}

// A server flooding its stderr must not fill the disk: past this size the
// log is moved to NAME.log.1 (replacing the one before) and starts again.
constexpr off_t kMostLogBytes = 16 << 20;

void append_line(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;  // a log that cannot be written must not fail the tool
  struct stat status {};
  if (::fstat(fd, &status) == 0 && status.st_size > kMostLogBytes) {
    ::close(fd);
    std::rename(path.c_str(), (path + ".1").c_str());
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
  }
  std::string text = line + "\n";
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
  ::close(fd);
}

}  // namespace

McpServerConnection::McpServerConnection(McpServerSettings settings, std::string log_directory)
    : settings_(std::move(settings)) {
  if (!log_directory.empty()) {
    create_private_directories(log_directory);
    log_path_ = log_directory + "/mcp-" + settings_.name + ".log";
  }
}

McpServerConnection::~McpServerConnection() {
  // The notifier first, while the client it may be listing through is alive;
  // the client's reader sees stopping_ and starts nothing new.
  {
    std::lock_guard lock(notify_mutex_);
    stopping_ = true;
  }
  notify_wake_.notify_all();
  if (notifier_.joinable()) notifier_.join();
  // Then the client (which joins its reader), before the members that
  // reader reaches through tools_changed() are destroyed.
  std::shared_ptr<McpClient> client;
  {
    std::lock_guard lock(mutex_);
    client = std::move(client_);
  }
}

std::shared_ptr<void> McpServerConnection::watch_tools(std::function<void()> listener) {
  return tool_watchers_.add(std::move(listener));
}

void McpServerConnection::tools_changed() {
  if (tool_watchers_.size() == 0) return;  // nobody to tell: the stale mark is enough
  std::lock_guard lock(notify_mutex_);
  if (stopping_) return;
  ++changes_;
  if (!notifier_.joinable()) notifier_ = std::thread([this] { tell_watchers(); });
  notify_wake_.notify_all();
}

void McpServerConnection::tell_watchers() {
  std::unique_lock lock(notify_mutex_);
  uint64_t told = 0;
  while (true) {
    notify_wake_.wait(lock, [&] { return stopping_ || changes_ != told; });
    if (stopping_) return;
    told = changes_;
    lock.unlock();
    tool_watchers_.notify();
    lock.lock();
  }
}

int McpServerConnection::starts() const {
  std::lock_guard lock(mutex_);
  return starts_;
}

void McpServerConnection::fail(const std::exception& error, const std::string& doing) const {
  const auto* client_error = dynamic_cast<const ClientError*>(&error);
  if (client_error != nullptr && client_error->kind() == ClientError::Kind::cancelled)
    throw Error(ErrorKind::interrupted, "cancelled");
  if (const auto* weir_error = dynamic_cast<const Error*>(&error)) throw *weir_error;
  throw Error(ErrorKind::upstream, settings_.owner() + " failed while " + doing + ": " + error.what());
}

std::shared_ptr<McpClient> McpServerConnection::client(const CancelToken& cancel) {
  std::lock_guard lock(mutex_);
  if (client_ && !client_->closed()) return client_;
  client_.reset();
  if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
  std::unique_ptr<mcp::protocol::ClientTransport> transport;
  if (!settings_.command.empty()) {
    auto log_path = log_path_;
    transport = std::make_unique<mcp::protocol::StdioClientTransport>(
        mcp::protocol::StdioServerCommand{settings_.command, settings_.args, settings_.environment,
                                          settings_.working_directory},
        [log_path](const std::string& line) {
          if (!log_path.empty()) append_line(log_path, line);
        });
  } else {
    transport = make_mcp_http_transport(settings_.url, settings_.headers, settings_.timeout_ms + 10'000);
  }
  auto client = std::make_shared<McpClient>(std::move(transport));
  client->on_tools_changed([this] { tools_changed(); });
  ++starts_;
  listed_ = false;
  try {
    // The caller that starts the server may cancel the handshake; the others
    // wait for the lock, and start it themselves if this one gave up.
    client->connect(setup_timeout(settings_), [&cancel] { return cancel.cancelled(); });
  } catch (const std::exception& error) {
    fail(error, "starting (" + std::string(settings_.command.empty() ? "url " + redact_url(settings_.url)
                                                                     : "command " + settings_.command) +
                    "); check the server's settings and its log");
  }
  client_ = client;
  return client_;
}

void McpServerConnection::forget(const std::shared_ptr<McpClient>& broken) {
  std::lock_guard lock(mutex_);
  if (client_ == broken) client_.reset();
}

nlohmann::json McpServerConnection::tools(const CancelToken& cancel) {
  for (int attempt = 0;; ++attempt) {
    auto current = client(cancel);
    {
      std::lock_guard lock(mutex_);
      bool fresh = listed_ && current->tool_list_changes() == listed_changes_ &&
                   std::chrono::steady_clock::now() - listed_at_ < std::chrono::seconds(settings_.cache_seconds);
      if (fresh) return tools_;
    }
    try {
      // A change announced while the list is read makes it stale at once:
      // the list is kept as of the changes counted before it was asked for.
      auto changes_before = current->tool_list_changes();
      auto listed = current->list_tools(setup_timeout(settings_), [&cancel] { return cancel.cancelled(); });
      std::lock_guard lock(mutex_);
      if (client_ == current && (!listed_ || changes_before >= listed_changes_)) {
        tools_ = listed;
        listed_ = true;
        listed_changes_ = changes_before;
        listed_at_ = std::chrono::steady_clock::now();
      }
      return listed;
    } catch (const ClientError& error) {
      if (error.kind() == ClientError::Kind::closed && attempt == 0) {
        forget(current);
        continue;
      }
      fail(error, "listing its tools");
    }
  }
}

nlohmann::json McpServerConnection::call(const std::string& tool, const nlohmann::json& arguments,
                                         const nlohmann::json& meta, const CancelToken& cancel,
                                         std::function<void(const nlohmann::json&)> on_progress) {
  mcp::protocol::CallOptions options;
  options.timeout = std::chrono::milliseconds(settings_.timeout_ms);
  options.cancelled = [cancel] { return cancel.cancelled(); };
  // Always ask for progress: a server may report it, and it shows the call is alive.
  options.on_progress = on_progress ? std::move(on_progress) : [](const nlohmann::json&) {};
  for (int attempt = 0;; ++attempt) {
    auto current = client(cancel);
    try {
      auto result = current->call_tool(tool, arguments, meta, options);
      std::lock_guard lock(mutex_);
      timeouts_in_a_row_ = 0;
      return result;
    } catch (const ClientError& error) {
      if (error.kind() == ClientError::Kind::closed) {
        forget(current);
        // A server found gone before the call reached it is started again
        // and the call sent, once. One that went away while the call ran
        // may have acted on it: sending it again could run it twice.
        if (!error.request_sent() && attempt == 0) continue;
        if (error.request_sent())
          throw Error(ErrorKind::upstream, settings_.owner() + " went away while running the tool '" + tool + "' (" +
                                               error.what() +
                                               "); it may have run, so weir did not send it again. The next call "
                                               "starts the server again");
      }
      if (error.kind() == ClientError::Kind::timeout) {
        // A server that is alive but answers nothing is as good as crashed:
        // after a second call in a row times out, the next call starts it again.
        bool restart = false;
        {
          std::lock_guard lock(mutex_);
          restart = ++timeouts_in_a_row_ >= kTimeoutsBeforeRestart;
          if (restart) timeouts_in_a_row_ = 0;
        }
        if (restart) forget(current);
        throw Error(ErrorKind::upstream_timeout,
                    settings_.owner() + ": the tool '" + tool + "' did not answer within " +
                        std::to_string(settings_.timeout_ms) + " ms (the call was cancelled" +
                        (restart ? "; the server will be started again on the next call" : "") +
                        "); raise the server's timeout_ms or try again");
      }
      fail(error, "running the tool '" + tool + "'");
    }
  }
}

McpServerPool& McpServerPool::shared() {
  static McpServerPool pool;
  return pool;
}

std::shared_ptr<McpServerConnection> McpServerPool::connection(const McpServerSettings& settings,
                                                               const std::string& log_directory) {
  std::lock_guard lock(mutex_);
  auto& connection = connections_[settings.key()];
  if (!connection) connection = std::make_shared<McpServerConnection>(settings, log_directory);
  return connection;
}

void McpServerPool::clear() {
  std::lock_guard lock(mutex_);
  connections_.clear();
}

}  // namespace weir
