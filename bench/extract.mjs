#!/usr/bin/env node
// End-to-end extraction: synthetic slide (TIFFs) -> .h5sc with the compressed
// write, cellfolio (all cores, worker threads) vs scPortrait's stack
// (bench/extract_peer.py: tifffile + the NumPy/SciPy/skimage reference + h5py,
// one process) in the same run, on the same slide and codec.
//
//   npx turbo run build --filter=@cellfolio/extract && node bench/extract.mjs
//   CELLS=2000 PEER_CELLS=300 node bench/extract.mjs
//
// CELLS        cells on the slide (default 20000); SIZE crop S (128); CHANNELS (3)
// SPACING      grid spacing in px (default 44: cells up to ~42 px across)
// THREADS      our worker threads (default: all cores)
// FORMAT       h5sc (default) or zarr (ours only; the peer writes h5py)
// COMPRESSION  gzip (default: gzip 1, our default) | gzip-shuffle | lzf | none, both sides (HDF5)
// PRESET       classic (default) | scportrait
// PEER_CELLS   cells the Python peer extracts (default: all); its rate is per cell
// RSS_SCALING  1: also run ours on a slide of CELLS/4 cells (same width) and print both peak RSS
// SLIDE_DIR    where slides are kept between runs (default: the temp dir)
// SLIDE        a folder with image.tif, nucleus.tif and cytosol.tif to use instead of the
//              synthetic slide, e.g. the tiled zlib OME-TIFF one of
//              `/usr/bin/python3 bench/make-tiled-slide.py DIR` (CELLS is then ignored)
// SCPORTRAIT   1: also scPortrait 1.7's own pipeline (Project + HDF5CellExtraction from a
//              SpatialData input, bench/extract_scportrait_peer.py; on-demand venv:
//              bash .ci/setup-peers.sh scportrait-full) against ours with --preset
//              scportrait, border drop and lzf as scPortrait writes, THREADS on both
//              sides: cells/s, peak RSS, and every cell both keep compared by cellID
//
// On a machine shared with other work, compare cells per CPU second: the wall
// rate depends on how many cores the other processes leave us.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const PY = "/usr/bin/python3";
const PEER = path.join(here, "extract_peer.py");
const SCPORTRAIT_PEER = path.join(here, "extract_scportrait_peer.py");
const SCPORTRAIT_PY = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "scportrait-full/bin/python");

