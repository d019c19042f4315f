// The web chat page in headless Chromium (Debian's `chromium`), driven by
// puppeteer-core from npm (pinned in package-lock.json), against the built
// `weir serve` and a fake upstream that streams its answers in slow chunks.
// It opens a session link, sends a message and sees the answer grow in the
// page (observed with a MutationObserver, not by waiting), reloads and finds
// the conversation again, retries, gets the hourly limit as a message, and
// checks that an answer holding `<img src=x onerror=...>` and a
// `javascript:` link stays inert (no script ran, no such element or link).
// One browser launch; screenshots go to the folder named by the second
// argument. Exit 0 when all holds, 1 on the first failure, 77 (skipped) when
// puppeteer-core or chromium is missing, which WEIR_REQUIRE_PEERS=1 makes a
// failure. Then the dashboard at / draws its charts from those requests.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { check, requirePeer, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("web_chat_browser.mjs");
const artefacts = process.argv[3] || path.join(tmpdir(), "weir-web-chat-artefacts");
requirePeer("puppeteer-core");
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => existsSync(candidate));
if (!chromium) {
  const required = process.env.WEIR_REQUIRE_PEERS === "1";
  console.error(`${required ? "FAIL" : "skipped"}: no chromium; install Debian's package (scripts/setup)`);
  process.exit(required ? 1 : 77);
}
const { default: puppeteer } = await import("puppeteer-core");
mkdirSync(artefacts, { recursive: true });

// ---- the fake upstream: OpenAI SSE, one chunk at a time --------------------
const XSS_PROMPT = "Show me a trick";
const XSS_ANSWER =
  'Look: <img src=x onerror="window.__pwned=1"> and [click me](javascript:window.__pwned=1) and [docs](https://example.com/docs).';
