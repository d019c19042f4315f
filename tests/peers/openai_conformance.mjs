// Conformance of `weir serve` with the official OpenAI Node SDK from npm
// (`openai`, pinned in package.json / package-lock.json): the SDK parses
// weir's answers, streams, model list and errors with its own code, so a
// field in the wrong place or an error of the wrong shape fails here.
//   1. chat.completions.create, not streamed: text, usage, and the gateway's
//      system prompt reaching the upstream;
//   2. streamed with stream_options.include_usage: the deltas, one usage chunk;
//   3. models.list: the gateway is listed; the Batch API: files.create,
//      batches.create, retrieve until completed, files.content, batches.list;
//   4. an unknown gateway is OpenAI.NotFoundError (404, with a message);
//   5. embeddings.create: base64 (the SDK's default) and floats, the local
//      embedder at its default and at 64 dimensions;
//   6. once a key exists: a wrong key is OpenAI.AuthenticationError (401),
//      the right one works;
//   7. SIGTERM stops weir with exit status 0.
// The gateway's model is a fake OpenAI upstream on 127.0.0.1 in this process.
//
// Usage: node tests/peers/openai_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 (skipped) when
// the peers are not installed (`npm ci --prefix tests/peers`), unless
// WEIR_REQUIRE_PEERS=1 (scripts/test) makes that a failure too.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { check, requirePeer, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("openai_conformance.mjs");
requirePeer("openai");
const { default: OpenAI, toFile } = await import("openai");

// A fake OpenAI-compatible upstream speaking the real wire format: a
// chat.completion object, or an SSE stream of a role chunk, content deltas, a
// finish chunk, a usage chunk (when asked for with stream_options) and
// [DONE]. It records each request body so the test can see what weir sent.
const pieces = ["The answer", " is", " 42."];
const answer = pieces.join("");
const usage = { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 };
const received = [];
const upstream = http.createServer((request, response) => {
  let body = "";
  request.on("data", (data) => (body += data));
  request.on("end", () => {
    const parsed = JSON.parse(body || "{}");
    received.push(parsed);
    const base = { id: "chatcmpl-fake", created: 1700000000, model: "fake-model" };
    if (!parsed.stream) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ...base, object: "chat.completion", usage,
        choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }] }));
      return;
    }
    const event = (payload) => `data: ${JSON.stringify(payload)}\n\n`;
    const chunk = (delta, finish = null) =>
      event({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] });
    const events = [chunk({ role: "assistant", content: "" }), ...pieces.map((piece) => chunk({ content: piece })),
                    chunk({}, "stop")];
    if (parsed.stream_options?.include_usage)
      events.push(event({ ...base, object: "chat.completion.chunk", choices: [], usage }));
    events.push("data: [DONE]\n\n");
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    // A few milliseconds apart, so weir has to pass them on as they come.
    const next = () => {
      const piece = events.shift();
      if (events.length === 0) return response.end(piece);
      response.write(piece);
      setTimeout(next, 5);
    };
    next();
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;

const home = mkdtempSync(path.join(tmpdir(), "weir-openai-conformance-"));
const run = (...args) => execFileSync(weir, ["--home", home, ...args], { stdio: ["ignore", "pipe", "inherit"] }).toString();

// Starts `weir serve --port 0` and resolves with the address it prints on
// stderr once it listens.
function startServe() {
  const child = spawn(weir, ["--home", home, "serve", "--port", "0"], { stdio: ["ignore", "inherit", "pipe"] });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`weir serve did not start within 10 s: ${seen}`)), 10000);
    child.stderr.on("data", (data) => {
      process.stderr.write(data);
      seen += data;
      const match = seen.match(/listening on (http:\/\/\S+)\n/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`weir serve exited (${code}) before listening: ${seen}`)));
  });
  return { child, exited, listening };
}

