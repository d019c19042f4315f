// The web chat page of weir (served by `weir serve`, see
// http/chat_page_routes.cpp). Vanilla script, no dependencies.
//
// Safety: text from the model or the user is only ever put into the page as
// text nodes (textContent, createTextNode); the Markdown renderer below
// builds elements itself and never parses markup. Links keep only http:,
// https: and mailto: targets; images are shown as their alt text.
"use strict";

(() => {
  const sessionId = decodeURIComponent(location.pathname.split("/").pop() || "");
  const accessKey = new URLSearchParams(location.hash.slice(1)).get("key") || "";
  const base = "/v1/chat-sessions/" + encodeURIComponent(sessionId);
  const $ = (id) => document.getElementById(id);
  const log = $("log"), input = $("input"), notice = $("notice");
  const sendButton = $("send"), retryButton = $("retry");
  let client = { show_sources: false, show_tools: false };
  let busy = false;

  // ---- Markdown to DOM -----------------------------------------------------

  function el(tag, children) {
    const node = document.createElement(tag);
    for (const child of children || []) node.append(child);
    return node;
  }

  function safeHref(target) {
    let url;
    try { url = new URL(target); } catch { return null; }
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  }

  // Inline spans: `code`, **strong**, *em* / _em_, [text](url), ![alt](src).
  function inline(text) {
    const out = [];
    // Underscores emphasise only at word edges (snake_case and __dunder__ names stay as typed).
    const pattern = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|(?<!\w)__(?=\S)([\s\S]*?\S)__(?!\w)|\*(?=[^*\s])([^*]*?[^*\s])\*|(?<!\w)_(?=[^_\s])([^_]*?[^_\s])_(?!\w)|(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
    let last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) out.push(text.slice(last, match.index));
      if (match[2] !== undefined) out.push(el("code", [match[2]]));
      else if (match[3] !== undefined || match[4] !== undefined) out.push(el("strong", inline(match[3] ?? match[4])));
      else if (match[5] !== undefined || match[6] !== undefined) out.push(el("em", inline(match[5] ?? match[6])));
      else if (match[7] === "!") out.push(match[8]);
      else {
        const href = safeHref(match[9]);
        if (href) {
          const link = el("a", inline(match[8]));
          link.href = href;
          link.rel = "noopener noreferrer nofollow";
          link.target = "_blank";
          out.push(link);
        } else {
          out.push(...inline(match[8]));
        }
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  function withBreaks(lines) {
    const out = [];
    lines.forEach((line, index) => {
      if (index) out.push(el("br"));
      out.push(...inline(line));
    });
    return out;
  }

  function markdown(source) {
    const lines = source.replace(/\r\n?/g, "\n").split("\n");
    const blocks = [];
    let index = 0;
    const isBlank = (line) => /^\s*$/.test(line);
    const startsBlock = (line) => /^(```|~~~|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s)/.test(line);
    while (index < lines.length) {
      const line = lines[index];
      if (isBlank(line)) { index++; continue; }
      const fence = line.match(/^(```|~~~)/);
      if (fence) {
        const body = [];
        index++;
        while (index < lines.length && !lines[index].startsWith(fence[1])) body.push(lines[index++]);
        index++;
        blocks.push(el("pre", [el("code", [body.join("\n")])]));
        continue;
      }
      const heading = line.match(/^(#{1,6})\s+(.*)$/);
      if (heading) {
        blocks.push(el("h" + Math.min(6, heading[1].length + 2), inline(heading[2].replace(/\s#+\s*$/, ""))));
        index++;
        continue;
      }
      if (line.startsWith(">")) {
        const quoted = [];
        while (index < lines.length && lines[index].startsWith(">")) quoted.push(lines[index++].replace(/^>\s?/, ""));
        blocks.push(el("blockquote", markdown(quoted.join("\n"))));
        continue;
      }
      const item = line.match(/^\s*([-*+]|\d+[.)])\s+/);
      if (item) {
        const ordered = /\d/.test(item[1]);
        const list = el(ordered ? "ol" : "ul");
        while (index < lines.length) {
          const current = lines[index].match(/^\s*([-*+]|\d+[.)])\s+(.*)$/);
          if (!current || /\d/.test(current[1]) !== ordered) break;
          const text = [current[2]];
          index++;
          while (index < lines.length && !isBlank(lines[index]) && !startsBlock(lines[index])) text.push(lines[index++].trim());
          list.append(el("li", withBreaks(text)));
        }
        blocks.push(list);
        continue;
      }
      const paragraph = [];
      while (index < lines.length && !isBlank(lines[index]) && (paragraph.length === 0 || !startsBlock(lines[index])))
        paragraph.push(lines[index++]);
      blocks.push(el("p", withBreaks(paragraph)));
    }
    return blocks;
  }

  // ---- The conversation ----------------------------------------------------

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    document.body.dataset.state = value ? "busy" : "idle";
    updateRetry();
  }

  function updateRetry() {
    retryButton.disabled = busy || !log.querySelector(".message.user");
  }

  function addMessage(role, content) {
    const node = el("div");
    node.className = "message " + role;
    node.dataset.role = role;
    if (role === "user") node.textContent = content;
    else node.replaceChildren(...markdown(content));
    log.append(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function showSources(node, documents) {
    if (!client.show_sources || !documents || !documents.length) return;
    const list = el("ul");
    for (const documentRow of documents)
      list.append(el("li", [String(documentRow.collection || "") + ": " + String(documentRow.docid || documentRow.ref || "")]));
    const box = el("div", ["Sources", list]);
    box.className = "sources";
    node.append(box);
  }

  async function api(method, suffix, body) {
    const headers = { Authorization: "Bearer " + accessKey };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(base + suffix, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                  cache: "no-store", credentials: "omit" });
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return String(body.error.message);
    } catch { /* not JSON */ }
    return "The server answered " + response.status + ".";
  }

  // Reads the answer's SSE events into the pending assistant message.
  async function stream(response, node) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "", text = "", tools = null, finished = false;
    const render = () => {
      node.replaceChildren(...(tools ? [tools] : []), ...markdown(text));
      log.scrollTop = log.scrollHeight;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n");
        if (!data) continue;
        let event;
        try { event = JSON.parse(data); } catch { continue; }
        if (event.type === "delta") { text += event.content; render(); }
        else if (event.type === "tool" && client.show_tools) {
          tools = tools || Object.assign(el("div"), { className: "tool" });
          tools.textContent = "Tool " + event.name + ": " + event.state;
          render();
        } else if (event.type === "error") { showNotice(event.message); finished = true; }
        else if (event.type === "done") { showSources(node, event.sources); finished = true; }
      }
    }
    if (!finished) showNotice("The answer was cut off. Use Retry to ask again.");
  }

  async function ask(method, suffix, body, userText) {
    if (busy) return;
    showNotice("");
    setBusy(true);
    const userNode = userText === undefined ? null : addMessage("user", userText);
    const node = addMessage("assistant", "");
    node.classList.add("pending");
    try {
      const response = await api(method, suffix, body);
      if (!response.ok) {
        showNotice(await errorText(response));
        node.remove();
        if (userNode) { userNode.remove(); input.value = userText; }
        return;
      }
      await stream(response, node);
    } catch (error) {
      showNotice("The connection to the server failed: " + error.message);
    } finally {
      node.classList.remove("pending");
      setBusy(false);
    }
  }

  function send(text) {
    if (!text.trim()) return;
    input.value = "";
    ask("POST", "/messages", { content: text }, text);
  }

  function retry() {
    if (busy) return;
    const messages = [...log.querySelectorAll(".message")];
    const lastUser = messages.map((node) => node.dataset.role).lastIndexOf("user");
    if (lastUser < 0) return;
    for (const node of messages.slice(lastUser + 1)) node.remove();
    // The prompt shown, so a prompt whose answer failed (the server kept
    // nothing of it) is sent again rather than the one before it.
    const userMessages = messages.filter((node) => node.dataset.role === "user").length;
    ask("POST", "/retry", { content: messages[lastUser].textContent, user_messages: userMessages });
  }

  async function load() {
    if (!accessKey) {
      showNotice("This link has no access key. Ask for a new link.");
      document.body.dataset.state = "failed";
      return;
    }
    const response = await api("GET", "");
    if (!response.ok) {
      showNotice(await errorText(response));
      document.body.dataset.state = "failed";
      sendButton.disabled = true;
      return;
    }
    const view = await response.json();
    client = view.client;
    document.title = client.title;
    $("title").textContent = client.title;
    $("subtitle").textContent = client.subtitle;
    if (/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(client.color)) document.documentElement.style.setProperty("--accent", client.color);
    input.placeholder = client.placeholder;
    const suggestions = $("suggestions");
    for (const suggestion of client.suggestions) {
      const button = el("button", [suggestion]);
      button.type = "button";
      button.addEventListener("click", () => send(suggestion));
      suggestions.append(el("li", [button]));
    }
    for (const message of view.messages) addMessage(message.role, message.content);
    setBusy(false);
    input.focus();
  }

  $("composer").addEventListener("submit", (event) => { event.preventDefault(); send(input.value); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(input.value); }
  });
  retryButton.addEventListener("click", retry);
  $("clear").addEventListener("click", async () => {
    if (busy) return;
    const response = await api("DELETE", "/messages");
    if (!response.ok) { showNotice(await errorText(response)); return; }
    log.replaceChildren();
    showNotice("");
    updateRetry();
  });
  $("download").addEventListener("click", async () => {
    const response = await api("GET", "/transcript");
    if (!response.ok) { showNotice(await errorText(response)); return; }
    const link = el("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "chat-" + sessionId + ".md";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });
  load().catch((error) => showNotice("The page could not load the conversation: " + error.message));
})();
