#include "core/engine/remote_instructions.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/net/http_client.hpp"
#include "core/redaction.hpp"
#include "core/store/database.hpp"

namespace weir {

std::string fetch_remote_instructions(const std::string& url, Database& database) {
  auto now = now_milliseconds();
  {
    auto cached = database.prepare("SELECT body, fetched_at FROM remote_sources WHERE url = ?1");
    cached.bind(1, url);
    if (cached.step() && now - cached.integer(1) < kRemoteInstructionsTtlMs) return cached.text(0);
  }
  HttpRequest request;
  request.url = url;
  request.idle_timeout_ms = 30'000;
  HttpResponse response;
  try {
    response = fetch_http(request, CancelToken(), kRemoteInstructionsMaxBytes);
  } catch (const Error& error) {
    throw Error(error.kind() == ErrorKind::interrupted ? ErrorKind::interrupted : ErrorKind::upstream,
                "cannot fetch the gateway's system URL " + redact_url(url) + ": " + error.what());
  }
  if (response.head.status < 200 || response.head.status > 299)
    throw Error(ErrorKind::upstream, "cannot fetch the gateway's system URL " + redact_url(url) + ": HTTP " +
                                         std::to_string(response.head.status));
  database
      .prepare("INSERT INTO remote_sources(url, body, fetched_at) VALUES(?1, ?2, ?3) "
               "ON CONFLICT(url) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at")
      .bind(1, url)
      .bind(2, response.body)
      .bind(3, now)
      .run();
  return response.body;
}

}  // namespace weir
