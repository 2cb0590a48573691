#!/usr/bin/env node
// Reading an h5py-written HDF5 image stack: our reader (@cellfolio/hdf5, no
// wasm) against h5py 3.7 and h5wasm 0.8 (+ h5wasm-plugins for lzf), in the
// same run, each in its own process: float16 (N, 5, 128, 128), chunks
// (1, 1, 128, 128), with gzip 1, lzf and no filter. Sequential reads in
// blocks of cells, then random single cells. MB/s of decoded data, ratios
// against h5py, peak RSS of each process; a checksum of the random cells
// shows that all three read the same values.
//
//   (cd packages/hdf5 && npx tsup)
//   node bench/hdf5-read.mjs                  (default 2 GB per codec)
//   BENCH_GB=0.2 node bench/hdf5-read.mjs     (a quick run)
//
// Env: BENCH_GB (decoded bytes per file, default 2), BENCH_CODECS (default
// "gzip,lzf,none"), BENCH_BLOCK (cells per sequential read, default 64),
// BENCH_RANDOM (random cells, default 2000), BENCH_WARM (untimed random cells
// read first by every reader, default 1000), BENCH_READERS (default
// "ours,h5py,h5wasm"), BENCH_CONCURRENCY (our chunk groups in flight,
// default 4), BENCH_ROUNDS (sequential passes and random passes in each
// reader, default 3: medians reported), BENCH_WARM_BLOCKS (untimed blocks
// every reader reads before its sequential passes, default 16: a process's
// first pass paid JIT and allocator warm-up), BENCH_DIR (work dir; files are
// removed at the end).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const CELL = 5 * 128 * 128 * 2;

const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

async function childOurs(a) {
  const { Hdf5File } = await import(path.join(ROOT, "packages/hdf5/dist/node.js"));
  const f = await Hdf5File.open(a.file);
  const d = await f.dataset("images");
  const n = d.shape[0];
  // One reused buffer, as h5py's read_direct in the peer.
  const buf = new Uint8Array(a.block * CELL);
  for (let b = 0; b < a.warmBlocks; b++) {
    const s = (b * a.block) % n;
    const m = Math.min(a.block, n - s);
    await d.readRaw([s, 0, 0, 0], [m, 5, 128, 128], { concurrency: a.concurrency, into: buf.subarray(0, m * CELL) });
  }
  const seq = [];
  for (let r = 0; r < a.rounds; r++) {
    const t0 = performance.now();
    for (let s = 0; s < n; s += a.block) {
      const m = Math.min(a.block, n - s);
      await d.readRaw([s, 0, 0, 0], [m, 5, 128, 128], { concurrency: a.concurrency, into: buf.subarray(0, m * CELL) });
    }
    seq.push((performance.now() - t0) / 1000);
  }
  for (const c of a.warm) await d.readRaw([c, 0, 0, 0], [1, 5, 128, 128]);
  const rnd = [];
  let total = 0;
  for (let r = 0; r < a.rounds; r++) {
    const t1 = performance.now();
    total = 0;
    for (const c of a.cells) {
      const b = await d.readRaw([c, 0, 0, 0], [1, 5, 128, 128]);
      const u = new Uint16Array(b.buffer, b.byteOffset, b.length / 2);
      for (let i = 0; i < u.length; i += 61) total += u[i]; // a sample, as the peer sums
    }
    rnd.push((performance.now() - t1) / 1000);
  }
  await f.close();
  return { seq_seconds: median(seq), seq_rounds: seq, random_seconds: median(rnd), checksum: total % 2 ** 32 };
}

async function childH5wasm(a) {
  const h5wasm = (await import("h5wasm/node")).default;
  const Module = await h5wasm.ready;
  const plugins = await import("h5wasm-plugins");
  if (plugins.install_local_plugins) plugins.install_local_plugins(Module);
  const f = new h5wasm.File(a.file, "r");
  const d = f.get("images");
  // h5wasm has no float16: read the half floats as uint16 bit patterns.
  d._metadata = { ...d.metadata, type: 0, signed: false, size: 2 };
  const n = d.shape[0];
  for (let b = 0; b < a.warmBlocks; b++) {
    const s = (b * a.block) % n;
    d.slice([[s, Math.min(n, s + a.block)], [], [], []]);
  }
  const seq = [];
  for (let r = 0; r < a.rounds; r++) {
    const t0 = performance.now();
    for (let s = 0; s < n; s += a.block) d.slice([[s, Math.min(n, s + a.block)], [], [], []]);
    seq.push((performance.now() - t0) / 1000);
  }
  for (const c of a.warm) d.slice([[c, c + 1], [], [], []]);
  const rnd = [];
  let total = 0;
  for (let r = 0; r < a.rounds; r++) {
    const t1 = performance.now();
    total = 0;
    for (const c of a.cells) {
      const u = d.slice([[c, c + 1], [], [], []]);
      for (let i = 0; i < u.length; i += 61) total += u[i];
    }
    rnd.push((performance.now() - t1) / 1000);
  }
  f.close();
  return { seq_seconds: median(seq), seq_rounds: seq, random_seconds: median(rnd), checksum: total % 2 ** 32 };
}