const systemPrompt = "You are terse. Answer with a number.";
let serve;
try {
  run("provider", "add", "fake", "--base-url", upstreamUrl, "--max-retries", "0");
  run("gateway", "create", "helper", "--provider", "fake", "--model", "fake-model", "--system", systemPrompt);
  serve = startServe();
  const address = await serve.listening;
  // No key exists yet: on loopback weir lets everyone in, whatever the key.
  const client = new OpenAI({ baseURL: `${address}/v1`, apiKey: "unused-before-keys-exist", maxRetries: 0 });

  // 1. Not streamed.
  const completion = await client.chat.completions.create({
    model: "helper", messages: [{ role: "user", content: "What is the answer?" }] });
  check(completion.object === "chat.completion" && completion.choices[0].message.content === answer &&
        completion.choices[0].finish_reason === "stop", "create: the answer text", completion);
  check(completion.usage?.prompt_tokens === usage.prompt_tokens && completion.usage?.completion_tokens === usage.completion_tokens &&
        completion.usage?.total_tokens === usage.total_tokens, "create: usage is the upstream's", completion.usage);
  const sent = received.at(-1);
  check(sent.model === "fake-model" && sent.messages[0].role === "system" && sent.messages[0].content === systemPrompt &&
        sent.messages.at(-1).content === "What is the answer?", "create: the upstream got the gateway's model and system prompt", sent);

  // 2. Streamed, with the usage chunk asked for.
  const stream = await client.chat.completions.create({
    model: "helper", messages: [{ role: "user", content: "Stream it" }], stream: true,
    stream_options: { include_usage: true } });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
  check(text === answer, "stream: the content deltas join into the answer", chunks);
  check(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.id === chunks[0].id),
        "stream: every event is a chat.completion.chunk of one id", chunks.map((chunk) => [chunk.object, chunk.id]));
  check(chunks.some((chunk) => chunk.choices[0]?.finish_reason === "stop"), "stream: a finish chunk says stop");
  const usageChunks = chunks.filter((chunk) => chunk.usage);
  check(usageChunks.length === 1 && usageChunks[0] === chunks.at(-1) && usageChunks[0].choices.length === 0 &&
        usageChunks[0].usage.total_tokens === usage.total_tokens,
        "stream: exactly one usage chunk, the last, with empty choices", usageChunks);
  check(received.at(-1).stream === true && received.at(-1).messages[0].content === systemPrompt,
        "stream: the upstream was asked to stream, with the system prompt", received.at(-1));

  // 3. The model list.
  const models = [];
  for await (const model of client.models.list()) models.push(model);
  check(models.some((model) => model.id === "helper" && model.object === "model"), "models.list: the gateway is listed",
        models.map((model) => model.id));

  // 3b. The Batch API: upload a JSONL file of requests, create a batch, poll
  // retrieve until it completes (weir serve runs it in the background), and
  // download its output file.
  const customIds = ["one", "two", "three"];
  const requestLines = customIds.map((id) => JSON.stringify({
    custom_id: id, method: "POST", url: "/v1/chat/completions",
    body: { model: "helper", messages: [{ role: "user", content: `Batch ${id}` }] } })).join("\n") + "\n";
  const uploaded = await client.files.create({ file: await toFile(Buffer.from(requestLines), "requests.jsonl"), purpose: "batch" });
  check(uploaded.object === "file" && uploaded.purpose === "batch" && uploaded.bytes === Buffer.byteLength(requestLines) &&
        uploaded.filename === "requests.jsonl", "files.create: a batch input file", uploaded);
  const created = await client.batches.create({ input_file_id: uploaded.id, endpoint: "/v1/chat/completions",
                                                completion_window: "24h", metadata: { purpose: "conformance" } });
  check(created.object === "batch" && created.input_file_id === uploaded.id && created.endpoint === "/v1/chat/completions" &&
        ["validating", "in_progress", "completed"].includes(created.status) && created.metadata?.purpose === "conformance",
        "batches.create: a batch object", created);
  let batch = created;
  const deadline = Date.now() + 30000;
  while (!["completed", "failed", "cancelled", "expired"].includes(batch.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    batch = await client.batches.retrieve(created.id);
  }
  check(batch.status === "completed" && batch.request_counts.total === 3 && batch.request_counts.completed === 3 &&
        batch.request_counts.failed === 0 && typeof batch.output_file_id === "string" && batch.error_file_id === null &&
        typeof batch.completed_at === "number", "batches.retrieve: completed, 3 of 3 requests", batch);
  const output = await (await client.files.content(batch.output_file_id)).text();
  const results = output.trim().split("\n").map((line) => JSON.parse(line));
  check(results.length === 3 && results.map((result) => result.custom_id).sort().join() === [...customIds].sort().join() &&
        results.every((result) => result.error === null && result.response.status_code === 200 &&
                      result.response.body.object === "chat.completion" &&
                      result.response.body.choices[0].message.content === answer),
        "files.content: one chat.completion per custom_id in the output file", results);
  check(customIds.every((id) => received.some((body) => body.messages?.at(-1)?.content === `Batch ${id}`)),
        "batch: every request reached the upstream through the gateway");
  const batches = [];
  for await (const listed of client.batches.list()) batches.push(listed);
  check(batches.some((listed) => listed.id === created.id && listed.status === "completed"), "batches.list: the batch is listed",
        batches.map((listed) => listed.id));

  // 4. An unknown gateway.
  let missing;
  try {
    await client.chat.completions.create({ model: "no-such-gateway", messages: [{ role: "user", content: "hi" }] });
  } catch (error) {
    missing = error;
  }
  check(missing instanceof OpenAI.NotFoundError && missing.status === 404 && typeof missing.error?.message === "string" &&
        missing.error.message.length > 0, "unknown gateway: OpenAI.NotFoundError, 404, with a message",
        { name: missing?.constructor?.name, status: missing?.status, error: missing?.error });

  // 5. Embeddings: the SDK asks for base64 by default and decodes the floats
  // itself; asked for floats, the same vectors come as numbers.
  const embedded = await client.embeddings.create({ model: "local", input: ["key rotation", "a holiday"] });
  check(embedded.object === "list" && embedded.data.length === 2 && embedded.data[1].index === 1 &&
        embedded.data[0].embedding.length === 512 && embedded.usage.prompt_tokens > 0,
        "embeddings.create: two 512-dimension vectors of the local embedder", { ...embedded, data: embedded.data.length });
  const norm = Math.sqrt(embedded.data[0].embedding.reduce((sum, value) => sum + value * value, 0));
  check(Math.abs(norm - 1) < 1e-4, "embeddings.create: unit-length vectors", norm);
  const floats = await client.embeddings.create({ model: "local", input: "key rotation", encoding_format: "float",
                                                  dimensions: 64 });
  check(floats.data[0].embedding.length === 64, "embeddings.create: dimensions 64, as floats", floats.data[0]);

  // 6. Keys: once one exists, every request needs it.
  const key = JSON.parse(run("--json", "key", "create", "conformance")).key;
  check(typeof key === "string" && key.length > 0, "key create --json: a key");
  // weir re-reads its keys at most once a second (core/http/access_control.cpp).
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const intruder = new OpenAI({ baseURL: `${address}/v1`, apiKey: "not-the-key", maxRetries: 0 });
  let refused;
  try {
    await intruder.chat.completions.create({ model: "helper", messages: [{ role: "user", content: "hi" }] });
  } catch (error) {
    refused = error;
  }
  check(refused instanceof OpenAI.AuthenticationError && refused.status === 401 && refused.error?.message?.length > 0,
        "wrong key: OpenAI.AuthenticationError, 401, with a message",
        { name: refused?.constructor?.name, status: refused?.status, error: refused?.error });
  const keyed = new OpenAI({ baseURL: `${address}/v1`, apiKey: key, maxRetries: 0 });
  const allowed = await keyed.chat.completions.create({ model: "helper", messages: [{ role: "user", content: "again" }] });
  check(allowed.choices[0].message.content === answer, "right key: the request is answered", allowed);

  // 7. A clean stop.
  serve.child.kill("SIGTERM");
  const ended = await serve.exited;
  check(ended.code === 0, "SIGTERM: weir serve exits 0", ended);
} catch (error) {
  if (!process.exitCode) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill("SIGKILL");
  upstream.close();
  rmSync(home, { recursive: true, force: true });
}
