// Zarr write/read throughput: a float16 (N, 5, 128, 128) image stack, chunks
// (1, 5, 128, 128), blosc lz4 + byte shuffle, to Zarr v2 and to Zarr v3 sharded,
// here and with zarr-python 2 (Debian 12), zarr-python 3 (the PyPI peer "latest"),
// and, when the on-demand peer "zarr-fast" is installed (bash .ci/setup-peers.sh
// zarr-fast), zarr-python 3 with zarrs-python's Rust codec pipeline and
// tensorstore, each writing and reading v3 sharded and v2 (bench/zarr_io_fast_peer.py),
// and their writes again with their files fsynced after, as ours are.
//   npm run build -w @cellfolio/format   (or npx tsup in packages/format)
//   BENCH_GB=2 node bench/zarr-io.mjs
// Env: BENCH_GB (default 2), BENCH_DIR (default <repo>/tmp/bench-zarr),
// BENCH_SHARD_ROWS (default 512 rows, 80 MB),
// BENCH_BLOCK_ROWS (rows per read call, default 32), BENCH_READ_ROUNDS (reads of
// the whole array on each side, default 3: the median is reported),
// BENCH_WARM_ROUNDS (reads before those, on both sides, default 1: node's first
// GB of a process runs ~1.5x slower (JIT, worker start-up, the allocator's
// first blocks); their figure is reported as the first pass), BENCH_PYTHON=0 to skip Python.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createZarr, openZarr } from "@cellfolio/format";
import { CELL_ELEMS, cellPool, POOL } from "./cell-pool.mjs";

const env = (k, d) => (process.env[k] !== undefined ? process.env[k] : d);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const GB = Number(env("BENCH_GB", 2));
const DIR = path.resolve(env("BENCH_DIR", path.join(REPO, "tmp/bench-zarr")));
const SHARD_ROWS = Number(env("BENCH_SHARD_ROWS", 512));
const BLOCK_ROWS = Number(env("BENCH_BLOCK_ROWS", 32));
const READ_ROUNDS = Math.max(1, Number(env("BENCH_READ_ROUNDS", 3)));
const WARM_ROUNDS = Math.max(0, Number(env("BENCH_WARM_ROUNDS", 1)));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ROW = [5, 128, 128];
const ROW_ELEMS = CELL_ELEMS;
const N = Math.max(1, Math.round((GB * 1e9) / (ROW_ELEMS * 2)));
const MB = (N * ROW_ELEMS * 2) / 1e6;
// zarr-python 3: the "latest" PyPI peer that .ci/setup-peers.sh installs.
const PEERS = process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers";
const ZARR3_PYTHON = path.join(PEERS, "latest/bin/python");
const FAST_PYTHON = path.join(PEERS, "zarr-fast/bin/python");

// 64 synthetic cells (bench/cell-pool.mjs); rows cycle through the pool.
const pool = cellPool();

const rss = () => process.resourceUsage().maxRSS / 1024;

