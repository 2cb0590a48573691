#!/usr/bin/env node
// cellfolio convert against Python's anndata on a single-cell image dataset:
// h5ad -> Zarr v3 and back (cellfolio's convert) beside anndata's read_h5ad +
// write_zarr and read_zarr + write_h5ad, in the same run: anndata latest (the
// PyPI peer "latest", writing Zarr v3 as we do) and anndata 0.8 (Debian 12,
// Zarr v2: it writes no v3). MB/s of image data, ratios, peak RSS of each process.
//
//   (cd packages/hdf5 && npx tsup) && (cd packages/format && npx tsup)
//   node bench/convert.mjs                    (default 2 GB of images)
//   BENCH_GB=0.1 node bench/convert.mjs       (a quick run)
//
// Env: BENCH_GB (image bytes, default 2), BENCH_INPUT (h5ad | zarr: the first
// input, written by h5py / by anndata + zarr-python 2; default h5ad), BENCH_FILTER (input h5ad chunk filter:
// lzf | gzip | none, default lzf as scPortrait writes), BENCH_DIR (work dir),
// BENCH_ROUNDS (rounds of both sides, medians reported; default 3),
// BENCH_ANNDATA (latest | 0.8; default latest when its venv is installed).
// Input: obsm/single_cell_images float16 (N, 5, 128, 128), chunks (1, 1, 128, 128),
// written with h5py as anndata lays it out, obs/var by anndata.
// Outputs: Zarr with blosc lz4 + byte shuffle on both sides (zarr-python's
// default), h5ad without compression on both sides (anndata's default).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const GB = Number(process.env.BENCH_GB ?? 2);
const FILTER = process.env.BENCH_FILTER ?? "lzf";
const INPUT = process.env.BENCH_INPUT ?? "h5ad";
const CELL_BYTES = 5 * 128 * 128 * 2;
const N = Math.max(16, Math.round((GB * 1e9) / CELL_BYTES));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BYTES = N * CELL_BYTES;
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "cellfolio-bench-convert-"));

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const MAKE_ZARR = `
import sys, json, numpy as np, pandas as pd, anndata as ad, zarr, warnings
warnings.filterwarnings("ignore")
p, n = sys.argv[1], int(sys.argv[2])
a = ad.AnnData(obs=pd.DataFrame({"scportrait_cell_id": np.arange(n, dtype=np.uint64)}, index=[str(i) for i in range(n)]),
               var=pd.DataFrame(index=[str(i) for i in range(5)]))
a.write_zarr(p)
rng = np.random.default_rng(1)
yy, xx = np.mgrid[:128, :128]
cells = []
for k in range(64):
    blob = np.exp(-((yy - 64 - k % 7) ** 2 + (xx - 64 + k % 5) ** 2) / (2 * (18 + k % 9) ** 2))
    st = np.stack([blob * (0.5 + 0.1 * c) + rng.normal(0, 0.02, blob.shape) for c in range(5)])
    st[:, blob < 0.05] = 0
    cells.append(np.clip(st, 0, 1).astype(np.float16))
cells = np.stack(cells)
g = zarr.open_group(p, mode="a")
d = g["obsm"].create_dataset("single_cell_images", shape=(n, 5, 128, 128), dtype="f2", chunks=(1, 1, 128, 128))
d.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
for s in range(0, n, 256):
    e = min(n, s + 256)
    d[s:e] = cells[np.arange(s, e) % 64]
print(json.dumps({"ok": True}))
`;

const MAKE = `
import sys, json, numpy as np, pandas as pd, anndata as ad, h5py, warnings
warnings.filterwarnings("ignore")
p, n, filt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
a = ad.AnnData(obs=pd.DataFrame({"scportrait_cell_id": np.arange(n, dtype=np.uint64)}, index=[str(i) for i in range(n)]),
               var=pd.DataFrame(index=[str(i) for i in range(5)]))
a.write_h5ad(p)
rng = np.random.default_rng(1)
yy, xx = np.mgrid[:128, :128]
cells = []
for k in range(64):
    blob = np.exp(-((yy - 64 - k % 7) ** 2 + (xx - 64 + k % 5) ** 2) / (2 * (18 + k % 9) ** 2))
    st = np.stack([blob * (0.5 + 0.1 * c) + rng.normal(0, 0.02, blob.shape) for c in range(5)])
    st[:, blob < 0.05] = 0
    cells.append(np.clip(st, 0, 1).astype(np.float16))
cells = np.stack(cells)
kw = {"compression": filt} if filt != "none" else {}
with h5py.File(p, "a") as f:
    d = f["obsm"].create_dataset("single_cell_images", shape=(n, 5, 128, 128), dtype="f2", chunks=(1, 1, 128, 128), **kw)
    d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
    for s in range(0, n, 256):
        e = min(n, s + 256)
        d[s:e] = cells[np.arange(s, e) % 64]
print(json.dumps({"ok": True}))
`;

const PY_CONVERT = `
import sys, json, time, resource, anndata as ad, zarr, numcodecs, warnings
warnings.filterwarnings("ignore")
src, dst, direction = sys.argv[1], sys.argv[2], sys.argv[3]
if hasattr(getattr(ad, "settings", None), "zarr_write_format"):
    ad.settings.zarr_write_format = 3  # anndata >= 0.11: Zarr v3, as cellfolio writes
t = time.perf_counter()
if direction == "to-zarr":
    a = ad.read_h5ad(src)
    a.write_zarr(dst)
else:
    a = ad.read_zarr(src)
    a.write_h5ad(dst)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "anndata": ad.__version__}))
`;