// Child mode: one extraction in a fresh process, so its peak RSS is its own.
if (process.argv[2] === "--ours") {
  const { extract } = await import(path.join(root, "packages/extract/dist/index.js"));
  const summary = await extract(JSON.parse(process.argv[3]));
  const { droppedAtBorder, missingCytosol: _, ...rest } = summary;
  const cpu = process.cpuUsage(); // every thread of the process
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ ...rest, dropped: droppedAtBorder.length, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const env = (k, d) => process.env[k] ?? d;
const CELLS = Number(env("CELLS", 20000));
const S = Number(env("SIZE", 128));
const C = Number(env("CHANNELS", 3));
const SPACING = Number(env("SPACING", 44));
const THREADS = Number(env("THREADS", availableParallelism()));
const FORMAT = env("FORMAT", "h5sc");
const COMPRESSION = env("COMPRESSION", "gzip");
const PRESET = env("PRESET", "classic");
const PEER_CELLS = env("PEER_CELLS", "") === "" ? null : Number(env("PEER_CELLS"));
const SLIDE_DIR = env("SLIDE_DIR", tmpdir());
const codec = {
  gzip: { codec: "gzip", level: 1 },
  "gzip-shuffle": { codec: "gzip", level: 1, shuffle: true },
  lzf: { codec: "lzf" },
  none: { codec: "none" },
}[COMPRESSION];
if (!codec) throw new Error(`COMPRESSION=${COMPRESSION}: expected gzip, gzip-shuffle, lzf or none`);

/** A slide of `cells` cells, `cols` cells wide (default: square). */
function slide(cells, cols = null) {
  const dir = path.join(SLIDE_DIR, `cellfolio-bench-extract-slide-${cells}-${C}-${SPACING}${cols ? `-${cols}` : ""}`);
  if (!existsSync(path.join(dir, "cytosol.tif"))) {
    const t = performance.now();
    const r = spawnSync(PY, [PEER, "make", dir, JSON.stringify({ cells, channels: C, spacing: SPACING, cols })], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`extract_peer.py make failed:\n${r.stderr}`);
    console.log(`made slide ${dir} (${JSON.parse(r.stdout.trim())?.height} px high) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return { image: path.join(dir, "image.tif"), nucleus: path.join(dir, "nucleus.tif"), cytosol: path.join(dir, "cytosol.tif") };
}

function ours(files, out, over = {}) {
  const options = { ...files, out, size: S, preset: PRESET, border: "pad", threads: THREADS, overwrite: true, ...(FORMAT === "h5sc" ? { compression: codec } : {}), ...over };
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--ours", JSON.stringify(options)], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`ours failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const work = path.join(tmpdir(), `cellfolio-bench-extract-${process.pid}`);
mkdirSync(work, { recursive: true });
try {
  const given = env("SLIDE", "");
  const files = given ? { image: path.join(given, "image.tif"), nucleus: path.join(given, "nucleus.tif"), cytosol: path.join(given, "cytosol.tif") } : slide(CELLS);
  console.log(`${given ? `slide ${given}` : `${CELLS} cells`}, ${C} channels uint16, S = ${S}, preset ${PRESET}, border pad; output ${FORMAT}${FORMAT === "h5sc" ? `, ${COMPRESSION}` : ""}; ${THREADS} threads`);

  const oursOut = path.join(work, `ours.${FORMAT}`);
  const a = ours(files, oursOut);
  console.log(`cellfolio : ${a.cellsWritten} cells in ${a.seconds.toFixed(2)} s = ${a.cellsPerSecond.toFixed(0)} cells/s (${(a.cellsPerSecond / Math.max(1, THREADS)).toFixed(0)} per core), codec ${a.compression}, peak RSS ${a.peakRssMb.toFixed(0)} MB; ${(a.cellsWritten / a.cpuSeconds).toFixed(0)} cells per CPU second (${((1e6 * a.cpuSeconds) / a.cellsWritten).toFixed(0)} us CPU per cell, ${(a.cpuSeconds / a.seconds).toFixed(2)} cores busy on average)`);

  let peer = null;
  if (PEER_CELLS !== 0) {
    const peerOut = path.join(work, "peer.h5sc");
    const m = { ...files, out: peerOut, params: { preset: PRESET, size: S, border: "pad" }, compression: COMPRESSION, cells: PEER_CELLS };
    const r = spawnSync(PY, [PEER, "run", JSON.stringify(m)], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    });
    if (r.status !== 0) throw new Error(`extract_peer.py run failed:\n${r.stderr}`);
    peer = JSON.parse(r.stdout.trim().split("\n").pop());
    console.log(`python    : ${peer.cells} cells in ${peer.seconds.toFixed(2)} s = ${peer.cells_per_second.toFixed(1)} cells/s (one core), peak RSS ${peer.peak_rss_mb.toFixed(0)} MB; ${(peer.cells / peer.cpu_seconds).toFixed(1)} cells per CPU second`);
    console.log(
      `ratio     : ${(a.cellsPerSecond / peer.cells_per_second).toFixed(1)}x total, ${(a.cellsPerSecond / Math.max(1, THREADS) / peer.cells_per_second).toFixed(1)}x per core (wall); ${(a.cellsWritten / a.cpuSeconds / (peer.cells / peer.cpu_seconds)).toFixed(1)}x per CPU second`,
    );
    if (FORMAT === "h5sc") {
      // Same numbers? The peer's rows are the first rows of ours (both in cellID order).
      const check = spawnSync(
        PY,
        [
          "-c",
          `import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["obsm/single_cell_images"]; b = h5py.File(sys.argv[2], "r")["obsm/single_cell_images"]
n = min(len(b), 200)
print(float(np.abs(a[:n].astype(np.float32) - b[:n].astype(np.float32)).max()), n)`,
          oursOut,
          peerOut,
        ],
        { encoding: "utf8" },
      );
      const [diff, n] = check.stdout.trim().split(" ");
      console.log(`check     : first ${n} cells, max abs difference ${Number(diff).toExponential(2)}`);
    }
  }
  if (env("SCPORTRAIT", "0") === "1") {
    if (!existsSync(SCPORTRAIT_PY)) throw new Error(`SCPORTRAIT=1: no ${SCPORTRAIT_PY}; install it with: bash .ci/setup-peers.sh scportrait-full`);
    const spWork = path.join(work, "scportrait");
    const r = spawnSync(SCPORTRAIT_PY, [SCPORTRAIT_PEER, "run", JSON.stringify({ ...files, work: spWork, size: S, threads: THREADS, compression: "lzf" })], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new Error(`extract_scportrait_peer.py failed:\n${r.stderr.slice(-4000)}`);
    const sp = JSON.parse(r.stdout.trim().split("\n").pop());
    const mine = ours(files, path.join(work, "ours-scportrait.h5sc"), { preset: "scportrait", border: "drop", compression: { codec: "lzf" } });
    const spRss = sp.peak_rss_mb + sp.peak_rss_children_mb;
    console.log(`scPortrait: ${sp.cells} cells in ${sp.seconds.toFixed(2)} s = ${(sp.cells / sp.seconds).toFixed(0)} cells/s (Project.extract, ${THREADS} threads; the SpatialData import before it ${sp.import_seconds.toFixed(1)} s not counted), peak RSS ${sp.peak_rss_mb.toFixed(0)} MB (+ ${sp.peak_rss_children_mb.toFixed(0)} MB, the largest of its worker processes)`);
    console.log(`cellfolio : ${mine.cellsWritten} cells in ${mine.seconds.toFixed(2)} s = ${mine.cellsPerSecond.toFixed(0)} cells/s (--preset scportrait, border drop, lzf), peak RSS ${mine.peakRssMb.toFixed(0)} MB`);
    console.log(`ratio     : ${(mine.cellsPerSecond / (sp.cells / sp.seconds)).toFixed(1)}x cells/s; peak RSS ${(spRss / mine.peakRssMb).toFixed(1)}x less`);
    // Every cell both keep, joined on the cellID: the largest difference per channel, and the cells over float16's step at 1.
    const cmp = spawnSync(
      SCPORTRAIT_PY,
      [
        "-c",
        `import sys, json, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
ia, ib = a["obs/scportrait_cell_id"][:], b["obs/scportrait_cell_id"][:]
common, ra, rb = np.intersect1d(ia, ib, return_indices=True)
order = np.argsort(ra)
ra, rb, common = ra[order], rb[order], common[order]
A, B = a["obsm/single_cell_images"], b["obsm/single_cell_images"]
worst = np.zeros(A.shape[1]); bad = []
for k in range(0, len(ra), 256):
    x = A[np.sort(ra[k:k+256])].astype(np.float32); y = B[rb[k:k+256][np.argsort(ra[k:k+256])]].astype(np.float32)
    d = np.abs(x - y).max(axis=(2, 3))
    worst = np.maximum(worst, d.max(axis=0))
    ids = common[k:k+256][np.argsort(ra[k:k+256])]
    bad += [int(i) for i in ids[(d > 2 ** -10).any(axis=1)]]
print(json.dumps({"ours": len(ia), "theirs": len(ib), "both": len(common), "only_ours": len(np.setdiff1d(ia, ib)), "only_theirs": len(np.setdiff1d(ib, ia)), "worst": worst.tolist(), "over": len(bad), "over_ids": bad[:10]}))`,
        path.join(work, "ours-scportrait.h5sc"),
        sp.out,
      ],
      { encoding: "utf8", maxBuffer: 1 << 26 },
    );
    if (cmp.status !== 0) throw new Error(`comparison failed:\n${cmp.stderr.slice(-2000)}`);
    const c = JSON.parse(cmp.stdout.trim().split("\n").pop());
    console.log(
      `check     : ${c.both} cells in both (${c.only_ours} only ours, ${c.only_theirs} only scPortrait's); largest difference per channel ${c.worst.map((v) => v.toExponential(1)).join(" ")}; ${c.over} cells differ by more than 2^-10${c.over ? ` (cellIDs ${c.over_ids.join(", ")}...)` : ""}`,
    );
  }
  if (env("RSS_SCALING", "0") === "1") {
    // As wide as the full slide, a quarter of its height: the memory of a band
    // depends on the slide's width, not on how many cells it holds.
    const quarter = Math.max(1, Math.round(CELLS / 4));
    const b = ours(slide(quarter, Math.ceil(Math.sqrt(CELLS))), path.join(work, `quarter.${FORMAT}`));
    console.log(`RSS       : ${quarter} cells ${b.peakRssMb.toFixed(0)} MB, ${CELLS} cells ${a.peakRssMb.toFixed(0)} MB (same slide width, 4x the rows and cells)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
