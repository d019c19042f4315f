// What every conformance script in tests/peers shares: its one argument (the
// weir binary), the rule for missing peers, how a check is reported, and
// starting `weir serve` on a free port.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

// The weir binary named on the command line, or exit 2 with the usage.
export function weirBinary(script) {
  const weir = process.argv[2];
  if (!weir) {
    console.error(`usage: node ${script} WEIR_BINARY`);
    process.exit(2);
  }
  return weir;
}

// Exits when the npm package is not installed: 77 (skipped), or 1 when
// WEIR_REQUIRE_PEERS=1 — scripts/test installs the peers and sets it, so
// there a missing peer is a failure, never a skip.
export function requirePeer(packageName) {
  if (existsSync(path.join(here, "node_modules", packageName))) return;
  const required = process.env.WEIR_REQUIRE_PEERS === "1";
  console.error(`${required ? "FAIL" : "skipped"}: the npm peers are not installed; run \`npm ci --prefix tests/peers\``);
  process.exit(required ? 1 : 77);
}

// Prints "ok: what", or reports the failure and throws to stop the script.
export function check(condition, what, detail) {
  if (!condition) {
    console.error(`FAIL: ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail)}`);
    process.exitCode = 1;
    throw new Error(what);
  }
  console.log(`ok: ${what}`);
}

// `weir --home HOME serve --port 0`, resolved with {child, url} once it says
// where it listens; rejected if it exits first.
export function startServe(weir, home) {
  const child = spawn(weir, ["--home", home, "serve", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let said = "";
    child.stderr.on("data", (data) => {
      said += data;
      const listening = said.match(/listening on (http:\/\/\S+)\n/);
      if (listening) resolve({ child, url: listening[1] });
    });
    child.on("exit", (code) => reject(new Error(`weir serve exited (${code}) before listening: ${said}`)));
  });
}
