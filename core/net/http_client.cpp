#include "core/net/http_client.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>

#include "core/ascii_case.hpp"
#include "core/net/curl_library.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

using Clock = std::chrono::steady_clock;

// How often the transfer loop wakes up to look at the cancel token and the
// idle clock when the server is silent. Bounds how late a cancel is noticed.
constexpr int kWakeUpIntervalMs = 50;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// One easy handle inside one multi handle, per thread. The multi handle owns
// the connection cache, so keeping both alive keeps connections alive.
struct CurlSession {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  bool busy = false;

  CurlSession() = default;
  CurlSession(const CurlSession&) = delete;
  CurlSession& operator=(const CurlSession&) = delete;
  ~CurlSession() {
    if (easy == nullptr && multi == nullptr) return;
    const auto& library = curl::curl_library();
    if (easy != nullptr) library.easy_cleanup(easy);
    if (multi != nullptr) library.multi_cleanup(multi);
  }

  void open() {
    if (easy != nullptr) return;
    const auto& library = curl::curl_library();
    multi = library.multi_init();
    easy = library.easy_init();
    if (multi == nullptr || easy == nullptr)
      throw Error(ErrorKind::runtime,
                  "libcurl could not create a transfer handle (out of memory?)");
  }
};

// What the libcurl callbacks share with the transfer loop.
struct Transfer {
  const HttpBodyCallback* on_body = nullptr;
  HttpResponseHead head;
  Clock::time_point last_activity;
  bool received_any = false;
  std::exception_ptr failure;  // thrown by on_body; rethrown after the transfer
};

size_t on_header_line(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t length = size * count;
  transfer->last_activity = Clock::now();
  transfer->received_any = true;
  std::string_view line = trim(std::string_view(data, length));
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line: an interim (1xx) or earlier response is over.
    transfer->head.headers.clear();
    auto space = line.find(' ');
    transfer->head.status = 0;
    if (space != std::string_view::npos)
      for (char digit : line.substr(space + 1, 3))
        if (digit >= '0' && digit <= '9')
          transfer->head.status = transfer->head.status * 10 + (digit - '0');
    return length;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return length;
  try {  // allocation may throw, and nothing may unwind through libcurl
    transfer->head.headers.emplace_back(ascii_lowercase(trim(line.substr(0, colon))),
                                        std::string(trim(line.substr(colon + 1))));
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;
  }
  return length;
}

size_t on_body_bytes(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t length = size * count;
  transfer->last_activity = Clock::now();
  transfer->received_any = true;
  // Exceptions must not unwind through libcurl's C frames: park the exception
  // and return a short count, which makes libcurl abort the transfer.
  try {
    (*transfer->on_body)(transfer->head, std::string_view(data, length));
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;
  }
  return length;
}

bool is_connection_failure(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// The URL as error messages show it: they reach HTTP clients, MCP clients and
// the request log, so credentials in it are redacted (core/redaction.hpp).
std::string printable_url(const HttpRequest& request) { return redact_url(request.url); }

[[noreturn]] void throw_transfer_failure(CURLcode code, const char* error_buffer,
                                         const HttpRequest& request, const Transfer& transfer) {
  // libcurl's own text names hosts, not whole URLs, but it is passed through
  // the same rule in case a version of it does.
  std::string detail = redact_urls_in_text(error_buffer[0] != '\0'
                                               ? std::string(error_buffer)
                                               : std::string(curl::curl_library().easy_strerror(code)));
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      throw HttpConnectionError::unsent(ErrorKind::upstream, "could not connect to " + printable_url(request) + ": " +
                                                                 detail + "; is the service running?");
    case CURLE_OPERATION_TIMEDOUT:
      // Our own idle check normally fires long before libcurl's low-speed
      // backstop, so a libcurl timeout with no byte received is the connect
      // timeout.
      if (!transfer.received_any)
        throw HttpConnectionError(ErrorKind::upstream_timeout,
                                  "could not connect to " + printable_url(request) + " within " +
                                      std::to_string(request.connect_timeout_ms) +
                                      " ms (connect timeout): " + detail +
                                      "; is the service running?");
      throw Error(ErrorKind::upstream_timeout, printable_url(request) + " sent nothing for " +
                                                   std::to_string(request.idle_timeout_ms) +
                                                   " ms (idle timeout): " + detail);
    default:
      break;
  }
  if (is_connection_failure(code))
    throw HttpConnectionError(ErrorKind::upstream,
                              "the connection to " + printable_url(request) + " failed: " + detail);
  throw Error(ErrorKind::upstream, "request to " + printable_url(request) + " failed: " + detail);
}

