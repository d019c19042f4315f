#include "core/tools/function_source_fetch.hpp"

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/policy/outbound_signature.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

constexpr int kSourceTimeoutMs = 30'000;
constexpr size_t kMostSourceBytes = size_t{4} << 20;

}  // namespace

std::vector<HttpFunction> functions_from_source_answer(const std::string& url, const std::string& body) {
  const auto shown = "function source " + redact_url(url);
  auto read = read_json(body);
  if (!read.ok())
    throw Error(ErrorKind::upstream, shown + " answered something that is not JSON (" + read.problem->description +
                                         "); it must answer {\"functions\": [...]}");
  auto functions = read.value.is_object() ? read.value.find("functions") : read.value.end();
  if (!read.value.is_object() || functions == read.value.end() || !functions->is_array())
    throw Error(ErrorKind::upstream, shown + " did not answer {\"functions\": [...]}; got " + first_bytes(body, 200));
  std::vector<HttpFunction> list;
  for (size_t index = 0; index < functions->size(); ++index) {
    try {
      list.push_back(http_function_from_record((*functions)[index], "functions[" + std::to_string(index) + "]", shown));
      list.back().from_source = true;
      // A source is another party: it must not choose which of weir's
      // environment variables (API keys) are sent, or where.
      for (const auto& [name, value] : list.back().headers)
        if (value.find("${") != std::string::npos)
          throw Error(ErrorKind::usage, "header " + name + " names an environment variable (${...}), which only the "
                                        "gateway's own functions may do");
    } catch (const Error& error) {
      throw Error(ErrorKind::upstream, shown + " lists a function weir cannot use: " + error.what());
    }
    for (size_t earlier = 0; earlier + 1 < list.size(); ++earlier)
      if (list[earlier].name == list.back().name)
        throw Error(ErrorKind::upstream, shown + " lists the function '" + list.back().name + "' twice");
  }
  return list;
}

std::vector<HttpFunction> FunctionSourceCache::fetch(const std::string& url, const std::string& secret,
                                                     const CancelToken& cancel) {
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(url);
    if (found != entries_.end()) {
      const auto age = clock_() - found->second.fetched;
      if (found->second.failure && age < kFunctionSourceRetry) throw *found->second.failure;
      if (!found->second.failure && age < kFunctionSourceTtl) return found->second.functions;
    }
  }
  try {
    auto functions = fetch_now(url, secret, cancel);
    std::lock_guard lock(mutex_);
    entries_[url] = Entry{clock_(), functions, std::nullopt};
    return functions;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    std::lock_guard lock(mutex_);
    entries_[url] = Entry{clock_(), {}, error};
    throw;
  }
}

std::vector<HttpFunction> FunctionSourceCache::fetch_now(const std::string& url, const std::string& secret,
                                                         const CancelToken& cancel) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.idle_timeout_ms = kSourceTimeoutMs;
  request.total_timeout_ms = kSourceTimeoutMs;
  request.headers = {{"Accept", "application/json"}};
  auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& header : signature_headers(secret, unix_seconds, "")) request.headers.push_back(header);

  const auto shown = "function source " + redact_url(url);
  HttpResponse response;
  try {
    response = fetch_http(request, cancel, kMostSourceBytes);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    throw Error(error.kind() == ErrorKind::upstream_timeout ? ErrorKind::upstream_timeout : ErrorKind::upstream,
                shown + " could not be read: " + redact_urls_in_text(error.what()) +
                    "; check that it is up, or remove it from the gateway's function_sources");
  }
  if (response.head.status < 200 || response.head.status > 299)
    throw Error(ErrorKind::upstream, shown + " answered HTTP " + std::to_string(response.head.status) +
                                         (response.body.empty() ? std::string() : ": " + first_bytes(response.body, 300)) +
                                         "; check that it is up, or remove it from the gateway's function_sources");
  return functions_from_source_answer(url, response.body);
}

FunctionSourceCache& FunctionSourceCache::process() {
  static FunctionSourceCache cache;
  return cache;
}

}  // namespace weir
