// The official OpenAI Node SDK against `weir serve` with gateways on three
// upstream kinds: an OpenAI-compatible fake, an Anthropic Messages API fake
// and a Gemini generateContent fake, each speaking its provider's published
// wire format. Whatever the upstream speaks, the SDK must get the same OpenAI
// shapes: the same fields of the same types in a chat.completion, in every
// chat.completion.chunk and in a tool call, the same text, finish reasons and
// usage.
//   1. not streamed: text, finish_reason "stop", usage;
//   2. streamed with include_usage: deltas, one usage chunk, the last;
//   3. a client tool: the model's call comes back as OpenAI tool_calls
//      (not streamed and streamed), finish_reason "tool_calls";
//   4. the shapes of 1-3 equal the OpenAI-kind gateway's, field for field.
//
// Usage: node tests/peers/native_providers_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 (skipped) when
// the peers are not installed (see conformance_support.mjs).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { check, requirePeer, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("native_providers_conformance.mjs");
requirePeer("openai");
const { default: OpenAI } = await import("openai");

const pieces = ["The answer", " is", " 42."];
const answer = pieces.join("");
const promptTokens = 21;
const completionTokens = 5;
const toolArguments = { city: "Paris" };

// Whether the request offers the client's `get_weather` tool, in each
// provider's own shape.
const offersTool = {
  openai: (body) => (body.tools ?? []).some((tool) => tool.function?.name === "get_weather"),
  anthropic: (body) => (body.tools ?? []).some((tool) => tool.name === "get_weather" && tool.input_schema),
  gemini: (body) =>
    (body.tools ?? []).some((tool) => (tool.functionDeclarations ?? []).some((declaration) => declaration.name === "get_weather")),
};

// Sends `events` (already framed) a few milliseconds apart, so weir has to
// pass them on as they come.
function sendEvents(response, events) {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const next = () => {
    const event = events.shift();
    if (events.length === 0) return response.end(event);
    response.write(event);
    setTimeout(next, 3);
  };
  next();
}

function sendJson(response, body) {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

// OpenAI chat completions (platform.openai.com API reference).
function answerOpenAi(body, streamed, response) {
  const base = { id: "chatcmpl-fake", created: 1700000000, model: "fake-model" };
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const useTool = offersTool.openai(body);
  const call = { id: "call_1", type: "function", function: { name: "get_weather", arguments: JSON.stringify(toolArguments) } };
  if (!streamed) {
    const message = useTool ? { role: "assistant", content: null, tool_calls: [call] } : { role: "assistant", content: answer };
    return sendJson(response, { ...base, object: "chat.completion", usage,
      choices: [{ index: 0, message, finish_reason: useTool ? "tool_calls" : "stop" }] });
  }
  const data = (payload) => `data: ${JSON.stringify(payload)}\n\n`;
  const chunk = (delta, finish = null) =>
    data({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] });
  const events = [chunk({ role: "assistant", content: "" })];
  if (useTool) {
    events.push(chunk({ tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: "get_weather", arguments: "" } }] }));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] }));
    events.push(chunk({}, "tool_calls"));
  } else {
    for (const piece of pieces) events.push(chunk({ content: piece }));
    events.push(chunk({}, "stop"));
  }
  if (body.stream_options?.include_usage) events.push(data({ ...base, object: "chat.completion.chunk", choices: [], usage }));
  events.push("data: [DONE]\n\n");
  sendEvents(response, events);
}