curl_slist* build_header_list(const HttpRequest& request) {
  const auto& library = curl::curl_library();
  curl_slist* list = nullptr;
  auto append = [&](const std::string& line) {
    curl_slist* extended = library.slist_append(list, line.c_str());
    if (extended == nullptr) {
      library.slist_free_all(list);
      throw Error(ErrorKind::runtime, "out of memory building HTTP headers");
    }
    list = extended;
  };
  for (const auto& [name, value] : request.headers)
    // libcurl drops "Name:" with nothing after it; "Name;" sends it empty.
    append(value.empty() ? name + ";" : name + ": " + value);
  // Without this libcurl waits for "100 Continue" before sending large bodies,
  // which many model servers never send.
  append("Expect:");
  return list;
}

void configure(CURL* easy, const HttpRequest& request, Transfer& transfer, curl_slist* headers, curl_slist* pins,
               char* error_buffer) {
  using namespace curl;
  set_string_option(easy, CURLOPT_URL, request.url.c_str());
  set_long_option(easy, CURLOPT_NOSIGNAL, 1L);
  set_long_option(easy, CURLOPT_TCP_NODELAY, 1L);
  set_string_option(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  set_string_option(easy, CURLOPT_USERAGENT, "weir/" WEIR_VERSION);
  set_long_option(easy, CURLOPT_CONNECTTIMEOUT_MS, std::max(1, request.connect_timeout_ms));
  // Only a backstop: the transfer loop enforces the idle timeout precisely.
  set_long_option(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  set_long_option(easy, CURLOPT_LOW_SPEED_TIME, std::max(1, request.idle_timeout_ms / 1000 + 2));
  set_pointer_option(easy, CURLOPT_ERRORBUFFER, error_buffer);
  set_list_option(easy, CURLOPT_HTTPHEADER, headers);
  if (pins != nullptr) {
    set_list_option(easy, CURLOPT_RESOLVE, pins);
    set_string_option(easy, CURLOPT_NOPROXY, "*");
  }
  set_write_callback(easy, CURLOPT_HEADERFUNCTION, on_header_line);
  set_pointer_option(easy, CURLOPT_HEADERDATA, &transfer);
  set_write_callback(easy, CURLOPT_WRITEFUNCTION, on_body_bytes);
  set_pointer_option(easy, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "GET") {
    set_long_option(easy, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method == "POST") {
      set_long_option(easy, CURLOPT_POST, 1L);
    } else {
      set_string_option(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty() || request.method == "POST") {
      set_offset_option(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                        static_cast<curl_off_t>(request.body.size()));
      set_string_option(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }
}

// Runs one transfer on the given session; the session must be open and idle.
HttpResponseHead run_transfer(CurlSession& session, const HttpRequest& request,
                              const HttpBodyCallback& on_body, const CancelToken& cancel) {
  const auto& library = curl::curl_library();
  Transfer transfer;
  transfer.on_body = &on_body;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  library.easy_reset(session.easy);
  curl_slist* headers = build_header_list(request);
  struct Cleanup {
    const curl::CurlLibrary& library;
    CurlSession& session;
    curl_slist* headers;
    curl_slist* pins = nullptr;
    bool added = false;
    ~Cleanup() {
      // Removing a handle mid-transfer closes its connection, so an aborted
      // answer never leaves half a response on a reused connection.
      if (added) library.multi_remove_handle(session.multi, session.easy);
      library.slist_free_all(headers);
      if (pins != nullptr) library.slist_free_all(pins);
    }
  } cleanup{library, session, headers};
  for (const auto& pin : request.pinned_addresses) {
    curl_slist* extended = library.slist_append(cleanup.pins, pin.c_str());
    if (extended == nullptr) throw Error(ErrorKind::runtime, "out of memory building HTTP address pins");
    cleanup.pins = extended;
  }
  configure(session.easy, request, transfer, headers, cleanup.pins, error_buffer.data());

  if (CURLMcode code = library.multi_add_handle(session.multi, session.easy); code != CURLM_OK)
    throw Error(ErrorKind::runtime, std::string("libcurl: ") + library.multi_strerror(code));
  cleanup.added = true;

  const auto idle_limit = std::chrono::milliseconds(std::max(1, request.idle_timeout_ms));
  const auto started = Clock::now();
  const auto total_limit = std::chrono::milliseconds(request.total_timeout_ms);
  transfer.last_activity = started;
  int running = 1;
  while (true) {
    if (CURLMcode code = library.multi_perform(session.multi, &running); code != CURLM_OK)
      throw Error(ErrorKind::runtime, std::string("libcurl: ") + library.multi_strerror(code));
    if (transfer.failure) std::rethrow_exception(transfer.failure);
    if (running == 0) break;
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    auto silent_for = Clock::now() - transfer.last_activity;
    if (silent_for >= idle_limit)
      throw Error(ErrorKind::upstream_timeout,
                  printable_url(request) + " sent nothing for " + std::to_string(request.idle_timeout_ms) +
                      " ms (idle timeout); the upstream may be stuck or overloaded; raise the "
                      "provider's idle_timeout_ms if the model is just slow");
    auto elapsed = Clock::now() - started;
    if (request.total_timeout_ms > 0 && elapsed >= total_limit)
      throw Error(ErrorKind::upstream_timeout,
                  printable_url(request) + " did not finish its answer within " + std::to_string(request.total_timeout_ms) +
                      " ms (total timeout), though it kept the connection busy; raise the provider's "
                      "total_timeout_ms (`weir provider add NAME --total-timeout MS`) if the model is just slow");
    auto remaining = std::chrono::ceil<std::chrono::milliseconds>(idle_limit - silent_for).count();
    if (request.total_timeout_ms > 0)
      remaining = std::min<long long>(remaining,
                                      std::chrono::ceil<std::chrono::milliseconds>(total_limit - elapsed).count());
    int wait_ms =
        static_cast<int>(std::min<long long>(kWakeUpIntervalMs, std::max<long long>(1, remaining)));
    if (CURLMcode code = library.multi_poll(session.multi, nullptr, 0, wait_ms, nullptr);
        code != CURLM_OK)
      throw Error(ErrorKind::runtime, std::string("libcurl: ") + library.multi_strerror(code));
  }

  CURLcode result = CURLE_OK;
  int queued = 0;
  while (CURLMsg* message = library.multi_info_read(session.multi, &queued))
    if (message->msg == CURLMSG_DONE && message->easy_handle == session.easy)
      result = message->data.result;
  if (result != CURLE_OK) throw_transfer_failure(result, error_buffer.data(), request, transfer);
  if (transfer.head.status == 0)
    transfer.head.status =
        static_cast<int>(curl::get_long_info(session.easy, CURLINFO_RESPONSE_CODE));
  return std::move(transfer.head);
}

}  // namespace

std::optional<std::string> HttpResponseHead::header(std::string_view name) const {
  std::string wanted = ascii_lowercase(name);
  for (const auto& [key, value] : headers)
    if (key == wanted) return value;
  return std::nullopt;
}

HttpResponseHead send_http_request(const HttpRequest& request, const HttpBodyCallback& on_body,
                                   const CancelToken& cancel) {
  if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
  thread_local CurlSession session;
  if (session.busy) {
    // A body callback that itself makes a request (a tool call answered by
    // another upstream) must not disturb the transfer in progress.
    CurlSession nested;
    nested.open();
    nested.busy = true;
    return run_transfer(nested, request, on_body, cancel);
  }
  session.open();
  session.busy = true;
  struct Release {
    CurlSession& session;
    ~Release() { session.busy = false; }
  } release{session};
  return run_transfer(session, request, on_body, cancel);
}

HttpResponse fetch_http(const HttpRequest& request, const CancelToken& cancel,
                        size_t max_body_bytes) {
  HttpResponse response;
  response.head = send_http_request(
      request,
      [&](const HttpResponseHead&, std::string_view bytes) {
        if (response.body.size() + bytes.size() > max_body_bytes)
          throw Error(ErrorKind::upstream, "the response from " + printable_url(request) + " is larger than " +
                                               std::to_string(max_body_bytes >> 20) +
                                               " MiB; refusing to read more");
        response.body.append(bytes);
      },
      cancel);
  return response;
}

}  // namespace weir
