// weir_bench_serve: what `weir serve` adds on the way to a model, beside
// Portkey's open-source gateway (npm `@portkey-ai/gateway`, tests/peers)
// doing the same job in the same run.
//
// Three targets answer the same POST /v1/chat/completions:
//   direct   a fake OpenAI-compatible upstream in this process (epoll, one
//            thread, canned answers written at once), the baseline;
//   weir     `weir serve` with a gateway on that fake upstream;
//   portkey  the Portkey gateway under node, routed to the same fake with
//            x-portkey-provider: openai and x-portkey-custom-host.
// A load generator (a thread and a keep-alive connection per client) times,
// at concurrency 1 and 64, whole non-streamed answers and the time to the
// first token of streamed ones (the first content delta's text in the
// decoded body), and counts requests per second at 64. Targets take turns
// within each round so machine noise falls on all of them; added latency is
// a target's percentile minus direct's. VmRSS of both gateways is read after
// start and sampled during the 64-client runs.
// Prints one JSON object on stdout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "bench/process_timing.hpp"
#include "bench/temporary_directory.hpp"

namespace {

using namespace weir::bench;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr double kGoalAddedP50Ms = 0.3;
constexpr double kGoalAddedP99Ms = 1.0;
constexpr double kGoalThroughputOverPortkey = 3.0;
constexpr double kGoalIdleRssMb = 15.0;
// Issue 15: a fallback gateway whose first target is healthy costs at most
// 5 µs p50 over a plain one; with the first target failing fast (connection
// refused), the second's answer comes within 2 ms of the failure.
constexpr double kGoalRoutingOverheadUs = 5.0;
constexpr double kGoalFailoverMs = 2.0;
// Issue 18: limits and a budget on a gateway (counted in the store by every
// request) add at most 20 µs p50 over a plain gateway.
constexpr double kGoalLimitsOverheadUs = 20.0;
// Issue 18: a response cache hit answers through `weir serve` in at most
// 300 µs p50 (the whole request as the client times it, not added latency).
constexpr double kGoalCacheHitP50Us = 300.0;

// The first streamed content delta; its arrival is the first token.
constexpr std::string_view kFirstToken = "Hello";
constexpr std::string_view kAnswer = "Hello from the fake upstream.";

[[noreturn]] void fail_with_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

double elapsed_ms(Clock::time_point start, Clock::time_point end = Clock::now()) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The value of a header in a lower-cased head, or nullopt.
std::optional<std::string> header_value(const std::string& lowered_head, std::string_view name) {
  std::string needle = "\r\n" + std::string(name) + ":";
  auto at = lowered_head.find(needle);
  if (at == std::string::npos) return std::nullopt;
  auto start = at + needle.size();
  auto end = lowered_head.find("\r\n", start);
  auto value = lowered_head.substr(start, end - start);
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t") + 1);
  return value;
}

int listen_on_loopback(int port, int& bound_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail_with_errno("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 1024) != 0)
    fail_with_errno("bind/listen on 127.0.0.1");
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  bound_port = ntohs(address.sin_port);
  return fd;
}

// A port nobody uses now, for a peer that must be told its port up front.
int free_port() {
  int port = 0;
  ::close(listen_on_loopback(0, port));
  return port;
}

// ---------------------------------------------------------------------------
// The fake upstream: one epoll thread, non-blocking sockets, keep-alive, and
// answers built once up front, so each request costs it a parse and a write.
class FakeUpstream {
 public:
  FakeUpstream() {
    listen_fd_ = listen_on_loopback(0, port_);
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || stop_fd_ < 0) fail_with_errno("epoll/eventfd");
    add(listen_fd_, EPOLLIN);
    add(stop_fd_, EPOLLIN);
    build_answers();
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeUpstream() {
    uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, connection] : connections_) ::close(fd);
    ::close(listen_fd_);
    ::close(epoll_fd_);
    ::close(stop_fd_);
  }
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const { return port_; }
  uint64_t plain_requests() const { return plain_requests_.load(); }
  uint64_t streamed_requests() const { return streamed_requests_.load(); }
  uint64_t connections_accepted() const { return accepted_.load(); }

 private:
  struct Connection {
    std::string in;
    std::string out;
    size_t out_sent = 0;
    bool continue_sent = false;
    bool writing = false;  // EPOLLOUT armed
  };

