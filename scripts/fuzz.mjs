#!/usr/bin/env node
// Hostile-input fuzzer: mutates the sample dataset (.h5sc, Zarr v2, Zarr v3
// sharded, zipped Zarr v2 and v3) and runs `cellfolio info`, `validate`,
// `convert` and the lazy reader (scripts/fuzz-lazy.mjs) on every mutant, each
// as a child process with a time limit. What must never happen:
//   crash        an exit code other than 0 / 1 / 2, or a stack trace / a
//                JavaScript internal on stderr
//   hang         a run past the time limit (killed)
//   memory       a peak RSS over the limit
//   wrong-accept a convert that succeeds on input h5py / zarr-python refuse
//   wrong-copy   a convert whose output's arrays differ from the input's
//                (as h5py / zarr-python read both)
//   leftover     a failed convert that leaves its output or a temporary behind
// and, less grave, `unnamed`: an error line that does not name the input.
//
//   node scripts/fuzz.mjs [--count N] [--seed S] [--jobs J] [--time-budget SEC]
//                         [--timeout SEC] [--max-rss MB] [--work DIR] [--json] [--keep]
//                         [--case I]   (runs case I only, as --count I+1 would make it)
//
// Needs the packages built (npm run build) and the `latest` peers venv
// (/opt/cellfolio-peers/latest, or CELLFOLIO_PEERS) for the oracle
// (scripts/fuzz_oracle.py). Prints the counts per outcome and per mutation
// class; exits 1 if any grave outcome occurred. test/fuzz.e2e.test.ts runs a
// small count in CI; run a large one by hand:
//   node scripts/fuzz.mjs --count 400 --jobs 2
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "packages/cli/bin/cellfolio.js");
const LAZY = path.join(ROOT, "scripts/fuzz-lazy.mjs");
const ORACLE = path.join(ROOT, "scripts/fuzz_oracle.py");
const SAMPLE = path.join(ROOT, "test-data/sample");
const PYTHON = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");

const GRAVE = ["crash", "hang", "memory", "wrong-accept", "wrong-copy", "leftover"];

function parseArgs(argv) {
  const o = { only: -1, count: 40, seed: 1, jobs: 2, timeBudget: Infinity, timeout: 20, maxRss: 600, work: "", json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--count") o.count = Number(v());
    else if (a === "--seed") o.seed = Number(v());
    else if (a === "--case") o.only = Number(v());
    else if (a === "--jobs") o.jobs = Number(v());
    else if (a === "--time-budget") o.timeBudget = Number(v());
    else if (a === "--timeout") o.timeout = Number(v());
    else if (a === "--max-rss") o.maxRss = Number(v());
    else if (a === "--work") o.work = v();
    else if (a === "--json") o.json = true;
    else if (a === "--keep") o.keep = true;
    else {
      console.error(`fuzz: unknown option ${a}`);
      process.exit(2);
    }
  }
  return o;
}

// ---- small pure helpers -------------------------------------------------

/** mulberry32: a seeded PRNG in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (xs) => xs[next.int(xs.length)];
  return next;
}

function crcTable(poly) {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
const CRC32 = crcTable(0xedb88320);
const CRC32C = crcTable(0x82f63b78);
function crc(table, bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Every file under `dir`, as paths relative to it ("/"-separated). */
function filesUnder(dir, prefix = "") {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** A zip of `dir`'s files (stored, no compression), entries at its root. */
function zipDir(dir, to) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const rel of filesUnder(dir)) {
    const data = fs.readFileSync(path.join(dir, rel));
    const name = Buffer.from(rel);
    const c = crc(CRC32, data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(c, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(c, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, data);
    central.push(ch, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(to, Buffer.concat([...locals, cd, end]));
}

// ---- running a child ----------------------------------------------------

/** Runs a child with a time limit, following its peak RSS (VmHWM) from /proc. */
function run(cmd, args, { timeout, cwd, env }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      if (stdout.length < 65536) stdout += d;
    });
    child.stderr.on("data", (d) => {
      if (stderr.length < 65536) stderr += d;
    });
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    }, 50);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout * 1000);
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - t0, peakMb: peakKb / 1024 });
    });
  });
}

