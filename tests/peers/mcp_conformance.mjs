// Conformance of `weir mcp serve` with the MCP clients people use, from npm
// (pinned in package.json / package-lock.json):
//   1. the official TypeScript SDK client: connect, list tools, call invoke
//      (with progress) and search (its structuredContent is checked by the
//      SDK against the declared outputSchema), ping, close;
//   2. the MCP Inspector CLI: tools/list and tools/call.
// The gateway's model is a fake OpenAI upstream on 127.0.0.1 in this process.
//
// Usage: node tests/peers/mcp_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 (skipped) when
// the peers are not installed (`npm ci --prefix tests/peers`), unless
// WEIR_REQUIRE_PEERS=1 (scripts/test) makes that a failure too.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { check, requirePeer, weirBinary } from "./conformance_support.mjs";
import { promisify } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const weir = weirBinary("mcp_conformance.mjs");
requirePeer("@modelcontextprotocol/sdk");
const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");

// A fake OpenAI-compatible upstream: streams "The answer is 42." in pieces,
// 50 ms apart as a model would (the SDK drops progress that arrives in the
// same read as the response it belongs to, so an instant stream proves less).
const pieces = ["The answer", " is", " 42."];
const upstream = http.createServer((request, response) => {
  let body = "";
  request.on("data", (data) => (body += data));
  request.on("end", () => {
    const parsed = JSON.parse(body || "{}");
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "fake",
                                choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (!parsed.stream) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id: "c", object: "chat.completion", created: 0, model: "fake",
        choices: [{ index: 0, message: { role: "assistant", content: pieces.join("") }, finish_reason: "stop" }] }));
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream" });
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

const home = mkdtempSync(path.join(tmpdir(), "weir-mcp-conformance-"));
const run = (...args) => execFileSync(weir, ["--home", home, ...args], { input: args.input ?? "", stdio: ["pipe", "pipe", "inherit"] });
const serveArguments = ["--home", home, "mcp", "serve", "--gateway", "helper", "--tool-name", "helper",
                        "--collections", "kb", "--min-score", "0.05"];

let client;
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

  // 1. The official TypeScript SDK client.
  client = new Client({ name: "weir-conformance", version: "1.0.0" });
  const transport = new StdioClientTransport({ command: weir, args: serveArguments, stderr: "inherit" });
  await client.connect(transport);
  check(client.getServerVersion()?.name === "weir", "SDK: connect (initialize handshake)", client.getServerVersion());

  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name).sort();
  check(JSON.stringify(names) === JSON.stringify(["invoke_helper", "kb_search"]), "SDK: list tools", names);

  const progress = [];
  const invoked = await client.callTool({ name: "invoke_helper", arguments: { prompt: "What is the answer?" } },
                                        undefined, { onprogress: (update) => progress.push(update) });
  check(!invoked.isError && invoked.content[0].text === "The answer is 42.", "SDK: call invoke_helper", invoked);
  check(progress.map((update) => update.message).join("") === "The answer is 42.",
        "SDK: progress notifications carry the streamed text", progress);

  const found = await client.callTool({ name: "kb_search", arguments: { search_terms: ["volcano magma"] } });
  check(!found.isError && found.structuredContent.results[0].docid === "volcano",
        "SDK: call kb_search (structuredContent validated against outputSchema)", found);

  const bad = await client.callTool({ name: "kb_search", arguments: { search_terms: [] } });
  check(bad.isError === true, "SDK: bad arguments are an isError result", bad);

  check(JSON.stringify(await client.ping()) === "{}", "SDK: ping");
  await client.close();
  check(true, "SDK: close");

  // 2. The MCP Inspector CLI.
  const inspector = path.join(here, "node_modules/@modelcontextprotocol/inspector/cli/build/cli.js");
  // The Inspector reads --tool-name among the server's arguments as its own,
  // so its server keeps the default tool name.
  const inspectedServer = ["--home", home, "mcp", "serve", "--gateway", "helper", "--collections", "kb", "--min-score", "0.05"];
  const inspect = async (...args) => {
    const { stdout } = await promisify(execFile)(process.execPath, [inspector, "--cli", weir, ...inspectedServer, ...args],
                                                 { timeout: 60000 });
    return JSON.parse(stdout);
  };
  const listed = await inspect("--method", "tools/list");
  check(listed.tools.some((tool) => tool.name === "kb_search") && listed.tools.some((tool) => tool.name === "invoke_ai_model"),
        "Inspector CLI: tools/list", listed);
  const searched = await inspect("--method", "tools/call", "--tool-name", "kb_search",
                                 "--tool-arg", 'search_terms=["volcano"]');
  check(searched.isError === false && searched.structuredContent.results[0].docid === "volcano",
        "Inspector CLI: tools/call kb_search", searched);
  const asked = await inspect("--method", "tools/call", "--tool-name", "invoke_ai_model", "--tool-arg", "prompt=hello");
  check(asked.isError === false && asked.content[0].text === "The answer is 42.", "Inspector CLI: tools/call invoke_ai_model",
        asked);
} catch (error) {
  if (!process.exitCode) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  await client?.close();
  upstream.close();
  rmSync(home, { recursive: true, force: true });
}
