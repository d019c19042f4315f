// weir as an MCP gateway in front of another MCP server, driven by the
// official MCP TypeScript SDK client (issue 24): the proxied server is the
// scripted tests/support/fake_mcp_server.py, whose `change` tool adds a tool
// and sends notifications/tools/list_changed. The SDK client hears weir pass
// that on, lists the new tool and calls it, over stdio (`weir mcp serve
// --mcp-server`) and over streamable HTTP (a `weir serve` tool set, where the
// notification travels on the session's standing GET stream the SDK opens).
//
// Usage: node tests/peers/mcp_proxy_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 when the peers
// are not installed (a failure with WEIR_REQUIRE_PEERS=1).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { check, requirePeer, startServe, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("mcp_proxy_conformance.mjs");
requirePeer("@modelcontextprotocol/sdk");
const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
const { ToolListChangedNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");

const fakeServer = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "support", "fake_mcp_server.py");
// One home per front door: each weir opens (and on first use creates) its own store.
const stdioHome = mkdtempSync(path.join(tmpdir(), "weir-mcp-proxy-stdio-"));
const httpHome = mkdtempSync(path.join(tmpdir(), "weir-mcp-proxy-http-"));
const text = (result) => result.content.map((part) => part.text ?? "").join("");

// Resolves with `what` once `promise` does; rejects after a generous bound so
// a notification that never comes fails the run instead of hanging it.
function within(promise, what, timeoutMs = 30000) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

// The client's next notifications/tools/list_changed.
function nextListChanged(client) {
  return new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, resolve));
}

// What a client relies on: told of the change, the new tool listed, and callable.
async function followsChanges(client, where) {
  check(client.getServerCapabilities()?.tools?.listChanged === true, `${where}: initialize advertises tools.listChanged`,
        client.getServerCapabilities());
  const before = (await client.listTools()).tools.map((tool) => tool.name);
  check(before.includes("echo") && !before.includes("fresh"), `${where}: the proxied server's tools are listed`, before);
  const told = nextListChanged(client);
  const changed = await client.callTool({ name: "change", arguments: { text: "fresh" } });
  check(text(changed) === "changed", `${where}: the server's change tool ran`, changed);
  await within(told, "notifications/tools/list_changed");
  check(true, `${where}: the SDK client got notifications/tools/list_changed`);
  const after = (await client.listTools()).tools.map((tool) => tool.name);
  check(after.includes("fresh") && after.includes("echo"), `${where}: tools/list has the new tool`, after);
  const fresh = await client.callTool({ name: "fresh", arguments: {} });
  check(!fresh.isError && text(fresh) === "fresh: called", `${where}: the new tool is called through weir`, fresh);
}


const clients = [];
let serve;
try {
  // 1. stdio: weir mcp serve in front of the fake server.
  const stdio = new Client({ name: "weir-proxy-conformance", version: "1.0.0" });
  clients.push(stdio);
  await stdio.connect(new StdioClientTransport({
    command: weir,
    args: ["--home", stdioHome, "mcp", "serve", "--mcp-server", `fake=python3 ${fakeServer}`],
    stderr: "inherit",
  }));
  await followsChanges(stdio, "stdio");

  // 2. streamable HTTP: a tool set of weir serve; the SDK listens on GET by itself.
  execFileSync(weir, ["--home", httpHome, "toolset", "create", "files", "--mcp-server", `fake=python3 ${fakeServer}`],
               { stdio: ["ignore", "ignore", "inherit"] });
  serve = await startServe(weir, httpHome);
  let listening;
  const opened = new Promise((resolve) => (listening = resolve));
  const http = new Client({ name: "weir-proxy-conformance", version: "1.0.0" });
  clients.push(http);
  const transport = new StreamableHTTPClientTransport(new URL("/v1/mcp/toolsets/files", serve.url), {
    // The standing stream is open once weir answers the SDK's GET with its head.
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      if (init?.method === "GET" && response.ok) listening(response.headers.get("content-type"));
      return response;
    },
  });
  await http.connect(transport);
  const contentType = await within(opened, "the SDK's GET stream");
  check(contentType.startsWith("text/event-stream"), "http: the SDK's GET opens an SSE stream", contentType);
  await followsChanges(http, "http");
  await transport.terminateSession();
  check(transport.sessionId === undefined, "http: weir ends the session on DELETE", String(transport.sessionId));
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
  for (const home of [stdioHome, httpHome]) rmSync(home, { recursive: true, force: true });
}
