// The pieces of `weir serve` that decide without a socket: request-head
// parsing, the rate limiter, key durations and loopback detection.
#include <doctest/doctest.h>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/net/multipart.hpp"
#include "core/net/request_head.hpp"
#include "core/policy/access_control.hpp"
#include "core/policy/rate_limiter.hpp"
#include "core/store/key_repository.hpp"

using namespace weir;
using namespace weir::http;

namespace {
int head_status(std::string_view head) {
  Request request;
  try {
    parse_request_head(head, request);
    return 0;
  } catch (const HeadError& error) {
    return error.status();
  }
}
}  // namespace

TEST_CASE("request head: a normal request") {
  Request request;
  auto framing = parse_request_head(
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\n"
      "Content-Length: 12\r\nAUTHORIZATION: Bearer k",
      request);
  CHECK(request.method == "POST");
  CHECK(request.path == "/v1/chat/completions");
  CHECK(request.query == "x=1");
  CHECK(request.header_or("content-type") == "application/json");
  CHECK(*request.header("authorization") == "Bearer k");
  CHECK(request.header("missing") == nullptr);
  CHECK(framing.content_length == 12);
  CHECK_FALSE(framing.chunked);
  CHECK(framing.keep_alive);
}

TEST_CASE("request head: connection handling and HTTP/1.0") {
  Request request;
  CHECK_FALSE(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close", request).keep_alive);
  Request old;
  auto framing = parse_request_head("GET / HTTP/1.0", old);
  CHECK(framing.http_1_0);
  CHECK_FALSE(framing.keep_alive);
  Request kept;
  CHECK(parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive", kept).keep_alive);
  Request chunked;
  CHECK(parse_request_head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked", chunked).chunked);
}

TEST_CASE("request head: what is refused, with the status to answer") {
  CHECK(head_status("GET") == 400);
  CHECK(head_status("GET /") == 400);
  CHECK(head_status("GET / HTTP/2.0") == 505);
  CHECK(head_status("G@T / HTTP/1.1") == 400);
  CHECK(head_status("GET relative HTTP/1.1") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nNo colon here") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nA: b\r\n folded") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nContent-Length: -1") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nContent-Length: 12abc") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nTransfer-Encoding: gzip") == 501);
  CHECK(head_status("GET / HTTP/1.1\r\nX: a\x01" "b") == 400);
  CHECK(head_status("GET / HTTP/1.1\r\nExpect: something") == 417);
  CHECK(head_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1") == 0);  // equal repeats are fine
}

TEST_CASE("request head: an HTTP/1.1 request names exactly one Host (RFC 9112 3.2)") {
  CHECK(head_status("GET /healthz HTTP/1.1") == 400);
  CHECK(head_status("GET /healthz HTTP/1.1\r\nAccept: */*") == 400);
  CHECK(head_status("GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: evil.example") == 400);
  CHECK(head_status("GET /healthz HTTP/1.1\r\nhost: a\r\nHOST: a") == 400);
  CHECK(head_status("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8484") == 0);
  CHECK(head_status("GET /healthz HTTP/1.0") == 0);  // HTTP/1.0 had no Host requirement
  try {
    Request request;
    parse_request_head("GET / HTTP/1.1", request);
    FAIL("no Host was accepted");
  } catch (const HeadError& error) {
    CHECK(std::string(error.what()).find("Host") != std::string::npos);
  }
}

TEST_CASE("rate limiter: N per sliding minute, then 429 with a retry time") {
  RateLimiter limiter;
  auto start = RateLimiter::Clock::now();
  limiter.admit("k", "key", 2, start);
  limiter.admit("k", "key", 2, start + std::chrono::seconds(10));
  try {
    limiter.admit("k", "key", 2, start + std::chrono::seconds(20));
    FAIL("the third request in a minute was admitted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(error.retry_after_seconds() == 40);  // when the first request leaves the window
  }
  limiter.admit("other", "other key", 2, start + std::chrono::seconds(20));  // keys are separate
  limiter.admit("k", "key", 2, start + std::chrono::seconds(61));            // the first has left
  CHECK_THROWS_AS(limiter.admit("k", "key", 2, start + std::chrono::seconds(62)), Error);
}

TEST_CASE("key durations and loopback hosts") {
  CHECK(parse_duration_milliseconds("30d") == 30LL * 86'400'000);
  CHECK(parse_duration_milliseconds("12h") == 12LL * 3'600'000);
  CHECK(parse_duration_milliseconds("90m") == 90LL * 60'000);
  CHECK(parse_duration_milliseconds("45") == 45'000);
  for (const char* bad : {"", "d", "0d", "-1d", "3w", "1.5h"}) CHECK_THROWS_AS(parse_duration_milliseconds(bad), Error);
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("192.168.1.2"));
}

TEST_CASE("secrets: SHA-256 and random tokens") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto first = random_token(32), second = random_token(32);
  CHECK(first.size() == 43);
  CHECK(first != second);
  CHECK(first.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
}

TEST_CASE("multipart form data gives each part's name, filename and bytes, and says what is malformed") {
  using weir::http::parse_multipart;
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
      "{\"a\": 1}\r\n--not the boundary\r\n\r\n--XyZ--\r\n";
  auto parts = parse_multipart("multipart/form-data; boundary=XyZ", body);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "purpose");
  CHECK(parts[0].filename.empty());
  CHECK(parts[0].data == "batch");
  CHECK(parts[1].name == "file");
  CHECK(parts[1].filename == "in.jsonl");
  CHECK(parts[1].content_type == "application/jsonl");
  CHECK(parts[1].data == "{\"a\": 1}\r\n--not the boundary\r\n");
  CHECK(parse_multipart("multipart/form-data; boundary=\"XyZ\"", body).size() == 2);
  CHECK_THROWS_WITH_AS(parse_multipart("application/json", body), doctest::Contains("multipart/form-data"), weir::Error);
  CHECK_THROWS_WITH_AS(parse_multipart("multipart/form-data", body), doctest::Contains("no boundary"), weir::Error);
  CHECK_THROWS_WITH_AS(parse_multipart("multipart/form-data; boundary=XyZ", body.substr(0, body.size() - 12)),
                       doctest::Contains("before its closing boundary"), weir::Error);
}