  void add(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) fail_with_errno("epoll_ctl");
  }

  void build_answers() {
    json usage = {{"prompt_tokens", 9}, {"completion_tokens", 6}, {"total_tokens", 15}};
    json completion = {{"id", "chatcmpl-fake"},
                       {"object", "chat.completion"},
                       {"created", 1700000000},
                       {"model", "fake-model"},
                       {"choices", json::array({{{"index", 0},
                                                 {"message", {{"role", "assistant"}, {"content", kAnswer}}},
                                                 {"finish_reason", "stop"}}})},
                       {"usage", usage}};
    auto body = completion.dump();
    plain_answer_ = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;

    auto chunk = [](json delta, json finish_reason) {
      return json{{"id", "chatcmpl-fake"},
                  {"object", "chat.completion.chunk"},
                  {"created", 1700000000},
                  {"model", "fake-model"},
                  {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}})}}
          .dump();
    };
    std::vector<std::string> payloads = {chunk({{"role", "assistant"}, {"content", ""}}, nullptr)};
    for (std::string_view piece : {"Hello", " from", " the", " fake", " upstream."})
      payloads.push_back(chunk({{"content", piece}}, nullptr));
    payloads.push_back(chunk(json::object(), "stop"));
    payloads.push_back(json{{"id", "chatcmpl-fake"},
                            {"object", "chat.completion.chunk"},
                            {"created", 1700000000},
                            {"model", "fake-model"},
                            {"choices", json::array()},
                            {"usage", usage}}
                           .dump());
    payloads.push_back("[DONE]");
    // One HTTP chunk per event, as a streaming server writes them; all in one
    // write, since the fake answers at once.
    streamed_answer_ =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (const auto& payload : payloads) {
      auto event = "data: " + payload + "\n\n";
      char size_line[24];
      std::snprintf(size_line, sizeof size_line, "%zx\r\n", event.size());
      streamed_answer_ += size_line + event + "\r\n";
    }
    streamed_answer_ += "0\r\n\r\n";
  }

  void loop() {
    epoll_event events[128];
    while (true) {
      int count = ::epoll_wait(epoll_fd_, events, 128, -1);
      if (count < 0) {
        if (errno == EINTR) continue;
        return;
      }
      for (int index = 0; index < count; ++index) {
        int fd = events[index].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          accept_all();
          continue;
        }
        auto found = connections_.find(fd);
        if (found == connections_.end()) continue;
        bool open = true;
        if (events[index].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) open = read_requests(fd, found->second);
        if (open) open = flush(fd, found->second);
        if (!open) {
          ::close(fd);
          connections_.erase(found);
        }
      }
    }
  }

  void accept_all() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connections_.emplace(fd, Connection{});
      add(fd, EPOLLIN | EPOLLRDHUP);
      ++accepted_;
    }
  }

  // Reads what is there and queues an answer for every complete request;
  // false when the peer has closed or sent something this fake cannot frame.
  bool read_requests(int fd, Connection& connection) {
    char buffer[65536];
    while (true) {
      auto count = ::read(fd, buffer, sizeof buffer);
      if (count > 0) {
        connection.in.append(buffer, static_cast<size_t>(count));
        continue;
      }
      if (count == 0) return false;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    while (true) {
      auto head_end = connection.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return true;
      auto head = lower(connection.in.substr(0, head_end));
      if (header_value(head, "transfer-encoding")) {
        // Neither libcurl nor node's fetch chunk a string body; refuse loudly
        // rather than misread one.
        connection.out += "HTTP/1.1 411 Length Required\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        return flush(fd, connection) && false;
      }
      size_t body_length = 0;
      if (auto length = header_value(head, "content-length")) body_length = std::stoul(*length);
      if (connection.in.size() < head_end + 4 + body_length) {
        // libcurl waits for this before sending a large body.
        if (!connection.continue_sent && header_value(head, "expect")) {
          connection.out += "HTTP/1.1 100 Continue\r\n\r\n";
          connection.continue_sent = true;
        }
        return true;
      }
      std::string_view body(connection.in.data() + head_end + 4, body_length);
      bool streamed = body.find("\"stream\":true") != std::string_view::npos ||
                      body.find("\"stream\": true") != std::string_view::npos;
      connection.out += streamed ? streamed_answer_ : plain_answer_;
      ++(streamed ? streamed_requests_ : plain_requests_);
      connection.in.erase(0, head_end + 4 + body_length);
      connection.continue_sent = false;
    }
  }

  bool flush(int fd, Connection& connection) {
    while (connection.out_sent < connection.out.size()) {
      auto count = ::send(fd, connection.out.data() + connection.out_sent, connection.out.size() - connection.out_sent,
                          MSG_NOSIGNAL);
      if (count > 0) {
        connection.out_sent += static_cast<size_t>(count);
        continue;
      }
      if (count < 0 && errno == EINTR) continue;
      if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return false;
    }
    bool pending = connection.out_sent < connection.out.size();
    if (!pending) {
      connection.out.clear();
      connection.out_sent = 0;
    }
    if (pending != connection.writing) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0u);
      event.data.fd = fd;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
      connection.writing = pending;
    }
    return true;
  }

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::string plain_answer_;
  std::string streamed_answer_;
  std::unordered_map<int, Connection> connections_;
  std::atomic<uint64_t> plain_requests_{0};
  std::atomic<uint64_t> streamed_requests_{0};
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// The load generator's side of one keep-alive connection: blocking socket,
// one request at a time, the response read in full (Content-Length, chunked,
// or until close).
struct Exchange {
  int status = 0;
  double total_ms = 0;
  double first_token_ms = -1;  // streamed: when kFirstToken appeared in the decoded body
  std::string body;            // decoded
};

