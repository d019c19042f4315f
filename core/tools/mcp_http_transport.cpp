#include "core/tools/mcp_http_transport.hpp"

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include "core/cancellation.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/outbound_values.hpp"
#include "core/redaction.hpp"
#include "mcp/protocol/json_rpc.hpp"

namespace weir {

namespace {

using nlohmann::json;

// Splits an SSE byte stream into events and hands each event's data on.
class EventStreamReader {
 public:
  explicit EventStreamReader(std::function<void(const std::string& data)> on_data) : on_data_(std::move(on_data)) {}
  void feed(std::string_view bytes) {
    buffer_.append(bytes);
    size_t newline;
    while ((newline = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) {
        dispatch();
      } else if (line.rfind("data:", 0) == 0) {
        std::string value = line.substr(5);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (!data_.empty()) data_ += "\n";
        data_ += value;
      }
    }
    // Checked after every read: a server sending bytes with no line end, or
    // data lines with no blank line, must not grow these without end.
    if (buffer_.size() + data_.size() > (size_t{64} << 20))
      throw Error(ErrorKind::upstream, "an MCP event larger than 64 MB");
  }
  void finish() { dispatch(); }

 private:
  void dispatch() {
    if (!data_.empty()) on_data_(data_);
    data_.clear();
  }
  std::function<void(const std::string&)> on_data_;
  std::string buffer_, data_;
};

class HttpClientTransport final : public mcp::protocol::ClientTransport {
 public:
  HttpClientTransport(std::string url, const std::vector<std::string>& headers, int longest_call_ms)
      : url_(std::move(url)), longest_call_ms_(longest_call_ms) {
    for (const auto& entry : headers) {
      auto colon = entry.find(':');
      std::string value = entry.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      // ${NAME} is read from weir's environment when the server is reached,
      // so a credential lives there and not in the stored record.
      auto name = entry.substr(0, colon);
      headers_.emplace_back(name, resolve_environment_references(value, "MCP server header '" + name + "'"));
    }
  }
  ~HttpClientTransport() override { close(); }

  void start(MessageHandler on_message, ClosedHandler on_closed) override {
    on_message_ = std::move(on_message);
    on_closed_ = std::move(on_closed);
  }

