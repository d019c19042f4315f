// `weir mcp serve --openapi` driven by the official MCP TypeScript SDK client
// (issue 24): a local web service (a small library catalogue, written here)
// described by an OpenAPI 3.0 YAML document with $refs, path and query
// parameters and a JSON request body. The client lists the operations as
// tools and calls them; arguments that break an operation's schema are
// refused before any request reaches the service; the service's 404 is an
// isError result; the configured credential reaches the service and never
// the client.
//
// Usage: node tests/peers/mcp_openapi_conformance.mjs WEIR_BINARY
// Exit 0 when everything conforms, 1 on the first failure, 77 when the peers
// are not installed (a failure with WEIR_REQUIRE_PEERS=1).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { check, requirePeer, weirBinary } from "./conformance_support.mjs";

const weir = weirBinary("mcp_openapi_conformance.mjs");
requirePeer("@modelcontextprotocol/sdk");
const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");

const secret = "library-key-5f1c";
const books = [{ id: "b1", title: "A Wizard of Earthsea", author: "Ursula K. Le Guin", year: 1968 },
               { id: "b2", title: "The Dispossessed", author: "Ursula K. Le Guin", year: 1974 },
               { id: "b3", title: "Kindred", author: "Octavia E. Butler", year: 1979 }];
const received = [];
const service = http.createServer((request, response) => {
  let body = "";
  request.on("data", (data) => (body += data));
  request.on("end", () => {
    const url = new URL(request.url, "http://library");
    received.push({ method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
                    key: request.headers["x-api-key"], body });
    const send = (status, value) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.headers["x-api-key"] !== secret) return send(401, { error: "no key" });
    if (request.method === "GET" && url.pathname === "/api/books") {
      const author = url.searchParams.get("author");
      const limit = Number(url.searchParams.get("limit") ?? 10);
      return send(200, books.filter((book) => !author || book.author.includes(author)).slice(0, limit));
    }
    const one = url.pathname.match(/^\/api\/books\/([^/]+)$/);
    if (request.method === "GET" && one) {
      const book = books.find((candidate) => candidate.id === decodeURIComponent(one[1]));
      return book ? send(200, book) : send(404, { error: `no book ${decodeURIComponent(one[1])}` });
    }
    if (request.method === "POST" && url.pathname === "/api/books") {
      const book = { id: `b${books.length + 1}`, ...JSON.parse(body) };
      books.push(book);
      return send(201, book);
    }
    send(404, { error: "no route" });
  });
});
await new Promise((resolve) => service.listen(0, "127.0.0.1", resolve));

const document = `openapi: 3.0.3
info:
  title: Library
  version: "1.0"
servers:
  - url: https://library.example/api
paths:
  /books:
    get:
      operationId: listBooks
      summary: List the books, optionally by one author
      parameters:
        - $ref: "#/components/parameters/Author"
        - name: limit
          in: query
          schema: { type: integer, minimum: 1, maximum: 50 }
      responses:
        "200": { description: the books }
    post:
      operationId: createBook
      summary: Add a book to the catalogue
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/NewBook" }
      responses:
        "201": { description: the book as stored }
  /books/{bookId}:
    parameters:
      - name: bookId
        in: path
        required: true
        description: The book's id, such as b1
        schema: { type: string }
    get:
      operationId: getBook
      summary: One book by its id
      responses:
        "200": { description: the book }
        "404": { description: no such book }
components:
  parameters:
    Author:
      name: author
      in: query
      description: Part of the author's name
      schema: { type: string }
  schemas:
    NewBook:
      type: object
      required: [title, author]
      additionalProperties: false
      properties:
        title: { type: string, minLength: 1 }
        author: { type: string }
        year: { $ref: "#/components/schemas/Year" }
    Year:
      type: integer
      minimum: 1450
`;

const home = mkdtempSync(path.join(tmpdir(), "weir-mcp-openapi-"));
const documentPath = path.join(home, "library.yaml");
writeFileSync(documentPath, document);
const text = (result) => result.content.map((part) => part.text ?? "").join("");

let client;
try {
  client = new Client({ name: "weir-openapi-conformance", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: weir,
    args: ["--home", home, "mcp", "serve", "--openapi", documentPath,
           "--base-url", `http://127.0.0.1:${service.address().port}/api`, "--header", "X-Api-Key: ${LIBRARY_KEY}"],
    env: { ...process.env, LIBRARY_KEY: secret },
    stderr: "inherit",
  });
  await client.connect(transport);

  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name).sort();
  check(JSON.stringify(names) === JSON.stringify(["createBook", "getBook", "listBooks"]), "SDK: the operations are the tools",
        names);
  const create = tools.find((tool) => tool.name === "createBook");
  check(create.inputSchema.required.includes("body") && create.inputSchema.properties.body.properties.year.minimum === 1450,
        "SDK: a tool's input schema has the request body with its $refs resolved", create.inputSchema);
  const get = tools.find((tool) => tool.name === "getBook");
  check(get.inputSchema.required.includes("bookId") && get.description.includes("One book"),
        "SDK: a path-level parameter is a required property", get);

  const listed = await client.callTool({ name: "listBooks", arguments: { author: "Le Guin", limit: 1 } });
  const listedBody = JSON.parse(text(listed).split("\n").slice(1).join("\n"));
  check(!listed.isError && text(listed).startsWith("HTTP 200") && listedBody.length === 1 &&
        listedBody[0].id === "b1", "SDK: call with query parameters", listed);
  check(received.at(-1).query.author === "Le Guin" && received.at(-1).query.limit === "1" &&
        received.at(-1).key === secret, "the service got the query and the configured key", received.at(-1));

  const one = await client.callTool({ name: "getBook", arguments: { bookId: "b3" } });
  check(!one.isError && JSON.parse(text(one).split("\n")[1]).title === "Kindred", "SDK: call with a path parameter", one);

  const created = await client.callTool({ name: "createBook",
                                          arguments: { body: { title: "Parable of the Sower", author: "Octavia E. Butler", year: 1993 } } });
  check(!created.isError && text(created).startsWith("HTTP 201") &&
        JSON.parse(received.at(-1).body).title === "Parable of the Sower", "SDK: call with a JSON body", created);

  const before = received.length;
  const invalid = await client.callTool({ name: "createBook", arguments: { body: { title: "", author: "X", year: 1200 } } });
  check(invalid.isError === true && text(invalid).includes("/body/title") && text(invalid).includes("/body/year") &&
        received.length === before,
        "SDK: schema-invalid arguments are refused before any request", { invalid, sent: received.length - before });
  const unknown = await client.callTool({ name: "getBook", arguments: { bookId: "b1", extra: true } });
  check(unknown.isError === true && received.length === before, "SDK: an unknown argument is refused too", unknown);

  const missing = await client.callTool({ name: "getBook", arguments: { bookId: "nope" } });
  check(missing.isError === true && text(missing).startsWith("HTTP 404") && text(missing).includes("no book nope"),
        "SDK: the service's 404 is an isError result the model can read", missing);

  const everything = JSON.stringify({ tools, listed, one, created, invalid, missing });
  check(!everything.includes(secret), "the configured key never reaches the client");
} catch (error) {
  if (!process.exitCode) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  await client?.close();
  service.close();
  rmSync(home, { recursive: true, force: true });
}