const formatUrl = pathToFileURL(path.join(ROOT, "packages/format/dist/node.js")).href;
const JS_CONVERT = `
const { convert } = await import(${JSON.stringify(formatUrl)});
const [src, dst, direction] = process.argv.slice(2);
const t = performance.now();
await convert(src, dst, direction === "to-zarr"
  ? { zarrFormat: 3, compression: { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" } }
  : { compression: { codec: "none" } });
const seconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ seconds, rssMB: process.resourceUsage().maxRSS / 1024 }));
`;

// A file, not --eval: worker threads inherit execArgv.
const jsScript = path.join(work, "convert-one.mjs");
writeFileSync(jsScript, JS_CONVERT);
const js = (src, dst, dir) => run(process.execPath, [jsScript, src, dst, dir]);
const LATEST = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const PEER_PY = (process.env.BENCH_ANNDATA ?? (existsSync(LATEST) ? "latest" : "0.8")) === "latest" ? LATEST : "/usr/bin/python3";
let peerVersion = "";
const pyc = (src, dst, dir) => {
  const r = run(PEER_PY, ["-c", PY_CONVERT, src, dst, dir]);
  peerVersion = r.anndata;
  return r;
};

try {
  const fromZarr = INPUT === "zarr";
  const input = path.join(work, fromZarr ? "in.zarr" : "in.h5ad");
  console.log(`input: ${N} cells, ${(BYTES / 1e6).toFixed(0)} MB of float16 images, ${fromZarr ? "Zarr v2 (blosc lz4)" : `h5ad, ${FILTER}`} chunks (1,1,128,128) — ${work}`);
  if (fromZarr) run("/usr/bin/python3", ["-c", MAKE_ZARR, input, String(N)]);
  else run("/usr/bin/python3", ["-c", MAKE, input, String(N), FILTER]);
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      // a Python failure: its last line says what went wrong, not "Traceback"
      const lines = String(e.message ?? e).split("\n").filter((l) => l.trim());
      return { error: lines.length > 1 ? `${lines[0].replace(/Traceback.*/, "")}${lines.at(-1)}` : lines[0] };
    }
  };
  // ROUNDS rounds of both directions, ours then anndata in each step, so both
  // see the same moods of a shared machine; medians and the per-round ratios.
  const results = new Map();
  const step = (name, srcOurs, dstOurs, srcPy, dstPy, dir) => {
    for (const d of [dstOurs, dstPy]) rmSync(d, { recursive: true, force: true });
    if (!results.has(name)) results.set(name, []);
    results.get(name).push([attempt(() => js(srcOurs, dstOurs, dir)), attempt(() => pyc(srcPy, dstPy, dir))]);
  };
  for (let r = 0; r < ROUNDS; r++) {
    if (fromZarr) {
      step("zarr -> h5ad", input, path.join(work, "ours.h5ad"), input, path.join(work, "py.h5ad"), "to-h5ad");
      step("h5ad -> zarr", path.join(work, "ours.h5ad"), path.join(work, "ours.zarr"), path.join(work, "py.h5ad"), path.join(work, "py.zarr"), "to-zarr");
    } else {
      step("h5ad -> zarr", input, path.join(work, "ours.zarr"), input, path.join(work, "py.zarr"), "to-zarr");
      step("zarr -> h5ad", path.join(work, "ours.zarr"), path.join(work, "ours.h5ad"), path.join(work, "py.zarr"), path.join(work, "py.h5ad"), "to-h5ad");
    }
  }
  const mbs = (r) => BYTES / 1e6 / r.seconds;
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  console.log(`medians of ${ROUNDS} rounds`);
  console.log("direction       cellfolio MB/s  anndata MB/s  ratio  ratio per round  cellfolio peak RSS  anndata peak RSS");
  for (const [name, runs] of results) {
    const bad = runs.find(([o, p]) => o.error || p.error);
    if (bad) {
      console.log(`${name.padEnd(15)} cellfolio: ${bad[0].error ?? "ok"}; anndata: ${bad[1].error ?? "ok"}`);
      continue;
    }
    const ratios = runs.map(([o, p]) => mbs(o) / mbs(p));
    const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
    const rssO = Math.max(...runs.map(([o]) => o.rssMB));
    const rssP = Math.max(...runs.map(([, p]) => p.rssMB));
    console.log(
      `${name.padEnd(15)} ${median(runs.map(([o]) => mbs(o))).toFixed(0).padStart(14)} ${median(runs.map(([, p]) => mbs(p))).toFixed(0).padStart(13)} ${median(ratios).toFixed(2).padStart(6)} ${range.padStart(16)} ${`${rssO.toFixed(0)} MB`.padStart(19)} ${`${rssP.toFixed(0)} MB`.padStart(17)}`,
    );
  }
  console.log(`(anndata ${peerVersion}; cellfolio writes Zarr v3 sharded; anndata >= 0.11 writes Zarr v3 here, anndata 0.8 Zarr v2)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