const FAIL_PROMPT = "Fail once";
let served = 0, failed = 0;
const prompts = [];
const upstream = http.createServer((request, response) => {
  let body = "";
  request.on("data", (data) => (body += data));
  request.on("end", async () => {
    const messages = JSON.parse(body).messages;
    const prompt = messages[messages.length - 1].content;
    served += 1;
    prompts.push(prompt);
    if (prompt === FAIL_PROMPT && failed++ === 0) {
      // Part of an answer, then the upstream gives up mid-stream.
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      response.end(`data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "fake",
                                            choices: [{ index: 0, delta: { role: "assistant", content: "Half an ans" }, finish_reason: null }] })}\n\n` +
                   `data: ${JSON.stringify({ error: { message: "the model is overloaded", type: "server_error" } })}\n\n`);
      return;
    }
    const answer = prompt === XSS_PROMPT ? XSS_ANSWER : `Hello **there** (answer ${served}), this answer streams in pieces.`;
    const pieces = answer.match(/.{1,12}/gs);
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "fake", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    response.write(chunk({ role: "assistant", content: "" }));
    for (const piece of pieces) {
      await new Promise((resolve) => setTimeout(resolve, 60));  // the upstream's pace, not the test's synchronisation
      response.write(chunk({ content: piece }));
    }
    const usage = { prompt_tokens: 12, completion_tokens: pieces.length, total_tokens: 12 + pieces.length };
    response.end(chunk({}, "stop") + `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [], usage })}\n\n` +
                 "data: [DONE]\n\n");
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));

const home = mkdtempSync(path.join(tmpdir(), "weir-web-chat-"));
const run = (...args) => execFileSync(weir, ["--home", home, ...args], { stdio: ["ignore", "pipe", "inherit"] }).toString();
let serve, browser;
try {
  run("provider", "add", "fake", "--base-url", `http://127.0.0.1:${upstream.address().port}/v1`, "--max-retries", "0");
  run("gateway", "create", "helper", "--provider", "fake", "--model", "fake-model");
  run("collection", "create", "notes");
  execFileSync(weir, ["--home", home, "collection", "import", "notes", "-"],
               { input: '{"docid": "keys", "text": "Keys are rotated every 90 days."}\n', stdio: ["pipe", "ignore", "inherit"] });
  run("chat-client", "create", "support", "--gateway", "helper", "--title", "Support desk", "--subtitle", "Ask us anything",
      "--suggestion", XSS_PROMPT, "--messages-per-hour", "3", "--color", "#0f766e");

  serve = spawn(weir, ["--home", home, "serve", "--port", "0"], { stdio: ["ignore", "inherit", "pipe"] });
  const origin = await new Promise((resolve, reject) => {
    let seen = "";
    serve.stderr.on("data", (data) => {
      seen += data;
      const match = seen.match(/listening on (http:\/\/\S+)\n/);
      if (match) resolve(match[1]);
    });
    serve.on("exit", (code) => reject(new Error(`weir serve exited (${code}): ${seen}`)));
  });
  const link = run("chat-client", "session", "support", "--url", origin).trim();
  check(link.startsWith(`${origin}/chat/cs_`) && link.includes("#key=weir_ck_"), "chat-client session prints a link", link);

  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 700 });
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // A refused request (the limit's 429, the favicon's 404) is logged as a
    // failed load; script errors and CSP refusals ("Refused to ...") are not.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      problems.push(`console: ${message.text()}`);
  });
  const idle = () => page.waitForFunction(() => document.body.dataset.state === "idle", { polling: "mutation", timeout: 10000 });
  // Records every text the last answer shows, as the page changes it.
  const watchAnswers = () =>
    page.evaluate(() => {
      window.__seen = [];
      new MutationObserver(() => {
        const answers = document.querySelectorAll("#log .message.assistant");
        const text = answers.length ? answers[answers.length - 1].textContent : "";
        if (text && window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
      }).observe(document.getElementById("log"), { childList: true, subtree: true, characterData: true });
    });
  const messages = () =>
    page.$$eval("#log .message", (nodes) => nodes.map((node) => ({ role: node.dataset.role, text: node.textContent })));

  await page.goto(link);
  await idle();
  check((await page.$eval("#title", (node) => node.textContent)) === "Support desk", "the page shows the client's title");
  check((await page.evaluate(() => document.activeElement.id)) === "input", "the message box has the keyboard focus");

  // Send with the keyboard, see the answer stream in.
  await watchAnswers();
  await page.type("#input", "hello");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.body.dataset.state === "busy", { polling: "mutation" });
  await idle();
  const final = "Hello there (answer 1), this answer streams in pieces.";
  let conversation = await messages();
  check(conversation.length === 2 && conversation[1].text === final, "the answer arrives whole", conversation);
  const seen = await page.evaluate(() => window.__seen);
  // A prefix may end inside Markdown not yet closed ("Hello **ther"), shown as typed until it closes.
  const partial = seen.filter((text) => text !== final && final.startsWith(text.replace(/\*/g, "").replace(/\s+$/, "")));
  check(partial.length >= 3, "the answer appeared incrementally (several growing prefixes before the end)", seen);
  check((await page.$$eval("#log .message.assistant strong", (nodes) => nodes.map((node) => node.textContent))).includes("there"),
        "Markdown is rendered (bold)");
  await page.screenshot({ path: path.join(artefacts, "chat.png") });

  // A reload restores the conversation.
  await page.reload();
  await idle();
  conversation = await messages();
  check(conversation.length === 2 && conversation[0].text === "hello" && conversation[1].text === final,
        "the conversation is restored after a reload", conversation);

  // Retry replaces the last answer.
  await page.focus("#retry");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.body.dataset.state === "busy", { polling: "mutation" });
  await idle();
  conversation = await messages();
  check(conversation.length === 2 && conversation[1].text.includes("(answer 2)"), "retry replaced the last answer", conversation);

  // A hostile answer renders inert.
  await page.click("#suggestions button");
  await page.waitForFunction(() => document.body.dataset.state === "busy", { polling: "mutation" });
  await idle();
  await page.$eval("#log", (log) => [...log.querySelectorAll("a")].forEach((link) => { if (!link.href.startsWith("https:")) link.click(); }));
  const inert = await page.evaluate(() => ({
    pwned: window.__pwned,
    images: document.querySelectorAll("#log img").length,
    scriptLinks: [...document.querySelectorAll("#log a")].filter((link) => !/^(https?|mailto):/.test(link.href)).length,
    links: [...document.querySelectorAll("#log a")].map((link) => link.href),
    text: document.querySelector("#log .message.assistant:last-child").textContent,
  }));
  check(inert.pwned === undefined, "no script of the answer ran", inert);
  check(inert.images === 0 && inert.scriptLinks === 0, "the answer made no image and no javascript: link", inert);
  check(inert.links.length === 1 && inert.links[0] === "https://example.com/docs", "the https link stays a link", inert);
  check(inert.text.includes('<img src=x onerror="window.__pwned=1">') && inert.text.includes("click me"),
        "the markup is shown as text", inert);

  // Over the hourly limit: a message in the page, the typed text given back.
  await page.type("#input", "one more");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.getElementById("notice").hidden && document.body.dataset.state === "idle",
                             { polling: "mutation", timeout: 10000 });
  const notice = await page.$eval("#notice", (node) => node.textContent);
  check(notice.startsWith("This chat allows 3 messages per hour."), "the limit is a message in the page", notice);
  check((await page.$eval("#input", (node) => node.value)) === "one more", "the refused message is back in the box");
  check((await messages()).length === 4, "the refused message left no bubble");
  check(served === 3, "the refused message never reached the upstream", served);

  // Phone width: nothing scrolls sideways.
  await page.setViewport({ width: 375, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, "readable at phone width (no sideways scrolling)", overflow);
  await page.screenshot({ path: path.join(artefacts, "chat-phone.png") });

  // The dashboard at / draws its charts from the requests just made.
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => ["ready", "failed", "key"].includes(document.body.dataset.state), { polling: "mutation", timeout: 10000 });
  const dashboard = await page.evaluate(() => ({
    state: document.body.dataset.state,
    tokenBars: document.querySelectorAll("#tokens-chart svg rect.bar").length,
    costBars: document.querySelectorAll("#cost-chart svg rect").length,
    gateways: [...document.querySelectorAll("#gateways tbody tr td:first-child")].map((cell) => cell.textContent),
    collections: [...document.querySelectorAll("#collections tbody tr")].map((row) => row.textContent),
    recent: document.querySelectorAll("#recent tbody tr").length,
    requests: document.getElementById("requests").textContent,
  }));
  check(dashboard.state === "ready" && dashboard.tokenBars > 0, "the dashboard draws its token chart as SVG", dashboard);
  check(dashboard.gateways.includes("helper") && dashboard.collections.some((row) => row.startsWith("notes1")),
        "the dashboard lists gateways and collections with document counts", dashboard);
  check(dashboard.recent === 3 && dashboard.requests === "3", "the dashboard shows the recent requests", dashboard);
  await page.screenshot({ path: path.join(artefacts, "dashboard.png"), fullPage: true });

  // A grounded client that shows its sources; an answer that fails mid-stream, then Retry.
  run("gateway", "create", "grounded", "--provider", "fake", "--model", "fake-model", "--collection", "notes");
  run("chat-client", "create", "library", "--gateway", "grounded", "--show-sources", "--show-tools");
  await page.setViewport({ width: 900, height: 700 });
  await page.goto(run("chat-client", "session", "library", "--url", origin).trim());
  await idle();
  await page.type("#input", "When are keys rotated?");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.body.dataset.state === "busy", { polling: "mutation" });
  await idle();
  const sources = await page.$$eval("#log .message.assistant .sources li", (nodes) => nodes.map((node) => node.textContent));
  check(sources.length === 1 && sources[0] === "notes: keys", "the answer shows the document it was grounded on", sources);
  await page.screenshot({ path: path.join(artefacts, "chat-sources.png") });

  await page.type("#input", FAIL_PROMPT);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.getElementById("notice").hidden && document.body.dataset.state === "idle",
                             { polling: "mutation", timeout: 10000 });
  const failure = await page.$eval("#notice", (node) => node.textContent);
  check(failure.includes("overloaded"), "an answer that failed mid-stream says why in the page", failure);
  await page.click("#retry");
  await page.waitForFunction(() => document.body.dataset.state === "busy", { polling: "mutation" });
  await idle();
  conversation = await messages();
  check(prompts[prompts.length - 1] === FAIL_PROMPT, "Retry sent the prompt whose answer failed, not the one before",
        prompts.slice(-3));
  check(conversation.length === 4 && conversation[2].text === FAIL_PROMPT && conversation[3].text.includes("this answer streams"),
        "the retried prompt has its answer", conversation);
  await page.reload();
  await idle();
  check((await messages()).length === 4, "the retried turn is kept", await messages());

  check(problems.length === 0, "no script errors and no Content-Security-Policy refusals", problems);
  console.log(`screenshots in ${artefacts}`);
} finally {
  if (browser) await browser.close();
  if (serve && serve.exitCode === null) serve.kill("SIGTERM");
  upstream.close();
  rmSync(home, { recursive: true, force: true });
}