  void send(const json& message) override {
    std::lock_guard lock(mutex_);
    if (closing_) throw mcp::protocol::TransportError("the MCP session with " + describe() + " is closed");
    // Reap the POSTs that finished.
    for (auto it = posts_.begin(); it != posts_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = posts_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    posts_.push_back({std::thread([this, message, done] {
                        post(message);
                        done->store(true);
                      }),
                      done});
  }

  void close() override {
    std::list<Post> posts;
    std::string session;
    {
      std::lock_guard lock(mutex_);
      if (closing_) return;
      closing_ = true;
      cancel_.cancel();
      posts.swap(posts_);
      session = session_id_;
    }
    for (auto& post : posts) post.thread.join();
    if (session.empty()) return;
    HttpRequest request;
    request.method = "DELETE";
    request.url = url_;
    request.headers = headers_;
    request.headers.emplace_back("Mcp-Session-Id", session);
    request.connect_timeout_ms = 2'000;
    request.total_timeout_ms = 2'000;
    try {
      fetch_http(request, CancelToken(), 64 << 10);
    } catch (const Error&) {
      // The server may be gone already; the session ends with it.
    }
  }

  std::string describe() const override { return redact_url(url_); }

 private:
  struct Post {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void deliver(const std::string& text) {
    auto parsed = read_json(text);
    if (!parsed.ok()) return;
    auto deliver_one = [this](const json& message) {
      if (message.is_object() && message.contains("result") && message["result"].is_object() &&
          message["result"].contains("protocolVersion") && message["result"]["protocolVersion"].is_string()) {
        std::lock_guard lock(mutex_);
        protocol_version_ = message["result"]["protocolVersion"].get<std::string>();
      }
      on_message_(message);
    };
    if (parsed.value.is_array())
      for (const auto& message : parsed.value) deliver_one(message);
    else
      deliver_one(parsed.value);
  }

  void post(const json& message) {
    HttpRequest request;
    request.method = "POST";
    request.url = url_;
    request.headers = headers_;
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("Accept", "application/json, text/event-stream");
    {
      std::lock_guard lock(mutex_);
      if (!session_id_.empty()) request.headers.emplace_back("Mcp-Session-Id", session_id_);
      if (!protocol_version_.empty()) request.headers.emplace_back("MCP-Protocol-Version", protocol_version_);
    }
    request.body = message.dump(-1, ' ', false, json::error_handler_t::replace);
    // The client stops waiting at its per-call timeout; this bounds the POST
    // itself, so a server that keeps the stream open cannot hold a thread.
    request.idle_timeout_ms = longest_call_ms_;
    request.total_timeout_ms = longest_call_ms_;
    json id = message.contains("id") ? message["id"] : json(nullptr);
    std::string error_body;
    bool event_stream = false;
    EventStreamReader events([this](const std::string& data) { deliver(data); });
    try {
      auto head = send_http_request(
          request,
          [&](const HttpResponseHead& response, std::string_view bytes) {
            if (response.status / 100 != 2) {
              if (error_body.size() < 4096) error_body.append(bytes.substr(0, 4096 - error_body.size()));
              return;
            }
            auto type = response.header("content-type").value_or("");
            event_stream = type.find("text/event-stream") != std::string::npos;
            if (event_stream) {
              events.feed(bytes);
            } else {
              error_body.append(bytes);  // a JSON body, delivered whole at the end
              if (error_body.size() > (size_t{64} << 20)) throw Error(ErrorKind::upstream, "an MCP answer over 64 MB");
            }
          },
          cancel_);
      if (auto session = head.header("mcp-session-id"); session && !session->empty()) {
        std::lock_guard lock(mutex_);
        session_id_ = *session;
      }
      if (head.status / 100 == 2) {
        if (event_stream)
          events.finish();
        else if (!error_body.empty())
          deliver(error_body);
        return;
      }
      bool session_gone = head.status == 404 && request_has_session(request);
      if (session_gone) {
        // The server refused the request for its session: it did not run it.
        if (on_closed_) on_closed_("the MCP server " + describe() + " ended the session (HTTP 404)", id);
        return;
      }
      if (!id.is_null())
        on_message_(mcp::protocol::make_error(id, mcp::protocol::error_code::internal_error,
                                              "HTTP " + std::to_string(head.status) + ": " + error_body.substr(0, 500)));
    } catch (const Error& error) {
      if (cancel_.cancelled()) return;
      if (dynamic_cast<const HttpConnectionError*>(&error) != nullptr) {
        // Only a request that never got a connection is known not to have arrived.
        auto* connection = dynamic_cast<const HttpConnectionError*>(&error);
        if (on_closed_)
          on_closed_("cannot reach the MCP server " + describe() + ": " + error.what(),
                     connection->before_request_sent() ? id : json(nullptr));
        return;
      }
      if (!id.is_null())
        on_message_(mcp::protocol::make_error(id, mcp::protocol::error_code::internal_error, error.what()));
    }
  }

  static bool request_has_session(const HttpRequest& request) {
    for (const auto& [name, value] : request.headers)
      if (name == "Mcp-Session-Id") return true;
    return false;
  }

  std::string url_;
  int longest_call_ms_;
  std::vector<std::pair<std::string, std::string>> headers_;
  MessageHandler on_message_;
  ClosedHandler on_closed_;
  std::mutex mutex_;
  bool closing_ = false;
  std::string session_id_;
  std::string protocol_version_;
  CancelToken cancel_;
  std::list<Post> posts_;
};

}  // namespace

std::unique_ptr<mcp::protocol::ClientTransport> make_mcp_http_transport(const std::string& url,
                                                                        const std::vector<std::string>& headers,
                                                                        int longest_call_ms) {
  return std::make_unique<HttpClientTransport>(url, headers, longest_call_ms);
}

}  // namespace weir