if (process.argv[2] === "--child") {
  const a = JSON.parse(process.argv[4]);
  const r = await (process.argv[3] === "ours" ? childOurs(a) : childH5wasm(a));
  r.max_rss_mb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(r));
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed: ${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const GB = Number(process.env.BENCH_GB ?? 2);
const CODECS = (process.env.BENCH_CODECS ?? "gzip,lzf,none").split(",");
const READERS = (process.env.BENCH_READERS ?? "ours,h5py,h5wasm").split(",");
const BLOCK = Number(process.env.BENCH_BLOCK ?? 64);
const RANDOM = Number(process.env.BENCH_RANDOM ?? 2000);
const WARM = Number(process.env.BENCH_WARM ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const WARM_BLOCKS = Number(process.env.BENCH_WARM_BLOCKS ?? 16);
const N = Math.max(16, Math.round((GB * 1e9) / CELL));
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "cellfolio-bench-hdf5-read-"));
const PEER = path.join(HERE, "hdf5_read_peer.py");

let seed = 99;
const cells = Array.from({ length: RANDOM }, () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % N;
});
// Untimed random reads of other cells before the timed ones, in every reader:
// the JIT compiles the one-cell path, as in any run longer than the benchmark.
const warm = Array.from({ length: WARM }, () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % N;
});
const cellsFile = path.join(work, "cells.json");
writeFileSync(cellsFile, JSON.stringify(cells));
const warmFile = path.join(work, "warm.json");
writeFileSync(warmFile, JSON.stringify(warm));

console.log(
  `hdf5-read: ${N} cells x 5 x 128 x 128 float16 = ${((N * CELL) / 1e9).toFixed(2)} GB per file, blocks of ${BLOCK} cells, ${RANDOM} random cells; medians of ${ROUNDS} rounds`,
);
const rows = [];
try {
  for (const codec of CODECS) {
    const file = path.join(work, `images-${codec}.h5`);
    run("/usr/bin/python3", [PEER, JSON.stringify({ mode: "write", file, n: N, codec })]);
    const stored = statSync(file).size;
    const results = {};
    for (const reader of READERS) {
      const args = { file, block: BLOCK, cells, warm, concurrency: CONCURRENCY, rounds: ROUNDS, warmBlocks: WARM_BLOCKS };
      results[reader] =
        reader === "h5py"
          ? run("/usr/bin/python3", [PEER, JSON.stringify({ mode: "read", file, block: BLOCK, cells: cellsFile, warm: warmFile, rounds: ROUNDS, warm_blocks: WARM_BLOCKS })])
          : run(process.execPath, [fileURLToPath(import.meta.url), "--child", reader, JSON.stringify(args)]);
    }
    const sums = new Set(Object.values(results).map((r) => r.checksum));
    for (const reader of READERS) {
      const r = results[reader];
      const h = results.h5py;
      const mbs = (N * CELL) / 1e6 / r.seq_seconds;
      const cps = RANDOM / r.random_seconds;
      rows.push({
        codec,
        reader,
        "stored MB": (stored / 1e6).toFixed(0),
        "seq MB/s": mbs.toFixed(0),
        "seq vs h5py": h ? (h.seq_seconds / r.seq_seconds).toFixed(2) : "-",
        "random cells/s": cps.toFixed(0),
        "random vs h5py": h ? (h.random_seconds / r.random_seconds).toFixed(2) : "-",
        "peak RSS MB": r.max_rss_mb.toFixed(0),
        "same values": sums.size === 1 ? "yes" : "NO",
        "seq MB/s per round": r.seq_rounds.map((t) => ((N * CELL) / 1e6 / t).toFixed(0)).join(" "),
      });
    }
    rmSync(file, { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.table(rows);
