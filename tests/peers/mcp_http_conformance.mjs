// Conformance of weir's MCP over streamable HTTP (`weir serve`, endpoints
// /v1/mcp/inference and /v1/mcp/collections) with the official MCP
// TypeScript SDK client's StreamableHTTPClientTransport (pinned in
// package.json / package-lock.json): connect with the configuration headers,
// list tools, call invoke (with progress, and once cancelled mid-call) and
// search (its structuredContent is checked by the SDK against the declared
// outputSchema), ping, terminate the session, close.
// The gateway's model is a fake OpenAI upstream on 127.0.0.1 in this process.
//
// Usage: node tests/peers/mcp_http_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 (skipped) when
// the peers are not installed (`npm ci --prefix tests/peers`), unless
// WEIR_REQUIRE_PEERS=1 (scripts/test) makes that a failure too.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, watch } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { check, requirePeer, startServe, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("mcp_http_conformance.mjs");
requirePeer("@modelcontextprotocol/sdk");
const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");

// A fake OpenAI-compatible upstream: streams "The answer is 42." in pieces,
// 50 ms apart as a model would; a prompt with "slow" gets one piece and then
// silence, until the client goes away.
const pieces = ["The answer", " is", " 42."];
const upstream = http.createServer((request, response) => {
  let body = "";
  request.on("data", (data) => (body += data));
  request.on("end", () => {
    const parsed = JSON.parse(body || "{}");
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "fake",
                                choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    response.writeHead(200, { "content-type": "text/event-stream" });
    if (JSON.stringify(parsed.messages ?? []).includes("slow")) {
      response.write(chunk({ role: "assistant", content: "thinking" }));
      return;  // never ends: only a cancellation gets the caller out
    }
    const events = [chunk({ role: "assistant", content: "" }), ...pieces.map((piece) => chunk({ content: piece })),
                    chunk({}, "stop"), "data: [DONE]\n\n"];
    const next = () => {
      const event = events.shift();
      if (events.length === 0) return response.end(event);
      response.write(event);
      setTimeout(next, 50);
    };
    next();
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${upstream.address().port}/v1`;

const home = mkdtempSync(path.join(tmpdir(), "weir-mcp-http-conformance-"));
const run = (...args) => execFileSync(weir, ["--home", home, ...args], { stdio: ["pipe", "pipe", "inherit"] });


// What `condition` returns once it is not undefined, re-checked each time a
// file in `directory` (the store or its write-ahead log) changes, as the
// kernel reports it; undefined if `timeoutMs` passes first. weir serve writes
// its request log on a thread of its own, with no message to await.
async function waitForStore(directory, condition, timeoutMs = 30000) {
  let changed = () => {};
  const watcher = watch(directory, () => changed());
  const deadline = Date.now() + timeoutMs;
  try {
    while (true) {
      // Armed before the check, so a change during it still wakes the wait.
      const wake = new Promise((resolve) => { changed = resolve; });
      const value = condition();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      let timer;
      await Promise.race([wake, new Promise((resolve) => { timer = setTimeout(resolve, left); })]);
      clearTimeout(timer);
    }
  } finally {
    watcher.close();
  }
}

let serve;
const clients = [];
async function connect(endpoint, headers) {
  const client = new Client({ name: "weir-http-conformance", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint, serve.url), { requestInit: { headers } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

try {
  run("provider", "add", "fake", "--base-url", baseUrl, "--max-retries", "0");
  run("gateway", "create", "helper", "--provider", "fake", "--model", "fake-model");
  run("collection", "create", "kb");
  execFileSync(weir, ["--home", home, "collection", "import", "kb", "-"], {
    input: [
      { docid: "volcano", text: "A volcano erupts when magma rises through the crust of the Earth." },
      { docid: "cats", text: "Cats are small domesticated carnivorous mammals that purr." },
    ].map((document) => JSON.stringify(document)).join("\n") + "\n",
    stdio: ["pipe", "pipe", "inherit"],
  });
  serve = await startServe(weir, home);

  // 1. /v1/mcp/inference: the gateway as invoke_helper.
  const inference = await connect("/v1/mcp/inference",
                                   { "X-Mcp-Model-Name": "helper", "X-Mcp-Tool-Name": "helper", "X-Mcp-User": "conformance" });
  check(inference.client.getServerVersion()?.name === "weir", "inference: connect (initialize handshake)",
        inference.client.getServerVersion());
  check(typeof inference.transport.sessionId === "string" && inference.transport.sessionId.length > 0,
        "inference: the server assigned a session id");
  const { tools } = await inference.client.listTools();
  check(JSON.stringify(tools.map((tool) => tool.name)) === JSON.stringify(["invoke_helper"]), "inference: list tools",
        tools);

  const progress = [];
  const invoked = await inference.client.callTool({ name: "invoke_helper", arguments: { prompt: "What is the answer?" } },
                                                  undefined, { onprogress: (update) => progress.push(update) });
  check(!invoked.isError && invoked.content[0].text === "The answer is 42.", "inference: call invoke_helper", invoked);
  check(progress.map((update) => update.message).join("") === "The answer is 42.",
        "inference: progress notifications (SSE on the call's POST) carry the streamed text", progress);

  // Cancelled mid-call: the SDK sends notifications/cancelled in a POST of its own.
  const abort = new AbortController();
  const cancelled = inference.client.callTool({ name: "invoke_helper", arguments: { prompt: "slow please" } }, undefined,
                                              { signal: abort.signal, onprogress: () => abort.abort("changed my mind") });
  let rejected = false;
  try {
    await cancelled;
  } catch {
    rejected = true;
  }
  check(rejected, "inference: an aborted call rejects on the client");
  const status = await waitForStore(home, () => {
    const rows = JSON.parse(execFileSync(weir, ["--home", home, "logs", "--json"]).toString());
    const found = rows.find((row) => JSON.stringify(row.metadata ?? {}).includes("conformance") && row.status !== "ok");
    return found?.status === "cancelled" ? found.status : undefined;
  });
  check(status === "cancelled", "inference: notifications/cancelled aborts the upstream call (request log)", status);

  check(JSON.stringify(await inference.client.ping()) === "{}", "inference: ping");
  const ended = inference.transport.sessionId;
  await inference.transport.terminateSession();
  check(inference.transport.sessionId === undefined, "inference: terminate the session (DELETE)");
  const gone = await fetch(new URL("/v1/mcp/inference", serve.url), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": ended },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  check(gone.status === 404, "inference: an ended session is 404", gone.status);
  await inference.client.close();

  // 2. /v1/mcp/collections: the collection as kb_search.
  const collections = await connect("/v1/mcp/collections", { "X-Mcp-Collection-Name": "kb", "X-Mcp-Min-Score": "0.05" });
  const listed = await collections.client.listTools();
  check(JSON.stringify(listed.tools.map((tool) => tool.name)) === JSON.stringify(["kb_search"]), "collections: list tools",
        listed.tools);
  const found = await collections.client.callTool({ name: "kb_search", arguments: { search_terms: ["volcano magma"] } });
  check(!found.isError && found.structuredContent.results[0].docid === "volcano",
        "collections: call kb_search (structuredContent validated against outputSchema)", found);
  const bad = await collections.client.callTool({ name: "kb_search", arguments: { search_terms: [] } });
  check(bad.isError === true, "collections: bad arguments are an isError result", bad);
  await collections.transport.terminateSession();
  await collections.client.close();
  check(true, "collections: terminate and close");

  // 3. A bad header is refused at connect, naming the header.
  let refusal = "";
  try {
    await connect("/v1/mcp/collections", { "X-Mcp-Collection-Name": "kb", "X-Mcp-Top-K": "0" });
  } catch (error) {
    refusal = String(error);
  }
  check(refusal.includes("X-Mcp-Top-K"), "a bad X-Mcp-Top-K fails the connect with a message naming it", refusal);
} catch (error) {
  if (!process.exitCode) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  for (const client of clients) await client.close().catch(() => {});
  if (serve) {
    serve.child.kill("SIGTERM");
    await new Promise((resolve) => (serve.child.exitCode !== null ? resolve() : serve.child.on("exit", resolve)));
  }
  upstream.closeAllConnections?.();
  upstream.close();
  rmSync(home, { recursive: true, force: true });
}