// Anthropic Messages API (docs.anthropic.com: Messages, Streaming Messages).
function answerAnthropic(body, response) {
  const useTool = offersTool.anthropic(body);
  const message = { id: "msg_fake", type: "message", role: "assistant", model: "claude-fake", stop_sequence: null };
  if (!body.stream) {
    const content = useTool
      ? [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: toolArguments }]
      : [{ type: "text", text: answer }];
    return sendJson(response, { ...message, content, stop_reason: useTool ? "tool_use" : "end_turn",
      usage: { input_tokens: promptTokens, output_tokens: completionTokens } });
  }
  const event = (name, payload) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...payload })}\n\n`;
  const events = [event("message_start", { message: { ...message, content: [], stop_reason: null,
    usage: { input_tokens: promptTokens, output_tokens: 1 } } }), event("ping", {})];
  if (useTool) {
    const json = JSON.stringify(toolArguments);
    events.push(event("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} } }));
    events.push(event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: json.slice(0, 5) } }));
    events.push(event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: json.slice(5) } }));
  } else {
    events.push(event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    for (const piece of pieces) events.push(event("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } }));
  }
  events.push(event("content_block_stop", { index: 0 }));
  events.push(event("message_delta", { delta: { stop_reason: useTool ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: completionTokens } }));
  events.push(event("message_stop", {}));
  sendEvents(response, events);
}

// Gemini generateContent / streamGenerateContent?alt=sse (ai.google.dev API reference).
function answerGemini(body, streamed, response) {
  const useTool = offersTool.gemini(body);
  const usageMetadata = { promptTokenCount: promptTokens, candidatesTokenCount: completionTokens,
    totalTokenCount: promptTokens + completionTokens };
  const candidate = (parts, finishReason) => ({ content: { role: "model", parts }, index: 0, ...(finishReason ? { finishReason } : {}) });
  const call = [{ functionCall: { name: "get_weather", args: toolArguments } }];
  if (!streamed) {
    return sendJson(response, { candidates: [candidate(useTool ? call : [{ text: answer }], "STOP")], usageMetadata,
      modelVersion: "gemini-fake" });
  }
  const data = (payload) => `data: ${JSON.stringify(payload)}\r\n\r\n`;
  const events = [];
  if (useTool) {
    events.push(data({ candidates: [candidate(call, "STOP")], usageMetadata, modelVersion: "gemini-fake" }));
  } else {
    pieces.forEach((piece, index) => {
      const last = index === pieces.length - 1;
      events.push(data({ candidates: [candidate([{ text: piece }], last ? "STOP" : undefined)],
        ...(last ? { usageMetadata } : {}), modelVersion: "gemini-fake" }));
    });
  }
  sendEvents(response, events);
}

const received = { openai: [], anthropic: [], gemini: [] };
const upstream = http.createServer((request, response) => {
  let text = "";
  request.on("data", (data) => (text += data));
  request.on("end", () => {
    const body = JSON.parse(text || "{}");
    const url = new URL(request.url, "http://fake");
    if (url.pathname === "/openai/v1/chat/completions") {
      received.openai.push(body);
      return answerOpenAi(body, body.stream === true, response);
    }
    if (url.pathname === "/anthropic/v1/messages") {
      received.anthropic.push({ body, headers: request.headers });
      return answerAnthropic(body, response);
    }
    const gemini = url.pathname.match(/^\/gemini\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/);
    if (gemini) {
      received.gemini.push({ body, headers: request.headers, query: url.searchParams });
      return answerGemini(body, gemini[2] === "streamGenerateContent", response);
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: `no route ${request.method} ${url.pathname}` } }));
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const root = `http://127.0.0.1:${upstream.address().port}`;

const home = mkdtempSync(path.join(tmpdir(), "weir-native-conformance-"));
const environment = { ...process.env, FAKE_ANTHROPIC_KEY: "sk-ant-fake", FAKE_GEMINI_KEY: "gemini-fake" };
const run = (...args) =>
  execFileSync(weir, ["--home", home, ...args], { stdio: ["ignore", "pipe", "inherit"], env: environment }).toString();

function startServe() {
  const child = spawn(weir, ["--home", home, "serve", "--port", "0"], { stdio: ["ignore", "inherit", "pipe"], env: environment });
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

// The shape of a value: its type, and for objects and arrays the shapes of
// their members. Values (ids, timestamps, text) do not count.
function shape(value) {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape(value[key])]));
}