async function ours(name, zarrFormat, shards) {
  const target = path.join(DIR, name);
  rmSync(target, { recursive: true, force: true });
  let t = performance.now();
  const w = await createZarr(target, { zarrFormat, overwrite: true });
  const aw = await w.createArray("x", {
    shape: [N, ...ROW],
    dtype: "float16",
    chunks: [1, ...ROW],
    shards,
    compression: { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" },
  });
  for (let i = 0; i < N; i++) {
    const p = i % POOL;
    // A fresh row buffer per call, as a producer hands over rows it no longer uses.
    await aw.setBlock([i, 0, 0, 0], { dtype: "float16", shape: [1, ...ROW], data: pool.slice(p * ROW_ELEMS, (p + 1) * ROW_ELEMS) });
  }
  await aw.close();
  await w.close();
  const write = (performance.now() - t) / 1000;
  const reads = [];
  let check = 0;
  for (let round = 0; round < WARM_ROUNDS + READ_ROUNDS; round++) {
    const r = await openZarr(target);
    t = performance.now();
    check = 0;
    for (let s = 0; s < N; s += BLOCK_ROWS) {
      const k = Math.min(BLOCK_ROWS, N - s);
      const b = await r.readBlock("x", [s, 0, 0, 0], [k, ...ROW]);
      check += b.data[64 * 128 + 64];
    }
    reads.push((performance.now() - t) / 1000);
    await r.close();
  }
  // The same reads into one reused buffer (readBlock's `into`), as a data loader does.
  const into = new Uint16Array(BLOCK_ROWS * ROW_ELEMS);
  const intoReads = [];
  for (let round = 0; round < WARM_ROUNDS + READ_ROUNDS; round++) {
    const r = await openZarr(target);
    t = performance.now();
    for (let s = 0; s < N; s += BLOCK_ROWS) {
      const k = Math.min(BLOCK_ROWS, N - s);
      await r.readBlock("x", [s, 0, 0, 0], [k, ...ROW], { into });
    }
    intoReads.push((performance.now() - t) / 1000);
    await r.close();
  }
  return { write, read: median(reads.slice(WARM_ROUNDS)), reads, readInto: median(intoReads.slice(WARM_ROUNDS)), intoReads, check };
}

function python(name, v3, backend) {
  const target = path.join(DIR, name);
  const arg = JSON.stringify({
    backend,
    v3,
    path: target,
    n: N,
    shard_rows: SHARD_ROWS,
    block_rows: BLOCK_ROWS,
    read_rounds: READ_ROUNDS,
    warm_rounds: WARM_ROUNDS,
    pool: path.join(DIR, "pool.f16"),
  });
  const script = path.join(REPO, backend ? "bench/zarr_io_fast_peer.py" : "bench/zarr_io_peer.py");
  const res = spawnSync(backend ? FAST_PYTHON : v3 ? ZARR3_PYTHON : "/usr/bin/python3", [script, arg], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${name}: ${res.stderr}`);
  const out = JSON.parse(res.stdout.trim().split("\n").pop());
  rmSync(target, { recursive: true, force: true });
  return out;
}

mkdirSync(DIR, { recursive: true });
writeFileSync(path.join(DIR, "pool.f16"), pool);
console.log(
  `float16 (${N}, 5, 128, 128) = ${MB.toFixed(0)} MB, chunks (1, 5, 128, 128), blosc lz4 shuffle; v3 shards of ${SHARD_ROWS} rows; reads of ${BLOCK_ROWS} rows; read: median of ${READ_ROUNDS} rounds after ${WARM_ROUNDS} (first pass), both sides`,
);
const rows = [];
const report = (label, r, theirs) => {
  const w = MB / r.write;
  const rd = MB / r.read;
  const line = { label, write_MBps: w.toFixed(0), read_MBps: rd.toFixed(0), first_pass_MBps: (MB / r.reads[0]).toFixed(0) };
  if (theirs) {
    line.write_ratio = (w / (MB / theirs.write_s)).toFixed(2);
    line.read_ratio = (rd / (MB / theirs.read_s)).toFixed(2);
    line.first_pass_ratio = (theirs.read_rounds_s[0] / r.reads[0]).toFixed(2);
  }
  rows.push(line);
};
const v2 = await ours("ours-v2.zarr", 2, null);
const rssV2 = rss();
rmSync(path.join(DIR, "ours-v2.zarr"), { recursive: true, force: true });
const v3 = await ours("ours-v3.zarr", 3, [SHARD_ROWS, ...ROW]);
rmSync(path.join(DIR, "ours-v3.zarr"), { recursive: true, force: true });
const rssOurs = rss();
let p2 = null;
let p3 = null;
const fast = [];
if (env("BENCH_PYTHON", "1") !== "0") {
  p2 = python("zp2-v2.zarr", false);
  if (existsSync(ZARR3_PYTHON)) p3 = python("zp3-v3.zarr", true);
  if (existsSync(FAST_PYTHON)) {
    for (const backend of ["zarrs", "tensorstore"]) {
      for (const v3 of [true, false]) fast.push({ v3, r: python(`${backend}-${v3 ? "v3" : "v2"}.zarr`, v3, backend) });
    }
  } else console.log(`(zarrs-python and tensorstore skipped: ${FAST_PYTHON} missing; bash .ci/setup-peers.sh zarr-fast)`);
}
report("cellfolio Zarr v2", v2, p2);
const peer = (p, label) => ({ label, write_MBps: (MB / p.write_s).toFixed(0), read_MBps: (MB / p.read_s).toFixed(0), first_pass_MBps: (MB / p.read_rounds_s[0]).toFixed(0) });
if (p2) rows.push(peer(p2, `zarr-python ${p2.zarr} v2`));
rows.push({
  label: "cellfolio Zarr v2, into a reused buffer",
  read_MBps: (MB / v2.readInto).toFixed(0),
  first_pass_MBps: (MB / v2.intoReads[0]).toFixed(0),
  read_ratio: p2 ? (p2.read_into_s / v2.readInto).toFixed(2) : undefined,
  first_pass_ratio: p2 ? (p2.read_into_rounds_s[0] / v2.intoReads[0]).toFixed(2) : undefined,
});
if (p2) rows.push({ label: `zarr-python ${p2.zarr} v2, out= a reused array`, read_MBps: (MB / p2.read_into_s).toFixed(0), first_pass_MBps: (MB / p2.read_into_rounds_s[0]).toFixed(0) });
report("cellfolio Zarr v3 sharded", v3, p3);
if (p3) rows.push(peer(p3, `zarr-python ${p3.zarr} v3 sharded`));
// Ours against each fast peer, same format: write / read ratios.
for (const { v3: isV3, r } of fast) {
  const o = isV3 ? v3 : v2;
  rows.push({
    ...peer(r, `${r.zarr} ${isV3 ? "v3 sharded" : "v2"}`),
    write_ratio: (r.write_s / o.write).toFixed(2),
    read_ratio: (r.read_s / o.read).toFixed(2),
    first_pass_ratio: (r.read_rounds_s[0] / o.reads[0]).toFixed(2),
  });
}
// Our writes fsync every file before the store counts as written (and then
// rename it into place); zarrs does not sync: the same peers with their
// files fsynced after the write, timed apart (bench/zarr_io_fast_peer.py).
for (const { v3: isV3, r } of fast) {
  if (r.sync_s === undefined) continue;
  const o = isV3 ? v3 : v2;
  rows.push({ label: `${r.zarr} ${isV3 ? "v3 sharded" : "v2"}, + fsync of its files`, write_MBps: (MB / (r.write_s + r.sync_s)).toFixed(0), write_ratio: ((r.write_s + r.sync_s) / o.write).toFixed(2) });
}
console.table(rows);
const rounds = (s) => s.map((x) => (MB / x).toFixed(0)).join(", ");
console.log(
  `read MB/s per round (the first ${WARM_ROUNDS} not in the median): cellfolio v2 ${rounds(v2.reads)}; v3 ${rounds(v3.reads)}; v2 into ${rounds(v2.intoReads)}` +
    (p2 ? `; zarr-python 2 ${rounds(p2.read_rounds_s)}; out= ${rounds(p2.read_into_rounds_s)}` : "") +
    (p3 ? `; zarr-python 3 ${rounds(p3.read_rounds_s)}` : "") +
    fast.map(({ v3: isV3, r }) => `; ${r.zarr} ${isV3 ? "v3" : "v2"} ${rounds(r.read_rounds_s)}`).join(""),
);
if (fast.length) console.log("rows of the fast peers: their figures; the ratios are ours / theirs (cellfolio's row of the same format)");
console.log(
  `peak RSS: cellfolio ${rssOurs.toFixed(0)} MB (after v2: ${rssV2.toFixed(0)} MB)` +
    (p2 ? `, zarr-python 2 ${p2.max_rss_mb.toFixed(0)} MB` : "") +
    (p3 ? `, zarr-python 3 ${p3.max_rss_mb.toFixed(0)} MB` : "") +
    fast.map(({ v3: isV3, r }) => `, ${r.zarr} ${isV3 ? "v3" : "v2"} ${r.max_rss_mb.toFixed(0)} MB`).join(""),
);
