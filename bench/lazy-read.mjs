#!/usr/bin/env node
// Benchmark of @cellfolio/lazy against h5py and zarr-python, same reads, same
// run: random single-cell reads by cellID, and shuffled batches of 256, from
// a local .h5sc (h5py-written, lzf, chunks (1, 1, S, S)), a local Zarr v2
// store (zarr-python 2, blosc-lz4, chunks (1, C, S, S)) and the same as Zarr v3
// sharded (our convert of it), where zarr-python 3 and scverse's annbatch
// Loader (the PyPI peer "latest") are the peers.
//
//   npx turbo run build --filter=@cellfolio/lazy
//   node bench/lazy-read.mjs
//
// Sizes by env: LAZY_BENCH_CELLS (50000), LAZY_BENCH_CHANNELS (5),
// LAZY_BENCH_SIZE (64), LAZY_BENCH_READS (random reads, 5000), LAZY_BENCH_WARM
// (untimed reads of other cells first, both sides, 1000), LAZY_BENCH_ROUNDS
// (rounds of both sides, medians reported, 3),
// LAZY_BENCH_BATCHES (batches of 256, 40), LAZY_BENCH_FORMATS ("h5,zarr,zarr3"),
// LAZY_BENCH_DIR (a temp dir; datasets are made once and kept there when the
// variable is set).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { convert } from "../packages/format/dist/node.js";
import { batches, openDataset } from "../packages/lazy/dist/node.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (k, d) => Number(process.env[k] ?? d);
const N = env("LAZY_BENCH_CELLS", 50000);
const C = env("LAZY_BENCH_CHANNELS", 5);
const S = env("LAZY_BENCH_SIZE", 64);
const READS = env("LAZY_BENCH_READS", 5000);
const BATCHES = env("LAZY_BENCH_BATCHES", 40);
const WARM = env("LAZY_BENCH_WARM", 1000);
const ROUNDS = env("LAZY_BENCH_ROUNDS", 3);
const envText = (k) => process.env[k];
const FORMATS = (envText("LAZY_BENCH_FORMATS") ?? "h5,zarr,zarr3").split(",");
const keep = Boolean(envText("LAZY_BENCH_DIR"));
const dir = envText("LAZY_BENCH_DIR") ?? mkdtempSync(path.join(tmpdir(), "lazy-bench-"));
const peer = path.join(here, "lazy_read_peer.py");
const LATEST = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const pythonWith = (exe, args) => JSON.parse(execFileSync(exe, [peer, ...args.map(String)], { encoding: "utf8", maxBuffer: 1 << 26 }).trim().split("\n").pop());
const python = (...args) => pythonWith("/usr/bin/python3", args);
/** Zarr v3 reads: zarr-python 3 and annbatch, from the "latest" venv. */
const python3 = (...args) => pythonWith(LATEST, args);