const weatherTool = { type: "function", function: { name: "get_weather", description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const ask = (content) => [{ role: "user", content }];

// Runs every check on the gateway `name`; returns the shapes seen.
async function exercise(client, name) {
  const completion = await client.chat.completions.create({ model: name, messages: ask("What is the answer?") });
  check(completion.object === "chat.completion" && completion.choices[0].message.content === answer &&
        completion.choices[0].finish_reason === "stop", `${name} create: the answer text`, completion);
  check(completion.usage?.prompt_tokens === promptTokens && completion.usage?.completion_tokens === completionTokens &&
        completion.usage?.total_tokens === promptTokens + completionTokens, `${name} create: the upstream's usage`, completion.usage);

  const stream = await client.chat.completions.create({ model: name, messages: ask("Stream it"), stream: true,
    stream_options: { include_usage: true } });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
  check(text === answer, `${name} stream: the deltas join into the answer`, chunks);
  check(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.id === chunks[0].id),
        `${name} stream: chat.completion.chunk events of one id`);
  check(chunks.some((chunk) => chunk.choices[0]?.finish_reason === "stop"), `${name} stream: a finish chunk says stop`);
  const usageChunks = chunks.filter((chunk) => chunk.usage);
  check(usageChunks.length === 1 && usageChunks[0] === chunks.at(-1) && usageChunks[0].choices.length === 0 &&
        usageChunks[0].usage.prompt_tokens === promptTokens && usageChunks[0].usage.completion_tokens === completionTokens,
        `${name} stream: one usage chunk, the last, with the upstream's counts`, usageChunks);

  const called = await client.chat.completions.create({ model: name, messages: ask("Weather in Paris?"), tools: [weatherTool] });
  const call = called.choices[0].message.tool_calls?.[0];
  check(called.choices[0].finish_reason === "tool_calls" && call?.type === "function" && call.function.name === "get_weather" &&
        typeof call.id === "string" && call.id.length > 0 && JSON.stringify(JSON.parse(call.function.arguments)) === JSON.stringify(toolArguments),
        `${name} tools: the model's call is an OpenAI tool call`, called.choices[0]);

  const calledStream = await client.chat.completions.create({ model: name, messages: ask("Weather in Paris?"),
    tools: [weatherTool], stream: true });
  const toolChunks = [];
  for await (const chunk of calledStream) toolChunks.push(chunk);
  const fragments = toolChunks.flatMap((chunk) => chunk.choices[0]?.delta?.tool_calls ?? []);
  const joined = fragments.map((fragment) => fragment.function?.arguments ?? "").join("");
  check(fragments.length > 0 && fragments[0].id && fragments[0].function?.name === "get_weather" &&
        JSON.stringify(JSON.parse(joined)) === JSON.stringify(toolArguments) &&
        toolChunks.some((chunk) => chunk.choices[0]?.finish_reason === "tool_calls"),
        `${name} tools, streamed: fragments join into the call, finish tool_calls`, toolChunks);

  return {
    completion: shape(completion),
    chunk: shape(chunks.find((chunk) => chunk.choices[0]?.delta?.content)),
    usageChunk: shape(usageChunks[0]),
    toolCall: shape(called.choices[0].message),
  };
}

let serve;
try {
  run("provider", "add", "fake-openai", "--base-url", `${root}/openai/v1`, "--max-retries", "0");
  run("provider", "add", "fake-anthropic", "--kind", "anthropic", "--base-url", `${root}/anthropic/v1`,
      "--api-key-env", "FAKE_ANTHROPIC_KEY", "--max-retries", "0");
  run("provider", "add", "fake-gemini", "--kind", "gemini", "--base-url", `${root}/gemini/v1beta`,
      "--api-key-env", "FAKE_GEMINI_KEY", "--max-retries", "0");
  for (const [gateway, provider, model] of [["via-openai", "fake-openai", "fake-model"],
    ["via-anthropic", "fake-anthropic", "claude-fake"], ["via-gemini", "fake-gemini", "gemini-fake"]])
    run("gateway", "create", gateway, "--provider", provider, "--model", model, "--system", "Be terse.",
        "--overridable", "tools");
  serve = startServe();
  const address = await serve.listening;
  const client = new OpenAI({ baseURL: `${address}/v1`, apiKey: "unused-before-keys-exist", maxRetries: 0 });

  const reference = await exercise(client, "via-openai");
  for (const name of ["via-anthropic", "via-gemini"]) {
    const shapes = await exercise(client, name);
    for (const part of Object.keys(reference))
      check(JSON.stringify(shapes[part]) === JSON.stringify(reference[part]),
            `${name}: the ${part} has the OpenAI-kind gateway's shape`, { got: shapes[part], want: reference[part] });
  }

  const anthropic = received.anthropic.at(0);
  check(anthropic.headers["x-api-key"] === "sk-ant-fake" && typeof anthropic.headers["anthropic-version"] === "string" &&
        anthropic.body.system !== undefined && anthropic.body.model === "claude-fake" && anthropic.body.max_tokens > 0,
        "anthropic: the key, version header, top-level system and max_tokens were sent",
        { headers: anthropic.headers, body: anthropic.body });
  const gemini = received.gemini.at(0);
  check(gemini.headers["x-goog-api-key"] === "gemini-fake" && gemini.body.systemInstruction !== undefined &&
        gemini.body.contents?.[0]?.role === "user", "gemini: the key header, systemInstruction and user contents were sent",
        { headers: gemini.headers, body: gemini.body });
  check(received.gemini.some((request) => request.query.get("alt") === "sse"), "gemini: streams are asked for with alt=sse");

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