class ClientConnection {
 public:
  explicit ClientConnection(int port) : port_(port) {}
  ~ClientConnection() { disconnect(); }
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  Exchange exchange(const std::string& request) {
    if (fd_ < 0) connect_now();
    Exchange result;
    auto start = Clock::now();
    send_all(request);
    inbound_.clear();
    size_t head_end;
    while ((head_end = inbound_.find("\r\n\r\n")) == std::string::npos) read_more();
    auto head = lower(inbound_.substr(0, head_end));
    if (head.size() < 12 || head.compare(0, 5, "http/") != 0) throw std::runtime_error("not an HTTP response: " + head);
    result.status = std::stoi(head.substr(9, 3));
    std::string raw = inbound_.substr(head_end + 4);
    inbound_.clear();
    bool close_after = header_value(head, "connection") == std::optional<std::string>("close");
    auto note_first_token = [&] {
      if (result.first_token_ms < 0 && result.body.find(kFirstToken) != std::string::npos)
        result.first_token_ms = elapsed_ms(start);
    };
    if (auto length = header_value(head, "content-length")) {
      size_t wanted = std::stoul(*length);
      while (raw.size() < wanted) raw += read_chunk();
      result.body = raw.substr(0, wanted);
      note_first_token();
    } else if (header_value(head, "transfer-encoding") == std::optional<std::string>("chunked")) {
      // Decoded as it arrives, so the first token is seen when it lands.
      size_t at = 0;
      while (true) {
        auto line_end = raw.find("\r\n", at);
        if (line_end == std::string::npos) {
          raw += read_chunk();
          continue;
        }
        size_t size = std::stoul(raw.substr(at, line_end - at), nullptr, 16);
        if (size == 0) {
          while (raw.find("\r\n", line_end + 2) == std::string::npos) raw += read_chunk();
          break;
        }
        while (raw.size() < line_end + 2 + size + 2) raw += read_chunk();
        result.body.append(raw, line_end + 2, size);
        at = line_end + 2 + size + 2;
        note_first_token();
      }
    } else {
      close_after = true;
      result.body = raw;
      while (true) {
        auto more = read_chunk(true);
        if (more.empty()) break;
        result.body += more;
        note_first_token();
      }
    }
    result.total_ms = elapsed_ms(start);
    if (close_after) disconnect();
    return result;
  }

 private:
  void connect_now() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail_with_errno("socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{30, 0};  // a stuck target fails the run instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      int saved = errno;
      disconnect();
      errno = saved;
      fail_with_errno("connect to 127.0.0.1:" + std::to_string(port_));
    }
  }
  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send_all(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      auto count = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) fail_with_errno("send to 127.0.0.1:" + std::to_string(port_));
      sent += static_cast<size_t>(count);
    }
  }
  std::string read_chunk(bool end_allowed = false) {
    char buffer[65536];
    while (true) {
      auto count = ::recv(fd_, buffer, sizeof buffer, 0);
      if (count > 0) return std::string(buffer, static_cast<size_t>(count));
      if (count < 0 && errno == EINTR) continue;
      if (count == 0 && end_allowed) return {};
      if (count == 0) throw std::runtime_error("127.0.0.1:" + std::to_string(port_) + " closed the connection mid-response");
      fail_with_errno("recv from 127.0.0.1:" + std::to_string(port_));
    }
  }
  void read_more() { inbound_ += read_chunk(); }

  int port_;
  int fd_ = -1;
  std::string inbound_;
};

// ---------------------------------------------------------------------------
// Child processes: started with fork/exec so that each one gets
// PR_SET_PDEATHSIG and dies with the benchmark, even when the benchmark is
// killed; stopped with SIGTERM (then SIGKILL) by the destructor otherwise.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& arguments, const std::string& log_path) : arguments_(arguments) {
    std::vector<char*> pointers;
    for (auto& argument : arguments_) pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null_input = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null_input < 0) fail_with_errno("open " + log_path);
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) fail_with_errno("fork");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(null_input, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execv(pointers[0], pointers.data());
      ::_exit(127);
    }
    ::close(log);
    ::close(null_input);
  }
  ~ChildProcess() {
    try {
      stop();
    } catch (...) {
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }
  // SIGTERM, up to `grace` to leave, then SIGKILL; the exit status (128 +
  // signal when killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (!running()) return exit_status_;
    ::kill(pid_, SIGTERM);
    auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
      if (!running()) return exit_status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_status_ = 128 + SIGKILL;
    return exit_status_;
  }
  const std::vector<std::string>& arguments() const { return arguments_; }

 private:
  std::vector<std::string> arguments_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