const sub = path.join(dir, `n${N}-c${C}-s${S}`);
if (!existsSync(path.join(sub, "bench.zarr", ".zmetadata"))) {
  mkdirSync(sub, { recursive: true });
  const t = performance.now();
  python("make", sub, N, C, S);
  console.log(`made ${N} cells x ${C} x ${S} x ${S} (float16) in ${((performance.now() - t) / 1000).toFixed(1)} s: ${sub}`);
}
if (FORMATS.includes("zarr3") && !existsSync(path.join(sub, "bench-v3.zarr", "zarr.json"))) {
  await convert(path.join(sub, "bench.zarr"), path.join(sub, "bench-v3.zarr"), { zarrFormat: 3, compression: { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" } });
}

/** A seeded PRNG, for the random cellIDs. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CPU time (user + system, all threads of this process) per cell since `c0`, in microseconds. */
function cpuPerCell(c0, cells) {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / cells;
}

/** Untimed reads first, on both sides (other cells): the JIT compiles the read path, as it has in any run longer than a benchmark. */
async function warm(ds) {
  const rand = prng(7);
  for (let i = 0; i < WARM; i++) await ds.getByCellId(ds.cellIds[Math.floor(rand() * ds.nCells)]);
}

async function jsRandom(file) {
  const ds = await openDataset(file, { cacheBytes: 0 });
  const rand = prng(1);
  const ids = Array.from({ length: READS }, () => ds.cellIds[Math.floor(rand() * ds.nCells)]);
  await warm(ds);
  const c0 = process.cpuUsage();
  const t = performance.now();
  let sink = 0;
  for (const id of ids) sink += (await ds.getByCellId(id)).data[0];
  const s = (performance.now() - t) / 1000;
  const cpu = cpuPerCell(c0, READS);
  await ds.close();
  return { cells: READS, seconds: s, cellsPerSecond: READS / s, cpu, sink };
}

/** The same reads, 16 under way at a time (as a viewer or a data loader issues them). */
async function jsRandomConcurrent(file) {
  const ds = await openDataset(file, { cacheBytes: 0 });
  const rand = prng(1);
  const ids = Array.from({ length: READS }, () => ds.cellIds[Math.floor(rand() * ds.nCells)]);
  await warm(ds);
  const c0 = process.cpuUsage();
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) await ds.getByCellId(ids[next++]);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const s = (performance.now() - t) / 1000;
  const cpu = cpuPerCell(c0, READS);
  await ds.close();
  return { cells: READS, seconds: s, cellsPerSecond: READS / s, cpu };
}

async function jsBatches(file, reuseBuffers = false) {
  const ds = await openDataset(file, { cacheBytes: 0 });
  await warm(ds);
  const c0 = process.cpuUsage();
  const t = performance.now();
  let cells = 0;
  let b = 0;
  for await (const batch of batches(ds, { batchSize: 256, shuffle: true, seed: 1, prefetch: 2, reuseBuffers })) {
    cells += batch.rows.length;
    if (++b >= BATCHES) break;
  }
  const s = (performance.now() - t) / 1000;
  const cpu = cpuPerCell(c0, cells);
  await ds.close();
  return { cells, seconds: s, cellsPerSecond: cells / s, cpu };
}

const median = (xs) => {
  const v = [...xs].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
// ROUNDS rounds, ours then the peer's in each, so both see the same moods of a
// shared machine; medians are reported, with the range of the per-round ratios.
const rows = [];
for (const [name, file, format] of [
  ["HDF5 (.h5sc, lzf)", path.join(sub, "bench.h5sc"), "h5"],
  ["Zarr v2 (blosc)", path.join(sub, "bench.zarr"), "zarr"],
  ["Zarr v3 (sharded, blosc)", path.join(sub, "bench-v3.zarr"), "zarr3"],
].filter(([, , f]) => FORMATS.includes(f))) {
  const v3 = format === "zarr3";
  const py = v3 ? python3 : python;
  let pyName = file.endsWith(".zarr") ? (v3 ? "zarr-python 3" : "zarr-python") : "h5py";
  const m = { jr: [], pr: [], jc: [], jb: [], jbr: [], pb: [], pf: [], ab: [], ac: [] };
  for (let r = 0; r < ROUNDS; r++) {
    m.jr.push(await jsRandom(file));
    m.pr.push(py("read", file, "random", READS, 1, WARM));
    m.jc.push(await jsRandomConcurrent(file));
    m.jb.push(await jsBatches(file));
    m.jbr.push(await jsBatches(file, true));
    m.pb.push(py("read", file, "batches", BATCHES, 1, WARM));
    m.pf.push(py("read", file, "batches-fancy", BATCHES, 1, WARM));
    if (v3) {
      m.ab.push(py("read", file, "annbatch", BATCHES, 1, WARM));
      m.ac.push(py("read", file, "annbatch-chunks", BATCHES, 1, WARM));
    }
  }
  const row = (what, js, py) => {
    const ratios = js.map((j, i) => j.cellsPerSecond / py[i].cellsPerSecond);
    rows.push([
      name,
      what,
      median(js.map((j) => j.cellsPerSecond)),
      median(js.map((j) => j.cpu)),
      pyName,
      median(py.map((q) => q.cellsPerSecond)),
      median(ratios),
      `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      Math.max(...py.map((q) => q.peakRssMB)),
    ]);
  };
  row(`random reads by cellID (${READS})`, m.jr, m.pr);
  row("random reads by cellID, 16 at a time (peer: one at a time)", m.jc, m.pr);
  row(`shuffled batches of 256 (${BATCHES}); peer row by row as a DataLoader`, m.jb, m.pb);
  row(`shuffled batches of 256 (${BATCHES}); peer one fancy-indexed read a batch`, m.jb, m.pf);
  row(`the same batches into reused buffers (reuseBuffers); peer row by row`, m.jbr, m.pb);
  if (v3) {
    pyName = `annbatch ${m.ab[0].annbatch}`;
    row(`shuffled batches of 256 (${BATCHES}); peer annbatch's Loader, rows drawn one by one (chunk_size 1)`, m.jb, m.ab);
    row(`shuffled batches of 256 (${BATCHES}); peer annbatch's Loader as it recommends: runs of 32 rows, 64 runs preloaded and shuffled`, m.jb, m.ac);
    row(`the same batches into reused buffers; peer annbatch's Loader, chunk_size 1`, m.jbr, m.ab);
  }
}
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`\n${N} cells, ${C} channels, ${S} x ${S} float16; node ${process.version}; peak RSS node ${rss.toFixed(0)} MB (whole run); medians of ${ROUNDS} rounds\n`);
console.log("| dataset | reads | cellfolio cells/s | cellfolio CPU us/cell | peer | peer cells/s | ratio | ratio per round | peer peak RSS MB |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [d, what, js, cpu, pn, pc, ratio, range, prss] of rows) {
  console.log(`| ${d} | ${what} | ${js.toFixed(0)} | ${cpu.toFixed(0)} | ${pn} | ${pc.toFixed(0)} | ${ratio.toFixed(2)} | ${range} | ${prss.toFixed(0)} |`);
}
if (!keep) rmSync(dir, { recursive: true, force: true });
