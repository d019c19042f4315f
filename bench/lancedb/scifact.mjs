// The LanceDB side of weir_bench_index: ingests SciFact into a LanceDB table
// and times full-text, vector and hybrid queries over it, with the very
// vectors weir's local embedder makes (written by weir_bench_embed_corpus), so
// the comparison is between the engines and not between embeddings.
//
// Writes one JSON object to --output: LanceDB's version and settings, ingest
// timings, per-mode latency summaries, and each mode's ranked docids per test
// query. weir_bench_index reads it, scores the rankings with the same metric
// code it uses for weir (bench/retrieval_metrics.hpp) and reports the ratios.
//
// Usage:
//   node bench/lancedb/scifact.mjs --vectors DIR --output FILE
//        [--data SCIFACT_DIR] [--work DIR] [--limit 10] [--warmups 10]
//        [--vector-index ivf_flat|none|ivf_hnsw_sq]
//
// The packages come from tests/peers, where they are pinned with a lockfile;
// they are resolved from there rather than from this directory so that the
// repository keeps a single node_modules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

// LanceDB logs deprecation warnings about projected score columns on every
// query; they say nothing about the benchmark and drown its stderr.
process.env.LANCEDB_LOG ??= "error";

const here = dirname(fileURLToPath(import.meta.url));
const peers = join(here, "..", "..", "tests", "peers");
const requireFromPeers = createRequire(join(peers, "package.json"));
const lancedb = requireFromPeers("@lancedb/lancedb");
const arrow = requireFromPeers("apache-arrow");
// The package's exports hide its package.json; it sits two levels above the
// entry point (dist/index.js).
const lancedbVersion = JSON.parse(
  readFileSync(join(dirname(requireFromPeers.resolve("@lancedb/lancedb")), "..", "package.json"), "utf8"),
).version;

function parseArguments(argv) {
  const options = {
    data: join(here, "..", "..", "..", "shared", "data", "scifact"),
    vectors: "",
    output: "",
    work: "",
    limit: 10,
    warmups: 10,
    vectorIndex: "ivf_flat",
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = () => {
      if (index + 1 >= argv.length) throw new Error(`${argument} needs a value`);
      return argv[++index];
    };
    if (argument === "--data") options.data = value();
    else if (argument === "--vectors") options.vectors = value();
    else if (argument === "--output") options.output = value();
    else if (argument === "--work") options.work = value();
    else if (argument === "--limit") options.limit = Number.parseInt(value(), 10);
    else if (argument === "--warmups") options.warmups = Number.parseInt(value(), 10);
    else if (argument === "--vector-index") options.vectorIndex = value();
    else throw new Error(`unknown option ${argument}`);
  }
  if (!options.vectors || !options.output) throw new Error("--vectors DIR and --output FILE are required");
  if (!["none", "ivf_hnsw_sq", "ivf_flat"].includes(options.vectorIndex))
    throw new Error("--vector-index must be none, ivf_hnsw_sq or ivf_flat");
  return options;
}

// A Float32Array over the whole file; the writer is little-endian, as is
// every machine this runs on.
function readMatrix(path, rows, dimension) {
  const bytes = readFileSync(path);
  if (bytes.length !== rows * dimension * 4)
    throw new Error(`${path} holds ${bytes.length} bytes, expected ${rows} × ${dimension} float32`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, rows * dimension);
}

// The same texts weir imports: title, newline, abstract.
function loadCorpusTexts(path, ids) {
  const byId = new Map();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    const document = JSON.parse(line);
    byId.set(String(document._id), `${document.title ?? ""}\n${document.text ?? ""}`);
  }
  return ids.map((id) => {
    const text = byId.get(id);
    if (text === undefined) throw new Error(`document ${id} of the vectors is not in ${path}`);
    return text;
  });
}