std::string read_file(const std::string& path) {
  std::ifstream input(path);
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

// VmRSS of a process in MB, or -1 when it is gone.
double resident_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

// Samples VmRSS of some processes every 20 ms while alive; keeps the maximum.
class ResidentSampler {
 public:
  explicit ResidentSampler(std::vector<pid_t> pids) : pids_(std::move(pids)), peaks_(pids_.size(), 0) {
    thread_ = std::thread([this] {
      while (!done_.load()) {
        sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      sample();
    });
  }
  ~ResidentSampler() { finish(); }
  ResidentSampler(const ResidentSampler&) = delete;
  ResidentSampler& operator=(const ResidentSampler&) = delete;
  void finish() {
    if (thread_.joinable()) {
      done_ = true;
      thread_.join();
    }
  }
  double peak(pid_t pid) const {
    for (size_t index = 0; index < pids_.size(); ++index)
      if (pids_[index] == pid) return peaks_[index];
    return -1;
  }

 private:
  void sample() {
    for (size_t index = 0; index < pids_.size(); ++index) peaks_[index] = std::max(peaks_[index], resident_mb(pids_[index]));
  }
  std::vector<pid_t> pids_;
  std::vector<double> peaks_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

std::string load_average() {
  auto text = read_file("/proc/loadavg");
  return text.substr(0, text.find(' ', text.find(' ', text.find(' ') + 1) + 1));
}

// ---------------------------------------------------------------------------

struct Target {
  std::string name;
  int port = 0;
  std::string model;
  std::vector<std::string> extra_headers;  // "Name: value"
  pid_t pid = -1;                          // the process whose memory is reported (none for direct)
  bool single_client_only = false;         // measured at concurrency 1 only (the routing figures)
};

std::string chat_request(const Target& target, bool stream) {
  json body = {{"model", target.model}, {"messages", json::array({{{"role", "user"}, {"content", "Say hello."}}})}};
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  auto text = body.dump();
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(target.port) +
                        "\r\nContent-Type: application/json\r\nAccept: */*\r\nAuthorization: Bearer bench\r\n";
  for (const auto& header : target.extra_headers) request += header + "\r\n";
  request += "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
  return request;
}

// Fails the run on an answer that is not the fake's: a wrong answer is not a
// fast one.
void check_answer(const Target& target, const Exchange& exchange, bool stream) {
  bool good = exchange.status == 200 &&
              (stream ? exchange.first_token_ms >= 0 && exchange.body.find("[DONE]") != std::string::npos
                      : exchange.body.find(kAnswer) != std::string::npos);
  if (!good)
    throw std::runtime_error(target.name + " answered " + std::to_string(exchange.status) + (stream ? " (stream)" : "") +
                             ": " + exchange.body.substr(0, 400));
}

struct LoadResult {
  std::vector<double> latency_ms;      // whole answers
  std::vector<double> first_token_ms;  // streamed only
  size_t requests = 0;
  double seconds = 0;
};

// `concurrency` clients, each on its own keep-alive connection, send requests
// back to back for `duration` after a few untimed warm-ups each.
LoadResult run_load(const Target& target, int concurrency, bool stream, std::chrono::milliseconds duration) {
  auto request = chat_request(target, stream);
  std::vector<LoadResult> per_client(static_cast<size_t>(concurrency));
  std::latch warmed(concurrency + 1);
  std::latch go(1);  // opened once the deadline is set; waiting on it costs no CPU, unlike a spin
  std::mutex failure_mutex;
  std::string failure;
  Clock::time_point deadline;
  std::vector<std::thread> clients;
  for (int client = 0; client < concurrency; ++client)
    clients.emplace_back([&, client] {
      auto& mine = per_client[static_cast<size_t>(client)];
      bool counted = false;
      try {
        ClientConnection connection(target.port);
        for (int warmup = 0; warmup < 3; ++warmup) check_answer(target, connection.exchange(request), stream);
        warmed.count_down();
        counted = true;
        go.wait();
        while (Clock::now() < deadline) {
          auto exchange = connection.exchange(request);
          check_answer(target, exchange, stream);
          mine.latency_ms.push_back(exchange.total_ms);
          if (stream) mine.first_token_ms.push_back(exchange.first_token_ms);
        }
      } catch (const std::exception& error) {
        std::lock_guard lock(failure_mutex);
        if (failure.empty()) failure = error.what();
        if (!counted) warmed.count_down();  // the others must not wait for this one
      }
    });
  warmed.arrive_and_wait();
  auto start = Clock::now();
  deadline = start + duration;
  go.count_down();
  for (auto& client : clients) client.join();
  double seconds = elapsed_ms(start) / 1000.0;
  if (!failure.empty()) throw std::runtime_error(target.name + ": " + failure);
  LoadResult total;
  total.seconds = seconds;
  for (auto& client : per_client) {
    total.latency_ms.insert(total.latency_ms.end(), client.latency_ms.begin(), client.latency_ms.end());
    total.first_token_ms.insert(total.first_token_ms.end(), client.first_token_ms.begin(), client.first_token_ms.end());
  }
  total.requests = total.latency_ms.size();
  return total;
}

// One client on one keep-alive connection alternating between two targets of
// the same server, request by request, for `duration`: a small difference
// between two gateways (a few microseconds of limits) is otherwise lost in
// the drift of a shared machine between runs of several seconds each.
struct PairedResult {
  std::vector<double> first_ms;
  std::vector<double> second_ms;
};

PairedResult run_paired(const Target& first, const Target& second, std::chrono::milliseconds duration) {
  auto first_request = chat_request(first, false);
  auto second_request = chat_request(second, false);
  ClientConnection connection(first.port);
  for (int warmup = 0; warmup < 3; ++warmup) {
    check_answer(first, connection.exchange(first_request), false);
    check_answer(second, connection.exchange(second_request), false);
  }
  PairedResult result;
  auto deadline = Clock::now() + duration;
  for (size_t turn = 0; Clock::now() < deadline; ++turn) {
    // Which goes first alternates too, so neither always follows the other.
    bool first_leads = turn % 2 == 0;
    for (int half = 0; half < 2; ++half) {
      bool is_first = (half == 0) == first_leads;
      const auto& target = is_first ? first : second;
      auto exchange = connection.exchange(is_first ? first_request : second_request);
      check_answer(target, exchange, false);
      (is_first ? result.first_ms : result.second_ms).push_back(exchange.total_ms);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------

struct BenchOptions {
  std::string weir = WEIR_BENCH_DEFAULT_BINARY;
  std::string peers = WEIR_SOURCE_DIR "/tests/peers";
  int rounds = 2;
  double seconds = 1.5;         // each target, each round, at concurrency 1
  double loaded_seconds = 2.0;  // each target, each round, at the high concurrency
  int concurrency = 64;
  bool portkey = true;
  bool hold = false;
  std::string scenarios = "all";  // or a comma-separated list of scenario names
};

BenchOptions parse(int argc, char** argv) {
  BenchOptions options;
  for (int index = 1; index < argc; ++index) {
    std::string flag = argv[index];
    auto value = [&]() -> std::string {
      if (index + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++index];
    };
    if (flag == "--weir") options.weir = value();
    else if (flag == "--peers") options.peers = value();
    else if (flag == "--rounds") options.rounds = std::max(1, std::stoi(value()));
    else if (flag == "--seconds") options.seconds = std::stod(value());
    else if (flag == "--loaded-seconds") options.loaded_seconds = std::stod(value());
    else if (flag == "--concurrency") options.concurrency = std::max(2, std::stoi(value()));
    else if (flag == "--no-portkey") options.portkey = false;
    else if (flag == "--hold") options.hold = true;
    else if (flag == "--scenarios") options.scenarios = value();
    else {
      std::cout << "usage: weir_bench_serve [--weir PATH] [--peers tests/peers] [--rounds N] [--seconds S]\n"
                   "                        [--loaded-seconds S] [--concurrency N] [--no-portkey] [--hold]\n"
                   "                        [--scenarios c1_non_stream,c1_stream,c64_non_stream,c64_stream,c1_limits_paired]\n"
                   "Added latency and throughput of `weir serve` (and the Portkey gateway) over a local fake\n"
                   "upstream, at concurrency 1 and N (64). --hold sets everything up, prints the ports and\n"
                   "waits for end of input (for perf). Prints JSON.\n";
      std::exit(flag == "--help" ? 0 : 2);
    }
  }
  return options;
}

void run_checked(const std::vector<std::string>& arguments) {
  auto run = run_capturing(arguments);
  if (run.exit_code != 0)
    throw std::runtime_error(shell_line(arguments) + " failed (" + std::to_string(run.exit_code) + "): " + run.standard_error);
}

// Waits for `weir serve` to print its address on stderr (its log file).
int wait_for_weir(ChildProcess& process, const std::string& log_path) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    auto log = read_file(log_path);
    auto at = log.find("listening on http://127.0.0.1:");
    if (at != std::string::npos) return std::stoi(log.substr(at + std::strlen("listening on http://127.0.0.1:")));
    if (!process.running()) throw std::runtime_error("weir serve exited before listening: " + log);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("weir serve did not listen within 20 s: " + read_file(log_path));
}

// Waits until something accepts connections on the port.
void wait_for_port(ChildProcess& process, int port, const std::string& log_path) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (connected) return;
    if (!process.running()) throw std::runtime_error(shell_line(process.arguments()) + " exited: " + read_file(log_path));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error(shell_line(process.arguments()) + " did not listen within 60 s");
}

// Rounded to `digits` decimals; dividing by a power of ten keeps the printed
// number short (3.9, not 3.9000000000000004).
double round_to(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

json summary_json(const std::vector<double>& samples) {
  auto summary = summarize(samples);
  return {{"p50_ms", round_ms(summary.median_ms)},
          {"p90_ms", round_ms(summary.p90_ms)},
          {"p99_ms", round_ms(summary.p99_ms)},
          {"mean_ms", round_ms(summary.mean_ms)},
          {"max_ms", round_ms(summary.max_ms)},
          {"requests", summary.runs}};
}

json goal(const std::string& description, double value, double limit, bool at_most, const std::string& unit) {
  return {{"description", description},
          {"value", round_to(value, 3)},
          {"limit", limit},
          {"unit", unit},
          {"goal_met", at_most ? value <= limit : value >= limit}};
}

}  // namespace

int main(int argc, char** argv) {
  // A client thread that meets a closed socket gets EPIPE from send(), not a
  // signal; this covers anything else.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    auto options = parse(argc, argv);
    weir::bench::TemporaryDirectory work("serve");
    auto home = work.path() + "/home";
    auto load_before = load_average();
    FakeUpstream upstream;
    auto upstream_url = "http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1";

    // weir: a provider on the fake upstream and a gateway on it.
    run_checked({options.weir, "--home", home, "provider", "add", "fake", "--base-url", upstream_url, "--max-retries", "0"});
    run_checked({options.weir, "--home", home, "gateway", "create", "bench", "--provider", "fake", "--model", "fake-model"});
    // Routing: a fallback gateway whose first target is healthy, and one whose
    // first target refuses connections (its breaker off, so every request
    // meets the failure and falls over).
    run_checked({options.weir, "--home", home, "provider", "add", "fake-again", "--base-url", upstream_url,
                 "--max-retries", "0"});
    run_checked({options.weir, "--home", home, "provider", "add", "refusing", "--base-url",
                 "http://127.0.0.1:" + std::to_string(free_port()) + "/v1", "--max-retries", "0"});
    run_checked({options.weir, "--home", home, "gateway", "create", "bench-routed", "--target", "fake/fake-model",
                 "--target", "fake-again/fake-model", "--route", "fallback"});
    run_checked({options.weir, "--home", home, "gateway", "create", "bench-failover", "--target",
                 "refusing/fake-model", "--target", "fake/fake-model", "--route", "fallback", "--breaker-failures",
                 "0"});
    // Limits and a budget high enough never to refuse: every request is
    // counted (admit and settle), none is turned away.
    run_checked({options.weir, "--home", home, "gateway", "create", "bench-limited", "--provider", "fake", "--model",
                 "fake-model", "--limit-rpm", "1000000000", "--limit-tpm", "1000000000000", "--limit-concurrent",
                 "100000", "--budget-day", "1000000000"});
    // An exact response cache: every request of the bench is the same, so
    // all but the first are hits.
    run_checked({options.weir, "--home", home, "gateway", "create", "bench-cached", "--provider", "fake", "--model",
                 "fake-model", "--cache", "exact", "--cache-ttl-seconds", "86400"});
    auto weir_log = work.path() + "/weir-serve.log";
    ChildProcess weir({options.weir, "--home", home, "serve", "--port", "0"}, weir_log);
    int weir_port = wait_for_weir(weir, weir_log);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    double weir_rss_after_start = resident_mb(weir.pid());

    Target plain_target{"weir", weir_port, "bench", {}, weir.pid()};
    Target limited_target{"weir_limited", weir_port, "bench-limited", {}, weir.pid(), true};
    std::vector<Target> targets = {{"direct", upstream.port(), "fake-model", {}, -1},
                                   {"weir", weir_port, "bench", {}, weir.pid()},
                                   {"weir_routed", weir_port, "bench-routed", {}, weir.pid(), true},
                                   {"weir_failover", weir_port, "bench-failover", {}, weir.pid(), true},
                                   {"weir_cached", weir_port, "bench-cached", {}, weir.pid(), true}};

    // Portkey: node on its build/start-server.js, on a port chosen here.
    std::unique_ptr<ChildProcess> portkey;
    std::string portkey_skipped;
    std::string portkey_version;
    double portkey_rss_after_start = -1;
    auto portkey_script = options.peers + "/node_modules/@portkey-ai/gateway/build/start-server.js";
    if (!options.portkey) {
      portkey_skipped = "--no-portkey";
    } else if (!fs::exists(portkey_script)) {
      portkey_skipped = "not installed: run `npm ci --prefix tests/peers`";
    } else {
      std::string node;
      try {
        node = find_executable("node");
      } catch (const std::exception&) {
        portkey_skipped = "node is not installed";
      }
      if (!node.empty()) {
        portkey_version = json::parse(read_file(options.peers + "/node_modules/@portkey-ai/gateway/package.json"))
                              .value("version", "");
        int port = free_port();
        auto portkey_log = work.path() + "/portkey.log";
        portkey = std::make_unique<ChildProcess>(
            std::vector<std::string>{node, portkey_script, "--port=" + std::to_string(port), "--headless"}, portkey_log);
        wait_for_port(*portkey, port, portkey_log);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        portkey_rss_after_start = resident_mb(portkey->pid());
        targets.push_back({"portkey",
                           port,
                           "fake-model",
                           {"x-portkey-provider: openai", "x-portkey-custom-host: " + upstream_url},
                           portkey->pid()});
      }
    }

    if (options.hold) {
      for (const auto& target : targets) {
        std::cerr << target.name << ": http://127.0.0.1:" << target.port << "/v1/chat/completions model " << target.model;
        if (target.pid > 0) std::cerr << " (pid " << target.pid << ")";
        for (const auto& header : target.extra_headers) std::cerr << " -H '" << header << "'";
        std::cerr << '\n';
      }
      std::cerr << "holding until end of input (Ctrl-D)\n";
      std::string ignored;
      while (std::getline(std::cin, ignored)) {
      }
      return 0;
    }

    // The scenarios, each run by every target in turn, every round.
    struct Scenario {
      std::string name;
      int concurrency;
      bool stream;
    };
    std::vector<Scenario> scenarios = {{"c1_non_stream", 1, false},
                                       {"c1_stream", 1, true},
                                       {"c" + std::to_string(options.concurrency) + "_non_stream", options.concurrency, false},
                                       {"c" + std::to_string(options.concurrency) + "_stream", options.concurrency, true}};
    if (options.scenarios != "all") {
      std::erase_if(scenarios, [&](const Scenario& scenario) {
        return ("," + options.scenarios + ",").find("," + scenario.name + ",") == std::string::npos;
      });
    }
    std::map<std::string, std::map<std::string, LoadResult>> results;  // scenario -> target -> samples
    std::map<pid_t, double> loaded_peak_mb;
    auto run_start = Clock::now();
    for (int round = 0; round < options.rounds; ++round)
      for (const auto& scenario : scenarios) {
        bool loaded = scenario.concurrency > 1;
        auto duration = std::chrono::milliseconds(
            static_cast<long long>((loaded ? options.loaded_seconds : options.seconds) * 1000));
        for (size_t turn = 0; turn < targets.size(); ++turn) {
          const auto& target = targets[(static_cast<size_t>(round) + turn) % targets.size()];
          if (loaded && target.single_client_only) continue;
          std::optional<ResidentSampler> memory;
          if (loaded && target.pid > 0) memory.emplace(std::vector<pid_t>{target.pid});
          auto run = run_load(target, scenario.concurrency, scenario.stream, duration);
          if (memory) {
            memory->finish();
            loaded_peak_mb[target.pid] = std::max(loaded_peak_mb[target.pid], memory->peak(target.pid));
          }
          auto& into = results[scenario.name][target.name];
          into.latency_ms.insert(into.latency_ms.end(), run.latency_ms.begin(), run.latency_ms.end());
          into.first_token_ms.insert(into.first_token_ms.end(), run.first_token_ms.begin(), run.first_token_ms.end());
          into.requests += run.requests;
          into.seconds += run.seconds;
        }
      }
    // The limits figure: plain and limited gateways alternating on one connection.
    bool run_limits = options.scenarios == "all" ||
                      ("," + options.scenarios + ",").find(",c1_limits_paired,") != std::string::npos;
    PairedResult limits_pairs;
    if (run_limits)
      for (int round = 0; round < options.rounds; ++round) {
        auto run = run_paired(plain_target, limited_target,
                              std::chrono::milliseconds(static_cast<long long>(options.seconds * 1000)));
        limits_pairs.first_ms.insert(limits_pairs.first_ms.end(), run.first_ms.begin(), run.first_ms.end());
        limits_pairs.second_ms.insert(limits_pairs.second_ms.end(), run.second_ms.begin(), run.second_ms.end());
      }
    double run_seconds = elapsed_ms(run_start) / 1000.0;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    double weir_rss_idle_after = resident_mb(weir.pid());
    double portkey_rss_idle_after = portkey ? resident_mb(portkey->pid()) : -1;

    json report = {{"benchmark", "serve"}};
    report["settings"] = {{"rounds", options.rounds},
                          {"seconds_per_target_at_concurrency_1", options.seconds},
                          {"seconds_per_target_loaded", options.loaded_seconds},
                          {"concurrency", options.concurrency},
                          {"cores", std::thread::hardware_concurrency()},
                          {"load_average_before", load_before},
                          {"measured_seconds", round_to(run_seconds, 1)},
                          {"weir_command", shell_line(weir.arguments())},
                          {"portkey", portkey_skipped.empty() ? json{{"version", portkey_version},
                                                                     {"command", shell_line(portkey->arguments())}}
                                                              : json{{"skipped", portkey_skipped}}}};

    auto latency_figure = [&](const std::string& scenario, bool first_token) {
      if (!results.count(scenario)) return json{{"not_run", "see --scenarios"}};
      json figure = json::object();
      std::map<std::string, Summary> summaries;
      for (const auto& target : targets) {
        if (!results[scenario].count(target.name)) continue;  // measured at concurrency 1 only
        const auto& run = results[scenario][target.name];
        const auto& samples = first_token ? run.first_token_ms : run.latency_ms;
        figure[target.name] = summary_json(samples);
        summaries[target.name] = summarize(samples);
        if (!first_token)
          figure[target.name]["requests_per_second"] = round_to(static_cast<double>(run.requests) / run.seconds, 1);
      }
      for (const auto& target : targets) {
        if (target.name == "direct" || !summaries.count(target.name)) continue;
        figure[target.name + "_added_p50_ms"] = round_ms(summaries[target.name].median_ms - summaries["direct"].median_ms);
        figure[target.name + "_added_p99_ms"] = round_ms(summaries[target.name].p99_ms - summaries["direct"].p99_ms);
      }
      return figure;
    };
    auto loaded_name = "c" + std::to_string(options.concurrency);
    report["non_stream"] = {{"c1", latency_figure("c1_non_stream", false)},
                            {loaded_name, latency_figure(loaded_name + "_non_stream", false)}};
    report["time_to_first_token"] = {{"c1", latency_figure("c1_stream", true)},
                                     {loaded_name, latency_figure(loaded_name + "_stream", true)}};
    report["stream_complete"] = {{"c1", latency_figure("c1_stream", false)},
                                 {loaded_name, latency_figure(loaded_name + "_stream", false)}};

    auto rps = [&](const std::string& scenario, const std::string& target) {
      const auto& run = results[scenario][target];
      return run.seconds > 0 ? static_cast<double>(run.requests) / run.seconds : 0.0;
    };
    json throughput = {{"description", "requests per second with " + std::to_string(options.concurrency) +
                                           " clients on keep-alive connections, all on this machine"}};
    for (const auto& kind : {"non_stream", "stream"}) {
      json row = json::object();
      for (const auto& target : targets)
        if (!target.single_client_only)
          row[target.name] = round_to(rps(loaded_name + "_" + kind, target.name), 1);
      if (portkey_skipped.empty())
        row["weir_over_portkey"] = round_to(rps(loaded_name + "_" + kind, "weir") / rps(loaded_name + "_" + kind, "portkey"), 2);
      row["weir_over_direct"] = round_to(rps(loaded_name + "_" + kind, "weir") / rps(loaded_name + "_" + kind, "direct"), 2);
      throughput[kind] = row;
    }
    report["throughput"] = throughput;

    // Routing at concurrency 1: what the fallback gateways add over the plain one.
    json routing = {{"description", "p50 at concurrency 1, non-streamed: a fallback gateway whose first target is "
                                    "healthy, and one whose first target refuses connections, against the plain gateway"}};
    if (results.count("c1_non_stream")) {
      const auto& c1_runs = results["c1_non_stream"];
      double plain = summarize(c1_runs.at("weir").latency_ms).median_ms;
      routing["healthy_first_added_p50_us"] =
          round_to((summarize(c1_runs.at("weir_routed").latency_ms).median_ms - plain) * 1000, 1);
      routing["failing_first_added_p50_ms"] =
          round_ms(summarize(c1_runs.at("weir_failover").latency_ms).median_ms - plain);
    }
    report["routing"] = routing;

    json limits = {{"description", "p50 at concurrency 1, non-streamed: a gateway with requests, tokens and "
                                   "concurrency limits and a daily budget, against the plain gateway, the two "
                                   "alternating request by request on one connection"}};
    if (!limits_pairs.first_ms.empty()) {
      double plain = summarize(limits_pairs.first_ms).median_ms;
      double limited = summarize(limits_pairs.second_ms).median_ms;
      limits["pairs"] = limits_pairs.first_ms.size();
      limits["plain_p50_us"] = round_to(plain * 1000, 1);
      limits["limited_p50_us"] = round_to(limited * 1000, 1);
      limits["added_p50_us"] = round_to((limited - plain) * 1000, 1);
    }
    report["limits"] = limits;

    json cache = {{"description", "p50 at concurrency 1 of a gateway with an exact response cache, every request a "
                                  "hit (the whole request through weir serve, as the client times it), beside the "
                                  "plain gateway calling the fake upstream in the same run"}};
    if (results.count("c1_non_stream")) {
      const auto& c1_runs = results["c1_non_stream"];
      cache["hit_p50_us"] = round_to(summarize(c1_runs.at("weir_cached").latency_ms).median_ms * 1000, 1);
      cache["hit_p99_us"] = round_to(summarize(c1_runs.at("weir_cached").latency_ms).p99_ms * 1000, 1);
      cache["plain_p50_us"] = round_to(summarize(c1_runs.at("weir").latency_ms).median_ms * 1000, 1);
      cache["direct_p50_us"] = round_to(summarize(c1_runs.at("direct").latency_ms).median_ms * 1000, 1);
    }
    if (results.count("c1_stream")) {
      const auto& stream_runs = results["c1_stream"];
      cache["hit_stream_complete_p50_us"] =
          round_to(summarize(stream_runs.at("weir_cached").latency_ms).median_ms * 1000, 1);
      cache["plain_stream_complete_p50_us"] = round_to(summarize(stream_runs.at("weir").latency_ms).median_ms * 1000, 1);
    }
    report["cache"] = cache;

    auto memory_of = [&](double after_start, pid_t pid, double idle_after) {
      return json{{"after_start_mb", round_to(after_start, 1)},
                  {"peak_under_load_mb", round_to(loaded_peak_mb[pid], 1)},
                  {"idle_after_load_mb", round_to(idle_after, 1)}};
    };
    report["resident_memory"] = {{"description", "VmRSS from /proc/PID/status; the peak is sampled every 20 ms during the " +
                                                     std::to_string(options.concurrency) + "-client runs"},
                                 {"weir", memory_of(weir_rss_after_start, weir.pid(), weir_rss_idle_after)}};
    if (portkey) {
      report["resident_memory"]["portkey"] = memory_of(portkey_rss_after_start, portkey->pid(), portkey_rss_idle_after);
      report["resident_memory"]["portkey_over_weir_after_start"] = round_to(portkey_rss_after_start / weir_rss_after_start, 1);
    }
    report["upstream"] = {{"description", "what the fake upstream served, warm-ups and every target included"},
                          {"plain_requests", upstream.plain_requests()},
                          {"streamed_requests", upstream.streamed_requests()},
                          {"connections_accepted", upstream.connections_accepted()}};

    // The goals, judged only on a full run.
    const auto& c1 = report["non_stream"]["c1"];
    const auto& c1_first = report["time_to_first_token"]["c1"];
    json goals = json::object();
    if (options.scenarios != "all") {
      goals["not_judged"] = "--scenarios ran only part of the benchmark";
    } else {
    goals["added_p50_c1"] = goal("weir serve added p50 at concurrency 1, non-streamed and time to first token (the larger)",
                                 std::max(c1["weir_added_p50_ms"].get<double>(), c1_first["weir_added_p50_ms"].get<double>()),
                                 kGoalAddedP50Ms, true, "ms");
    goals["added_p99_c1"] = goal("weir serve added p99 at concurrency 1, non-streamed and time to first token (the larger)",
                                 std::max(c1["weir_added_p99_ms"].get<double>(), c1_first["weir_added_p99_ms"].get<double>()),
                                 kGoalAddedP99Ms, true, "ms");
    if (portkey)
      goals["throughput_over_portkey"] = goal("weir serve requests/s over Portkey's at saturation (non-streamed)",
                                              report["throughput"]["non_stream"]["weir_over_portkey"].get<double>(),
                                              kGoalThroughputOverPortkey, false, "ratio");
    else
      goals["throughput_over_portkey"] = {{"skipped", portkey_skipped}};
    goals["idle_rss"] = goal("weir serve VmRSS after start", weir_rss_after_start, kGoalIdleRssMb, true, "MB");
    goals["routing_overhead"] = goal("a fallback gateway with a healthy first target, added p50 over a plain gateway",
                                     routing["healthy_first_added_p50_us"].get<double>(), kGoalRoutingOverheadUs,
                                     true, "us");
    goals["failover"] = goal("the first target refusing connections: the second's answer, added p50 over a plain "
                             "gateway (the refusal included)",
                             routing["failing_first_added_p50_ms"].get<double>(), kGoalFailoverMs, true, "ms");
    goals["limits_overhead"] = goal("a gateway with limits and a budget, added p50 over a plain gateway",
                                    limits["added_p50_us"].get<double>(), kGoalLimitsOverheadUs, true, "us");
    }
    // Judged whenever measured: it compares no targets, so a partial run shows it too.
    if (cache.contains("hit_p50_us"))
      goals["cache_hit"] = goal("a response cache hit through weir serve, p50 at concurrency 1, non-streamed",
                                cache["hit_p50_us"].get<double>(), kGoalCacheHitP50Us, true, "us");
    bool all_met = true;
    for (const auto& [name, value] : goals.items()) all_met = all_met && value.is_object() && value.value("goal_met", false);
    report["goals"] = goals;
    report["goal_met"] = all_met;

    // Stop the gateways: weir must leave cleanly on SIGTERM.
    report["load_average_after"] = load_average();
    report["weir_exit_status_on_sigterm"] = weir.stop();
    if (portkey) portkey->stop();
    std::cout << report.dump(2) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_serve: " << error.what() << '\n';
    return 1;
  }
}
