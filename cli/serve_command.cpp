// `weir serve [--host H] [--port P]` — the OpenAI-compatible HTTP endpoint.
//
// Translates only: flags into http::ServerOptions, then the server
// (core/net) and the OpenAI routes (http/) do the rest. SIGINT and SIGTERM are taken by a thread of their own (sigwait), which
// stops accepting and gives streams in flight --drain seconds to finish.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/batch/batch_service.hpp"
#include "core/engine/prices.hpp"
#include "core/error.hpp"
#include "core/policy/bind_policy.hpp"
#include "core/policy/access_control.hpp"
#include "core/routing/routing_state.hpp"
#include "http/api_routes.hpp"
#include "core/net/open_file_limit.hpp"
#include "core/net/server.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/key_repository.hpp"
#include "mcp/http_endpoints.hpp"

namespace weir::cli {

namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8484;
  double max_body_megabytes = 10;
  double keep_alive_seconds = 15;
  double drain_seconds = 10;
};

void serve(CommandContext& context, const ServeOptions& options) {
  if (options.port < 0 || options.port > 65535) throw Error(ErrorKind::usage, "--port must be 0..65535 (0: any free port)");
  if (options.max_body_megabytes <= 0 || options.max_body_megabytes > 1024)
    throw Error(ErrorKind::usage, "--max-body must be more than 0 and at most 1024 (MB)");
  if (options.keep_alive_seconds < 0) throw Error(ErrorKind::usage, "--keep-alive must be 0 (off) or more seconds");
  if (options.drain_seconds < 0) throw Error(ErrorKind::usage, "--drain must be 0 or more seconds");

  bool loopback = require_safe_bind(options.host, [&context]() -> Database& { return context.database(); });
  // A malformed prices.json is refused now, not after the first paid answer.
  (void)PriceTable::shared(context.paths().prices);

  // Signals go to the waiting thread only: block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  DatabasePool pool(context.paths());
  http::ServerOptions server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.max_body_bytes = static_cast<size_t>(options.max_body_megabytes * 1024 * 1024);
  auto budget = http::connection_budget(http::raise_open_file_limit());
  server_options.max_connections = budget.max_connections;
  server_options.max_workers = budget.max_workers;
  server_options.max_queued_requests = budget.max_queued_requests;
  // A worker that ends gives back a store connection too: the pool grew by
  // one for each worker busy at once.
  server_options.on_worker_exit = [&pool] { pool.close_one_idle(); };
  // Routing's circuit breakers are shared by every request of this process;
  // an operator sees each target's circuit open and close.
  RoutingState::process_wide()->breakers().set_listener([](const BreakerTransition& transition) {
    std::string line = "weir serve: circuit of " + transition.target + " " + std::string(to_string(transition.from)) +
                       " -> " + std::string(to_string(transition.to)) + " (" + transition.reason + ")\n";
    std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
    std::cerr.flush();
  });
  http::Server server(server_options);
  http::AccessControl access(pool, loopback);
  http::ApiContext api(pool, std::chrono::milliseconds(static_cast<long long>(options.keep_alive_seconds * 1000)));
  server.set_gatekeeper([&access, &api](http::Request& request) {
    try {
      access.admit(request);
    } catch (const Error& refused) {
      // A key over its requests per minute never reaches the engine's log.
      if (refused.kind() == ErrorKind::rate_limited)
        api.metrics.observe_refusal(refused.code().empty() ? std::string(default_error_code(refused.kind())) : refused.code());
      throw;
    }
  });
  server.set_refusal_observer([&access](const http::Request& request) { access.refused(request); });
  // The OpenAI Batch API's jobs run in the background, by the same runner as `weir batch run`.
  BatchService batches(context.paths());
  api.batches = &batches;
  http::mount_api_routes(server, api);
  // MCP over streamable HTTP (/v1/mcp/inference, /v1/mcp/collections); the
  // gatekeeper has already checked the caller's key.
  mcp::protocol::StreamableHttpOptions mcp_options;
  mcp_options.keep_alive = std::chrono::milliseconds(static_cast<long long>(options.keep_alive_seconds * 1000));
  // A GET stream holds a worker while open: a quarter of them at most.
  mcp_options.max_listeners = std::max<size_t>(1, budget.max_workers / 4);
  mcp::HttpEndpoints mcp_endpoints(pool, *api.searcher, mcp::caller_from_gatekeeper, mcp_options, &api.metrics);
  mcp_endpoints.mount(server);
  server.listen();

  auto drain = std::chrono::milliseconds(static_cast<long long>(options.drain_seconds * 1000));
  std::thread signal_waiter([&server, stop_signals, drain] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    if (signal_number == SIGINT || signal_number == SIGTERM) server.stop(drain);
  });
  std::string address = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  // One write: readers (scripts, tests) may take the line as soon as any of it arrives.
  auto origin = "http://" + address + ":" + std::to_string(server.port());
  // The first line's form is what scripts wait for; the second is what an
  // OpenAI SDK takes as its base URL.
  std::string ready = "weir serve: listening on " + origin + "\nweir serve: OpenAI-compatible API at " + origin +
                      "/v1 (base_url), MCP at " + origin + "/v1/mcp/inference\n";
  std::cerr.write(ready.data(), static_cast<std::streamsize>(ready.size()));
  std::cerr.flush();
  server.run();
  // run() also returns when stop() came from elsewhere; wake the waiter then.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  // MCP sessions outlive requests: end them, and give calls still running
  // (their POSTs were told to stop) a bounded time to finish.
  mcp_endpoints.shutdown(drain);
  api.log_writer.flush();
  print_notice("serve stopped", context.options.quiet);
}

}  // namespace

void register_serve_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = app.add_subcommand("serve", "Serve gateways over an OpenAI-compatible HTTP API (and MCP over HTTP)");
  command->add_option("--host", options->host, "Address to bind (default 127.0.0.1; others need an API key)");
  command->add_option("--port", options->port, "Port to listen on (default 8484; 0: any free port)");
  command->add_option("--max-body", options->max_body_megabytes, "Largest request body in MB (default 10)");
  command->add_option("--keep-alive", options->keep_alive_seconds,
                      "Seconds of silence before a stream gets a keep-alive comment (default 15; 0: never)");
  command->add_option("--drain", options->drain_seconds,
                      "Seconds in-flight requests get to finish after SIGINT/SIGTERM (default 10)");
  command->callback([&context, options] { serve(context, *options); });
}

}  // namespace weir::cli