// Interpolates between the two nearest ranks, as bench/process_timing.cpp
// does, so both sides' percentiles mean the same thing.
function percentile(sorted, fraction) {
  const rank = fraction * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

const roundMs = (value) => Math.round(value * 1000) / 1000;

function summarize(samples) {
  const sorted = [...samples].sort((left, right) => left - right);
  const mean = sorted.reduce((total, value) => total + value, 0) / sorted.length;
  return {
    runs: sorted.length,
    median_ms: roundMs(percentile(sorted, 0.5)),
    p90_ms: roundMs(percentile(sorted, 0.9)),
    p99_ms: roundMs(percentile(sorted, 0.99)),
    mean_ms: roundMs(mean),
    min_ms: roundMs(sorted[0]),
    max_ms: roundMs(sorted[sorted.length - 1]),
  };
}

function cpuSecondsSince(start) {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

// Builds the Arrow table straight from the flat vector matrix: going through
// an array of row objects would time JavaScript object churn, not LanceDB.
function makeTable(ids, texts, vectors, dimension) {
  const itemField = new arrow.Field("item", new arrow.Float32(), true);
  const vectorType = new arrow.FixedSizeList(dimension, itemField);
  const child = arrow.makeData({ type: new arrow.Float32(), length: vectors.length, data: vectors });
  const vectorData = arrow.makeData({ type: vectorType, length: ids.length, nullCount: 0, child });
  return new arrow.Table({
    docid: arrow.vectorFromArray(ids, new arrow.Utf8()),
    text: arrow.vectorFromArray(texts, new arrow.Utf8()),
    vector: arrow.makeVector(vectorData),
  });
}

// IVF_FLAT is the default: on SciFact's 5,183 rows it builds in about 0.1 s,
// cuts vector-query latency by half or more against no index and returns
// the same rankings (nDCG@10 unchanged). IVF_HNSW_SQ built slower and, with
// dot distance, lost nearly all vector quality in 0.31.0 (nDCG@10 0.002).
function vectorIndexConfig(kind) {
  // The vectors are unit length, so "dot" ranks exactly as cosine does and is
  // what weir's HNSW index computes.
  if (kind === "ivf_hnsw_sq") return lancedb.Index.hnswSq({ distanceType: "dot", numPartitions: 1 });
  if (kind === "ivf_flat") return lancedb.Index.ivfFlat({ distanceType: "dot" });
  return null;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(join(options.vectors, "manifest.json"), "utf8"));
  const dimension = manifest.dimension;
  const documentIds = manifest.corpus.ids.map(String);
  const queryIds = manifest.queries.ids.map(String);
  const queryTexts = manifest.queries.texts;
  const documentVectors = readMatrix(join(options.vectors, "corpus.f32"), documentIds.length, dimension);
  const queryVectors = readMatrix(join(options.vectors, "queries.f32"), queryIds.length, dimension);
  const texts = loadCorpusTexts(join(options.data, "corpus.jsonl"), documentIds);

  const work = options.work || mkdtempSync(join(tmpdir(), "weir-bench-lancedb-"));
  try {
    // Ingest: from texts and vectors in memory to a searchable table, as
    // weir's figure runs from JSONL in memory to a saved index.
    const cpuStart = process.cpuUsage();
    const ingestStart = performance.now();
    const database = await lancedb.connect(join(work, "database"));
    const table = await database.createTable("scifact", makeTable(documentIds, texts, documentVectors, dimension));
    const tableDone = performance.now();
    await table.createIndex("text", { config: lancedb.Index.fts(), waitTimeoutSeconds: 600 });
    const fullTextDone = performance.now();
    const vectorConfig = vectorIndexConfig(options.vectorIndex);
    if (vectorConfig) await table.createIndex("vector", { config: vectorConfig, waitTimeoutSeconds: 600 });
    const ingestDone = performance.now();
    const ingestCpuSeconds = cpuSecondsSince(cpuStart);
    const ingestSeconds = (ingestDone - ingestStart) / 1000;
    const rowCount = await table.countRows();
    if (rowCount !== documentIds.length) throw new Error(`the table holds ${rowCount} rows, expected ${documentIds.length}`);

    const queryVector = (index) => queryVectors.subarray(index * dimension, (index + 1) * dimension);
    // Each mode returns the docid and the text, as weir's search returns the
    // document itself.
    const modes = {
      full_text: (index) => table.query().fullTextSearch(queryTexts[index]).select(["docid", "text"]).limit(options.limit),
      vector: (index) =>
        table.query().nearestTo(queryVector(index)).distanceType("dot").select(["docid", "text"]).limit(options.limit),
      // No rerank() call: LanceDB then fuses with its default reranker, RRF
      // (k = 60), inside the native library.
      hybrid: (index) =>
        table
          .query()
          .nearestTo(queryVector(index))
          .distanceType("dot")
          .fullTextSearch(queryTexts[index])
          .select(["docid", "text"])
          .limit(options.limit),
    };
    const names = Object.keys(modes);

    for (let index = 0; index < Math.min(options.warmups, queryIds.length); index++)
      for (const name of names) await modes[name](index).toArray();

    const latencies = Object.fromEntries(names.map((name) => [name, []]));
    const rankings = Object.fromEntries(names.map((name) => [name, {}]));
    // Round-robin, each query starting at the next mode, so machine noise and
    // warm caches fall on every mode alike (as in bench/process_timing.cpp).
    for (let index = 0; index < queryIds.length; index++) {
      for (let turn = 0; turn < names.length; turn++) {
        const name = names[(index + turn) % names.length];
        const start = performance.now();
        const rows = await modes[name](index).toArray();
        latencies[name].push(performance.now() - start);
        rankings[name][queryIds[index]] = rows.map((row) => row.docid);
      }
    }

    const report = {
      engine: "lancedb",
      package: "@lancedb/lancedb",
      version: lancedbVersion,
      node: process.version,
      documents: documentIds.length,
      queries: queryIds.length,
      settings: {
        full_text_index: "Index.fts() defaults",
        vector_index: options.vectorIndex,
        distance: "dot",
        hybrid_reranker: "default (RRF, k = 60)",
        limit: options.limit,
        warmups: options.warmups,
        query_vectors: "precomputed by weir_bench_embed_corpus (not timed)",
      },
      ingest: {
        seconds: Math.round(ingestSeconds * 1000) / 1000,
        cpu_seconds: Math.round(ingestCpuSeconds * 1000) / 1000,
        table_seconds: Math.round(tableDone - ingestStart) / 1000,
        full_text_index_seconds: Math.round(fullTextDone - tableDone) / 1000,
        vector_index_seconds: Math.round(ingestDone - fullTextDone) / 1000,
        documents_per_second: Math.round(documentIds.length / ingestSeconds),
      },
      search: Object.fromEntries(names.map((name) => [name, summarize(latencies[name])])),
      rankings,
    };
    writeFileSync(options.output, JSON.stringify(report) + "\n");
  } finally {
    if (!options.work) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench/lancedb/scifact.mjs: ${error.stack ?? error}\n`);
  process.exit(1);
});