const node = (args, opts) => run(process.execPath, args, opts);

// ---- the inputs ---------------------------------------------------------

async function makeBases(dir, timeout) {
  const opts = { timeout: timeout * 6, cwd: dir };
  const must = async (args) => {
    const r = await node([CLI, ...args, "--quiet"], opts);
    if (r.code !== 0) throw new Error(`fuzz: setup failed: cellfolio ${args.join(" ")}\n${r.stderr}`);
  };
  const extract = [
    "extract",
    "--image",
    path.join(SAMPLE, "image.tif"),
    "--nucleus",
    path.join(SAMPLE, "nucleus.tif"),
    "--cytosol",
    path.join(SAMPLE, "cytosol.tif"),
    "--labels",
    path.join(SAMPLE, "labels.csv"),
    "--size",
    "32",
  ];
  await must([...extract, "--out", "sample.h5sc"]);
  await must([...extract, "--out", "sharded.zarr", "--shard-rows", "64"]);
  await must(["convert", "sample.h5sc", "v2.zarr", "--zarr-format", "2"]);
  zipDir(path.join(dir, "v2.zarr"), path.join(dir, "v2.zarr.zip"));
  zipDir(path.join(dir, "sharded.zarr"), path.join(dir, "sharded.zarr.zip"));
  // Where the image chunks and the images' dataspace lie in the .h5sc.
  const { openHdf5File } = await import("@cellfolio/hdf5/node");
  const f = await openHdf5File(path.join(dir, "sample.h5sc"));
  const images = await f.dataset("obsm/single_cell_images");
  const chunks = (await images.chunkIndex()).map((c) => [c.address, c.size]);
  const shape = images.shape;
  await f.close();
  return [
    { name: "sample.h5sc", kind: "hdf5", chunks, shape },
    { name: "v2.zarr", kind: "dir" },
    { name: "sharded.zarr", kind: "dir" },
    { name: "v2.zarr.zip", kind: "zip", dir: "v2.zarr" },
    { name: "sharded.zarr.zip", kind: "zip", dir: "sharded.zarr" },
  ];
}

// ---- mutations ------------------------------------------------------------

const HOSTILE_DIMS = [2 ** 53, 2 ** 53 + 2, 1e30, 2 ** 64, 2 ** 32 + 1, 1e7, -1, -228, 0, 1.5, "228", null, true, [3], {}];
const HOSTILE_CHUNKS = [0, -1, 1.5, 2 ** 53, 1e30, 2 ** 64, null, "1", 2 ** 31];

