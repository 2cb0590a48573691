#!/usr/bin/env node
// Benchmark of `cellfolio lmd` against py-lmd's SegmentationLoader (threads 2,
// its default config, which ours shares), same mask, same 10,000 cells, same
// run: the time from the mask file to the written XML, the ratio, and our
// peak RSS (the mask is read in strips, so it stays far under the slide's size).
//
//   npm run build
//   node bench/lmd.mjs
//
// Needs /usr/bin/python3 with numpy + tifffile (makes the mask) and the
// "latest" peer venv with py-lmd (.ci/peers/latest.txt; .ci/setup-peers.sh).
// Env: LMD_BENCH_SIDE (10000), LMD_BENCH_SPACING (50: 40,000 cells),
// LMD_BENCH_CELLS (10000 selected), LMD_BENCH_THREADS (py-lmd's threads, 2),
// LMD_BENCH_DIR (kept between runs when set).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (k, d) => Number(process.env[k] ?? d);
const SIDE = env("LMD_BENCH_SIDE", 10000);
const SPACING = env("LMD_BENCH_SPACING", 50);
const N = env("LMD_BENCH_CELLS", 10000);
const THREADS = env("LMD_BENCH_THREADS", 2);
const dir = process.env.LMD_BENCH_DIR ?? mkdtempSync(path.join(tmpdir(), "lmd-bench-"));
const peer = path.join(here, "lmd_peer.py");
const PEER_PY = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const BIN = path.join(here, "../packages/cli/dist/bin.js");
const last = (s) => JSON.parse(s.trim().split("\n").pop());

mkdirSync(dir, { recursive: true });
if (!existsSync(path.join(dir, "mask.tif"))) {
  const t = performance.now();
  const made = last(execFileSync("/usr/bin/python3", [peer, "make", dir, String(SIDE), String(SPACING)], { encoding: "utf8" }));
  console.log(`made a ${SIDE} x ${SIDE} mask of ${made.cells} cells in ${((performance.now() - t) / 1000).toFixed(1)} s: ${dir}`);
}
const total = Math.floor(SIDE / SPACING) ** 2;
// every k-th cellID: spread over the slide
const step = Math.max(1, Math.floor(total / N));
const ids = Array.from({ length: Math.min(N, total) }, (_, i) => i * step + 1);
const idsJson = path.join(dir, "ids.json");
writeFileSync(idsJson, JSON.stringify(ids));
const idsTxt = path.join(dir, "ids.txt");
writeFileSync(idsTxt, `${ids.join("\n")}\n`);

function ours() {
  const out = path.join(dir, "ours.xml");
  const t = performance.now();
  // /usr/bin/time reports the child's peak RSS; the CLI as a user runs it.
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, BIN, "lmd", "--mask", path.join(dir, "mask.tif"), "--cells-file", idsTxt, "--well", "A1", "--calibration", `0,0 0,${SIDE} ${SIDE},${SIDE / 2}`, "--out", out, "--overwrite", "--json"], { encoding: "utf8" });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`cellfolio lmd failed: ${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim());
  const rss = Number(r.stderr.trim().split("\n").pop()) * 1024;
  return { seconds, shapes: summary.shapes, points: summary.points, peak_rss: rss };
}

function theirs() {
  const t = performance.now();
  const r = last(execFileSync(PEER_PY, [peer, "run", dir, idsJson, String(THREADS)], { encoding: "utf8", maxBuffer: 1 << 26 }));
  return { ...r, wall: (performance.now() - t) / 1000 };
}

const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const a = ours();
console.log(`cellfolio lmd: ${a.seconds.toFixed(2)} s for ${ids.length} cells -> ${a.shapes} shapes, ${a.points} points; peak RSS ${mib(a.peak_rss)} (the mask as uint16 is ${mib(SIDE * SIDE * 2)})`);
const b = theirs();
console.log(`py-lmd SegmentationLoader (threads ${THREADS}): ${b.seconds.toFixed(2)} s from the mask in memory (${b.wall.toFixed(2)} s with reading the raw mask and imports) -> ${b.shapes} shapes; peak RSS ${mib(b.peak_rss)}`);
console.log(`ratio py-lmd / ours: ${(b.seconds / a.seconds).toFixed(1)}x (py-lmd's time excludes its imports and reading the mask; ours includes Node's start and reading the TIFF)`);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const xml = readFileSync(path.join(dir, "ours.xml"), "utf8");
if (!xml.includes(`<ShapeCount>${a.shapes}</ShapeCount>`)) throw new Error("our XML does not hold the shapes it reported");