const isMeta = (rel) => /(^|\/)(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/.test(rel);
const isShard = (rel) => /obsm\/single_cell_images\/c\//.test(rel);

function flipBytes(buf, at, n, rng) {
  for (let k = 0; k < n && at + k < buf.length; k++) buf[at + k] ^= 1 + rng.int(255);
}

/** Sets `shape` or the chunk shape of one array's metadata (JSON) to a hostile value, in place in the store dir. */
function hostileJson(dir, rel, rng) {
  const text = fs.readFileSync(path.join(dir, rel), "utf8");
  const meta = JSON.parse(text);
  const arrays = [];
  // .zmetadata (consolidated v2) and zarr.json (consolidated v3) hold copies of the arrays' metadata too
  const visit = (m) => {
    if (m && typeof m === "object") {
      if (Array.isArray(m.shape)) arrays.push(m);
      for (const v of Object.values(m)) if (v && typeof v === "object") visit(v);
    }
  };
  visit(meta);
  if (arrays.length === 0) return null;
  const m = rng.pick(arrays);
  const which = rng.int(4);
  let what;
  if (which === 0 || m.shape.length === 0) {
    const i = rng.int(Math.max(1, m.shape.length));
    const v = rng.pick(HOSTILE_DIMS);
    m.shape[i] = v;
    what = `shape[${i}] = ${JSON.stringify(v)}`;
  } else if (which === 1) {
    m.shape.push(rng.pick([1, 2 ** 32 + 1, 7]));
    what = `shape gets a dimension: ${JSON.stringify(m.shape)}`;
  } else {
    const grid = Array.isArray(m.chunks) ? m.chunks : m.chunk_grid?.configuration?.chunk_shape;
    const inner = m.codecs?.find?.((c) => c?.name === "sharding_indexed")?.configuration?.chunk_shape;
    const target = which === 3 && inner ? inner : grid;
    if (!Array.isArray(target) || target.length === 0) return null;
    const i = rng.int(target.length);
    const v = rng.pick(HOSTILE_CHUNKS);
    target[i] = v;
    what = `${target === inner ? "inner " : ""}chunks[${i}] = ${JSON.stringify(v)}`;
  }
  fs.writeFileSync(path.join(dir, rel), JSON.stringify(meta, null, 2).replace(/1e\+30/g, "1e30"));
  return `${rel}: ${what}`;
}

/** A mutation of a Zarr directory (in place); returns [class, what] or null to try again. */
function mutateDir(dir, rng) {
  const files = filesUnder(dir);
  const metas = files.filter(isMeta);
  const chunks = files.filter((f) => !isMeta(f));
  const cls = rng.pick(["truncate", "flip-meta", "flip-chunk", "json-shape", "json-shape", "missing", "shard-index"]);
  if (cls === "truncate") {
    const rel = rng.pick(rng() < 0.7 ? chunks : metas);
    const b = fs.readFileSync(path.join(dir, rel));
    const to = rng.int(b.length);
    fs.writeFileSync(path.join(dir, rel), b.subarray(0, to));
    return [cls, `${rel} cut to ${to} of ${b.length} bytes`];
  }
  if (cls === "flip-meta" || cls === "flip-chunk") {
    const rel = rng.pick(cls === "flip-meta" ? metas : chunks);
    const b = fs.readFileSync(path.join(dir, rel));
    if (b.length === 0) return null;
    const at = rng.int(b.length);
    const n = 1 + rng.int(4);
    flipBytes(b, at, n, rng);
    fs.writeFileSync(path.join(dir, rel), b);
    return [cls, `${rel}: ${n} bytes flipped at ${at}`];
  }
  if (cls === "json-shape") {
    const rel = rng() < 0.6 ? metas.find((m) => /obsm\/single_cell_images\/(\.zarray|zarr\.json)$/.test(m)) : rng.pick(metas);
    const what = rel && hostileJson(dir, rel, rng);
    return what ? [cls, what] : null;
  }
  if (cls === "missing") {
    const rel = rng.pick(files);
    fs.rmSync(path.join(dir, rel));
    return [cls, `${rel} removed`];
  }
  // shard-index: entries of the index at a shard's end, crc32c kept right or not
  const shards = chunks.filter(isShard);
  const meta = files.find((f) => f === "obsm/single_cell_images/zarr.json");
  if (!meta || shards.length === 0 || !/sharding_indexed/.test(fs.readFileSync(path.join(dir, meta), "utf8"))) return null;
  const rel = rng.pick(shards);
  const b = fs.readFileSync(path.join(dir, rel));
  const info = JSON.parse(fs.readFileSync(path.join(dir, meta), "utf8"));
  const cfg = info.codecs[0].configuration;
  const per = info.chunk_grid.configuration.chunk_shape.map((s, i) => Math.ceil(s / cfg.chunk_shape[i])).reduce((x, y) => x * y, 1);
  const indexBytes = per * 16 + 4;
  if (b.length < indexBytes) return null;
  const idx = b.length - indexBytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const e = rng.int(per);
  const field = rng.int(2);
  const value = rng.pick([0n, 1n, 2n ** 40n, 2n ** 63n, BigInt(b.length), BigInt(b.length - 1), 2n ** 64n - 1n, 2n ** 64n - 2n]);
  view.setBigUint64(idx + e * 16 + field * 8, value, true);
  const fixCrc = rng() < 0.8;
  if (fixCrc) view.setUint32(b.length - 4, crc(CRC32C, b.subarray(idx, b.length - 4)), true);
  fs.writeFileSync(path.join(dir, rel), b);
  return [cls, `${rel}: index entry ${e} ${field ? "nbytes" : "offset"} = ${value}${fixCrc ? " (crc32c fixed)" : ""}`];
}

/** A mutation of an HDF5 file (in place). */
function mutateHdf5(file, base, rng) {
  const b = fs.readFileSync(file);
  const inChunk = (at) => base.chunks.some(([a, s]) => at >= a && at < a + s);
  const cls = rng.pick(["truncate", "flip-meta", "flip-meta", "flip-chunk", "flip-chunk", "h5-dims"]);
  if (cls === "truncate") {
    const to = rng.int(b.length);
    fs.writeFileSync(file, b.subarray(0, to));
    return [cls, `cut to ${to} of ${b.length} bytes`];
  }
  if (cls === "flip-chunk") {
    const [a, s] = rng.pick(base.chunks);
    const at = a + rng.int(s);
    const n = 1 + rng.int(8);
    flipBytes(b, at, n, rng);
    fs.writeFileSync(file, b);
    return [cls, `${n} bytes flipped at ${at} (chunk at ${a})`];
  }
  if (cls === "flip-meta") {
    let at = rng.int(b.length);
    for (let k = 0; k < 50 && inChunk(at); k++) at = rng.int(b.length);
    const n = 1 + rng.int(4);
    flipBytes(b, at, n, rng);
    fs.writeFileSync(file, b);
    return [cls, `${n} bytes flipped at ${at}`];
  }
  // h5-dims: the images' dataspace dimension sizes (u64 little-endian, one after the other)
  const pattern = Buffer.alloc(8 * base.shape.length);
  for (const [i, d] of base.shape.entries()) pattern.writeBigUInt64LE(BigInt(d), 8 * i);
  const at = b.indexOf(pattern);
  if (at < 0) return null;
  const i = rng.int(base.shape.length);
  const value = rng.pick([2n ** 32n + 1n, 2n ** 40n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 0n, 10n ** 7n]);
  b.writeBigUInt64LE(value, at + 8 * i);
  fs.writeFileSync(file, b);
  return [cls, `images dim ${i} = ${value}`];
}

/** A mutation of a zip: of its bytes (truncation, flips that break CRC-32), or of the store inside (re-zipped). */
function mutateZip(file, base, workDir, caseDir, rng) {
  if (rng() < 0.5) {
    const b = fs.readFileSync(file);
    const cls = rng.pick(["truncate", "zip-crc", "flip-meta"]);
    if (cls === "truncate") {
      const to = rng.int(b.length);
      fs.writeFileSync(file, b.subarray(0, to));
      return [cls, `zip cut to ${to} of ${b.length} bytes`];
    }
    if (cls === "zip-crc") {
      // a byte of an entry's data: the stored CRC-32 no longer matches
      const at = 30 + rng.int(Math.max(1, b.length - 1024));
      flipBytes(b, at, 1, rng);
      fs.writeFileSync(file, b);
      return [cls, `zip byte flipped at ${at}`];
    }
    // the central directory and end record
    const at = b.length - 1 - rng.int(Math.min(b.length, 4096));
    flipBytes(b, at, 1 + rng.int(3), rng);
    fs.writeFileSync(file, b);
    return [cls, `zip directory byte flipped at ${at}`];
  }
  const tmp = path.join(caseDir, "unzipped");
  fs.cpSync(path.join(workDir, base.dir), tmp, { recursive: true });
  const m = mutateDir(tmp, rng);
  if (!m) return null;
  zipDir(tmp, file);
  fs.rmSync(tmp, { recursive: true, force: true });
  return [m[0], `inside the zip: ${m[1]}`];
}

// ---- one case -------------------------------------------------------------

const INTERNALS =
  /^\s+at .+[(:]\d+|Unhandled|uncaught|\bRangeError\b|\bTypeError\b|\bReferenceError\b|\bSyntaxError\b|Invalid array length|is not a function|of undefined|of null|Maximum call stack|heap out of memory|\[object Object\]|\bNaN\b/im;

function classify(r, opts, inputName) {
  // killed at the time limit (one that ended by itself as the limit struck, under load, is judged as it ended)
  if (r.timedOut && r.code === null) return "hang";
  if (r.peakMb > opts.maxRss) return "memory";
  if (r.code === null || ![0, 1, 2].includes(r.code) || INTERNALS.test(r.stderr)) return "crash";
  if (r.code === 0) return "ok";
  // the error line (stderr), or validate's report (stdout) names the input
  return `${r.stderr}\n${r.stdout}`.includes(inputName) ? "refused" : "unnamed";
}

async function runCase(i, base, opts, workDir, rng) {
  const caseDir = path.join(workDir, `case-${i}`);
  fs.mkdirSync(caseDir, { recursive: true });
  const input = path.join(caseDir, base.name);
  let m = null;
  for (let tries = 0; tries < 10 && !m; tries++) {
    fs.rmSync(input, { recursive: true, force: true });
    fs.cpSync(path.join(workDir, base.name), input, { recursive: true });
    if (base.kind === "hdf5") m = mutateHdf5(input, base, rng);
    else if (base.kind === "dir") m = mutateDir(input, rng);
    else m = mutateZip(input, base, workDir, caseDir, rng);
  }
  const [cls, what] = m;
  const runOpts = { timeout: opts.timeout, cwd: caseDir, env: { CELLFOLIO_ZARR_WORKERS: rng() < 0.5 ? "0" : "2", CELLFOLIO_HDF5_WORKERS: rng() < 0.5 ? "0" : "2" } };
  const out = base.kind === "hdf5" ? "out.zarr" : "out.h5sc";
  const results = [];
  for (const [tool, args] of [
    ["info", [CLI, "info", base.name]],
    ["validate", [CLI, "validate", base.name]],
    ["convert", [CLI, "convert", base.name, out, "--quiet"]],
    ["lazy", [LAZY, base.name]],
  ]) {
    const r = await node(args, runOpts);
    let outcome = classify(r, opts, base.name);
    let note = "";
    if (tool === "convert") {
      const left = fs.readdirSync(caseDir).filter((f) => f.startsWith(out));
      if (r.code !== 0 && left.length > 0 && outcome !== "hang") outcome = "leftover";
      if (r.code === 0 && outcome === "ok") {
        const o = await run(PYTHON, [ORACLE, base.name, out], { timeout: 120, cwd: caseDir });
        // 5: h5py reads it, but what it reads is undefined (chunk index out of order): to be refused too
        if (o.code === 3 || o.code === 5) outcome = "wrong-accept";
        else if (o.code === 4) outcome = "wrong-copy";
        else if (o.code !== 0) note = `oracle failed: ${o.stderr.trim().split("\n").pop()}`;
        if (o.code !== 0) note ||= o.stderr.trim().split("\n").pop();
      }
      fs.rmSync(path.join(caseDir, out), { recursive: true, force: true });
    }
    const line = (r.stderr.trim() || r.stdout.trim()).split("\n").filter((l) => !/^\d{4}-\d\d-\d\d /.test(l))[0] ?? "";
    results.push({ tool, outcome, code: r.code, ms: r.ms, peakMb: Math.round(r.peakMb), line: line.slice(0, 300), note, stderr: GRAVE.includes(outcome) ? r.stderr.slice(0, 4000) : undefined });
  }
  if (!opts.keep && results.every((r) => !GRAVE.includes(r.outcome))) fs.rmSync(caseDir, { recursive: true, force: true });
  return { case: i, input: base.name, cls, what, results };
}

// ---- main -----------------------------------------------------------------

export async function fuzz(opts) {
  const workDir = opts.work || fs.mkdtempSync(path.join(os.tmpdir(), "cellfolio-fuzz-"));
  fs.mkdirSync(workDir, { recursive: true });
  const t0 = Date.now();
  const bases = await makeBases(workDir, opts.timeout);
  const rng = prng(opts.seed);
  // each case gets its own generator, so a case is the same whatever the job count
  if (opts.only >= opts.count) opts.count = opts.only + 1;
  const seeds = Array.from({ length: opts.count }, () => rng.int(2 ** 31));
  const cases = [];
  let next = 0;
  const worker = async () => {
    while (next < opts.count && (Date.now() - t0) / 1000 < opts.timeBudget) {
      const i = next++;
      if (opts.only >= 0 && i !== opts.only) continue;
      const r = prng(seeds[i]);
      cases.push(await runCase(i, bases[i % bases.length], opts, workDir, r));
    }
  };
  await Promise.all(Array.from({ length: opts.jobs }, worker));
  cases.sort((a, b) => a.case - b.case);
  const outcomes = {};
  const byClass = {};
  let peakMb = 0;
  let slowestMs = 0;
  for (const c of cases) {
    byClass[c.cls] ??= {};
    for (const r of c.results) {
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      byClass[c.cls][r.outcome] = (byClass[c.cls][r.outcome] ?? 0) + 1;
      peakMb = Math.max(peakMb, r.peakMb);
      slowestMs = Math.max(slowestMs, r.ms);
    }
  }
  const grave = cases.flatMap((c) => c.results.filter((r) => GRAVE.includes(r.outcome)).map((r) => ({ case: c.case, input: c.input, cls: c.cls, what: c.what, ...r })));
  const unnamed = cases.flatMap((c) => c.results.filter((r) => r.outcome === "unnamed").map((r) => ({ case: c.case, input: c.input, what: c.what, tool: r.tool, line: r.line })));
  if (!opts.keep && grave.length === 0) fs.rmSync(workDir, { recursive: true, force: true });
  return { seed: opts.seed, cases: cases.length, runs: cases.length * 4, seconds: Math.round((Date.now() - t0) / 1000), peakMb, slowestMs, outcomes, byClass, grave, unnamed, workDir };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  if (!Number.isFinite(opts.seed)) opts.seed = randomBytes(4).readUInt32LE(0);
  const s = await fuzz(opts);
  if (opts.json) console.log(JSON.stringify(s));
  else {
    console.log(`seed ${s.seed}: ${s.cases} cases, ${s.runs} runs in ${s.seconds} s; peak RSS ${s.peakMb} MB, slowest run ${(s.slowestMs / 1000).toFixed(1)} s`);
    console.log("outcomes:", Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(", "));
    for (const [cls, o] of Object.entries(s.byClass).sort()) {
      console.log(`  ${cls.padEnd(12)} ${Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    }
    for (const g of s.grave) console.log(`GRAVE ${g.outcome}: case ${g.case} ${g.input} (${g.what}) ${g.tool} exit ${g.code}: ${g.line} ${g.note}`);
    for (const u of s.unnamed.slice(0, 20)) console.log(`unnamed: case ${u.case} ${u.input} (${u.what}) ${u.tool}: ${u.line}`);
    if (s.grave.length > 0) console.log(`kept for inspection: ${s.workDir}`);
  }
  process.exit(s.grave.length > 0 ? 1 : 0);
}
