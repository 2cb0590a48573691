#!/usr/bin/env node
// End-to-end extraction from slides as users have them: a tiled (512 x 512),
// zlib-compressed OME-TIFF of 3 uint16 channels with tiled zlib masks, against
// the same slide uncompressed (tifffile's default: one strip per page), to
// .h5sc. For each: cells/s, time from process start to the first cell
// computed, peak RSS; our tiled and uncompressed outputs compared bitwise;
// and the NumPy reference (bench/extract_peer.py: tifffile reads the slide,
// NumPy/SciPy/skimage extract, h5py writes) on the same tiled slide in the
// same run, with the ratio per core.
//
//   npx turbo run build --filter=@cellfolio/cli && node bench/extract-tiled.mjs
//   SLIDES=issue node bench/extract-tiled.mjs        # only the 4000 x 4000 slide of bench/make-tiled-slide.py
//
// SLIDES      comma list of: issue (bench/make-tiled-slide.py: 4000 x 4000,
//             7,000 cells of 8-15 px nuclei, ids in random order as StarDist
//             numbers objects: neighbours on the slide far apart in cellID
//             order), issue-raster (the same slide, ids in raster order as
//             Cellpose numbers them), 5000, 50000 (bench/extract_peer.py
//             make: cells on a 44 px grid, 91 cells across = 4004 px wide, so the
//             5,000 and 50,000-cell slides have the same width and only their
//             height differs: the peak RSS should not; any other number of
//             cells makes a taller slide the same way, e.g. 200000: ~5 GB
//             while it is made, 1.5 GB kept), issue-lzw (the issue
//             slide's tiles LZW-compressed with the horizontal predictor, as
//             bfconvert -compression LZW writes them; made and read by the
//             "latest" Python peer's tifffile + imagecodecs, which Debian's
//             lacks, so its NumPy reference runs there), issue-j2k (the
//             issue slide's image as lossless JPEG 2000 tiles, as 10x Xenium's
//             morphology OME-TIFFs hold them, its masks zlib as in issue;
//             the latest peer too); default issue,issue-raster,5000,50000
// SIZE        crop S (default 128); THREADS ours (default all cores)
// PEER_CELLS  cells the NumPy reference extracts per slide (default 1000; 0 = skip)
// SLIDE_DIR   where slides are kept between runs (default the temp dir)
// OUTPUTS     outputs written from the tiled slide after the .h5sc run, each
//             timed end to end and read back whole (ours and h5py / zarr-python,
//             blocks of 256 cells, best of 2): comma list of zarr3 (Zarr v3
//             sharded, blosc lz4: the default of a .zarr output), lzf,
//             shuffle-gzip, none (.h5sc with that codec);
//             the default .h5sc (gzip 1, run-length strategy) is read back too.
//             Default zarr3; "all" for every one (the .h5sc codec study).
//
// On the 5000 and 50000 slides `cellfolio extract` itself runs too (the built
// CLI, which runs the extraction in its tuned node: packages/cli/src/tuned-node.ts),
// and its peak RSS is printed beside the library's in a plain node.
//
// Needs Debian's /usr/bin/python3 with numpy, scikit-image and tifffile
// (.ci/setup-system.sh installs them). The machine may be shared: the script
// prints `uptime`'s load average beside the numbers.
import { execSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const PY = "/usr/bin/python3";
const LATEST = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const PEER = path.join(here, "extract_peer.py");

// Child mode: one extraction in a fresh process, so its peak RSS and its start are its own.
if (process.argv[2] === "--read") {
  // Child mode: read a whole output back in blocks of 256 cells, best of 2 passes.
  const { openStore } = await import(path.join(root, "packages/format/dist/node.js"));
  const best = [];
  for (let pass = 0; pass < 2; pass++) {
    const r = await openStore(process.argv[3]);
    const info = await r.get("obsm/single_cell_images");
    const [n, ...row] = info.shape;
    const t = performance.now();
    for (let s = 0; s < n; s += 256) await r.readBlock("obsm/single_cell_images", [s, 0, 0, 0], [Math.min(256, n - s), ...row]);
    best.push((performance.now() - t) / 1000);
    await r.close();
  }
  console.log(JSON.stringify({ seconds: Math.min(...best) }));
  process.exit(0);
}

if (process.argv[2] === "--ours") {
  const { extract } = await import(path.join(root, "packages/extract/dist/index.js"));
  let firstCell = null;
  let firstCellCpu = null;
  let planned = null;
  const options = JSON.parse(process.argv[3]);
  const summary = await extract({
    ...options,
    onProgress: (done) => {
      if (firstCell === null && done > 0) {
        firstCell = performance.now() / 1000;
        const c = process.cpuUsage();
        firstCellCpu = (c.user + c.system) / 1e6;
      }
    },
    onStage: (e) => {
      if (e.stage === "planned") planned = performance.now() / 1000;
    },
  });
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({
      cells: summary.cellsWritten,
      seconds: summary.seconds,
      cellsPerSecond: summary.cellsPerSecond,
      // performance.now() counts from the process's start: what a user waits for.
      firstCell,
      firstCellCpu,
      planned,
      total: performance.now() / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

const env = (k, d) => process.env[k] ?? d;
const SLIDES = env("SLIDES", "issue,issue-raster,5000,50000").split(",");
const S = Number(env("SIZE", 128));
const THREADS = Number(env("THREADS", availableParallelism()));
const PEER_CELLS = Number(env("PEER_CELLS", 1000));
const SLIDE_DIR = env("SLIDE_DIR", tmpdir());
const ALL_OUTPUTS = ["zarr3", "lzf", "shuffle-gzip", "none"];
const OUTPUTS = env("OUTPUTS", "zarr3") === "all" ? ALL_OUTPUTS : env("OUTPUTS", "zarr3").split(",").filter(Boolean);
// Each output: its file name and extract options (beyond the default .h5sc).
const OUTPUT_OPTIONS = {
  zarr3: { ext: "zarr", options: { zarrFormat: 3 } },
  lzf: { ext: "h5sc", options: { compression: { codec: "lzf" } } },
  "shuffle-gzip": { ext: "h5sc", options: { compression: { codec: "gzip", level: 1, shuffle: true } } },
  none: { ext: "h5sc", options: { compression: { codec: "none" } } },
};

function python(args, what, py = PY) {
  const r = spawnSync(py, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stderr}`);
  return r.stdout;
}

// Rewrites a slide's three TIFFs tiled + zlib (image as OME-TIFF) or uncompressed.
const CONVERT = `
import sys, tifffile
src, dst, kind = sys.argv[1:4]
opts = dict(tile=(512, 512), compression="zlib") if kind == "tiled" else {}
for name in ("image", "nucleus", "cytosol"):
    a = tifffile.imread(f"{src}/{name}.tif")
    extra = dict(ome=True, metadata={"axes": "CYX"}) if name == "image" else {}
    tifffile.imwrite(f"{dst}/{name}.tif", a, photometric="minisblack", **extra, **opts)
`;

// The issue slide's tiled TIFFs rewritten with LZW tiles and the predictor, or
// its image with JPEG 2000 tiles (the masks copied), by the "latest" peer (imagecodecs).
const TO_CODEC = `
import shutil, sys, tifffile
src, dst, kind = sys.argv[1:4]
for name in ("image", "nucleus", "cytosol"):
    if kind == "j2k" and name != "image":
        shutil.copy(f"{src}/{name}.tif", f"{dst}/{name}.tif")
        continue
    a = tifffile.imread(f"{src}/{name}.tif")
    extra = dict(ome=True, metadata={"axes": "CYX"}) if name == "image" else {}
    codec = dict(compression="jpeg2000") if kind == "j2k" else dict(compression="lzw", predictor=True)
    tifffile.imwrite(f"{dst}/{name}.tif", a, photometric="minisblack", tile=(512, 512), **codec, **extra)
`;

/** The slide `name` as { tiled, raw } directories of image.tif / nucleus.tif / cytosol.tif, the tiles' codec, the Python the reference runs with. */
function slide(name) {
  const files = (d) => ({ image: path.join(d, "image.tif"), nucleus: path.join(d, "nucleus.tif"), cytosol: path.join(d, "cytosol.tif") });
  if (name === "issue-lzw" || name === "issue-j2k") {
    const issue = slide("issue");
    const kind = name.slice("issue-".length);
    const copy = path.join(SLIDE_DIR, `cellfolio-bench-tiled-${name}`);
    if (!existsSync(path.join(copy, "cytosol.tif"))) {
      mkdirSync(copy, { recursive: true });
      python(["-c", TO_CODEC, path.dirname(issue.tiled.image), copy, kind], `${kind} copy`, LATEST);
    }
    return { tiled: files(copy), raw: issue.raw, codec: kind === "j2k" ? "J2K" : "LZW", py: LATEST };
  }
  const base = path.join(SLIDE_DIR, `cellfolio-bench-tiled-${name}`);
  const tiled = path.join(base, "tiled");
  const raw = path.join(base, "raw");
  if (!existsSync(path.join(raw, "cytosol.tif"))) {
    const t = performance.now();
    mkdirSync(tiled, { recursive: true });
    mkdirSync(raw, { recursive: true });
    if (name === "issue" || name === "issue-raster") {
      python([path.join(here, "make-tiled-slide.py"), tiled, ...(name === "issue-raster" ? ["--raster-ids"] : [])], "make-tiled-slide.py");
      python(["-c", CONVERT, tiled, raw, "raw"], "convert");
    } else {
      python([PEER, "make", raw, JSON.stringify({ cells: Number(name), channels: 3, spacing: 44, cols: 91 })], "extract_peer.py make");
      python(["-c", CONVERT, raw, tiled, "tiled"], "convert");
    }
    console.log(`made slide ${name} in ${((performance.now() - t) / 1000).toFixed(0)} s (${base})`);
  }
  return { tiled: files(tiled), raw: files(raw), codec: "zlib", py: PY };
}

function ours(files, out, extra = {}) {
  const options = { ...files, out, size: S, threads: THREADS, overwrite: true, ...extra };
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--ours", JSON.stringify(options)], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`ours failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function peer(files, out, py = PY) {
  const m = { ...files, out, params: { preset: "classic", size: S, border: "drop" }, compression: "gzip", cells: PEER_CELLS };
  const r = spawnSync(py, [PEER, "run", JSON.stringify(m)], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (r.status !== 0) throw new Error(`extract_peer.py run failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

/** Peak RSS (MB) of the whole `cellfolio extract` process tree: the largest child's, which the kernel reports with its descendants. */
function cliPeakRss(files, out) {
  const bin = path.join(root, "packages/cli/dist/bin.js");
  const args = ["extract", "--image", files.image, "--nucleus", files.nucleus, "--cytosol", files.cytosol, "--out", out, "--size", String(S), "--threads", String(THREADS), "--overwrite", "--quiet"];
  const code = `import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)`;
  return Number(python(["-c", code, process.execPath, bin, ...args], "cellfolio extract").trim());
}

const sameStacks = (a, b) =>
  python(
    [
      "-c",
      `import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["obsm/single_cell_images"]; b = h5py.File(sys.argv[2], "r")["obsm/single_cell_images"]
ok = a.shape == b.shape and all(np.array_equal(a[i:i + 512].view(np.uint16), b[i:i + 512].view(np.uint16)) for i in range(0, len(a), 512))
print("bitwise equal" if ok else "DIFFERENT")`,
      a,
      b,
    ],
    "compare",
  ).trim();

/** Seconds to read a whole output back: ours (child process) and the Python reader's. */
function readBack(file) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--read", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reading ${file} failed:\n${r.stderr}`);
  const oursS = JSON.parse(r.stdout.trim().split("\n").pop()).seconds;
  const zarr = file.endsWith(".zarr");
  const code = `import sys, time
${zarr ? "import zarr; a = zarr.open_array(sys.argv[1] + '/obsm/single_cell_images', mode='r')" : "import h5py; a = h5py.File(sys.argv[1], 'r')['obsm/single_cell_images']"}
best = 1e9
for _ in range(2):
    t = time.perf_counter()
    for s in range(0, a.shape[0], 256): a[s:s + 256]
    best = min(best, time.perf_counter() - t)
print(best)`;
  const py = zarr ? path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python") : PY;
  const pr = spawnSync(py, ["-c", code, file], { encoding: "utf8" });
  if (pr.status !== 0) throw new Error(`${py} reading ${file} failed:\n${pr.stderr}`);
  const theirs = Number(pr.stdout.trim());
  return { ours: oursS, theirs, peer: zarr ? "zarr-python 3" : "h5py" };
}
const sizeOf = (p) => Number(execSync(`du -sb ${JSON.stringify(p)}`, { encoding: "utf8" }).split("\t")[0]);

const load = () => execSync("uptime", { encoding: "utf8" }).trim().replace(/^.*load/, "load");
const fmt = (r) =>
  `${r.cells} cells in ${r.seconds.toFixed(2)} s = ${r.cellsPerSecond.toFixed(0)} cells/s (${(r.cellsPerSecond / Math.max(1, THREADS)).toFixed(0)} per core); first cell ${r.firstCell.toFixed(2)} s after start (plan ready ${r.planned.toFixed(2)} s; ${r.firstCellCpu.toFixed(2)} CPU seconds spent by then); peak RSS ${r.peakRssMb.toFixed(0)} MB; ${(r.cells / r.cpuSeconds).toFixed(0)} cells per CPU second, ${(r.cpuSeconds / r.total).toFixed(2)} cores busy`;

const work = path.join(tmpdir(), `cellfolio-bench-extract-tiled-${process.pid}`);
mkdirSync(work, { recursive: true });
try {
  console.log(`S = ${S}, preset classic, border drop, output .h5sc (gzip 1); ${THREADS} threads on ${availableParallelism()} cores; ${load()}`);
  const rss = {};
  const cliRss = {};
  for (const name of SLIDES) {
    const s = slide(name);
    console.log(`\nslide ${name}  [${load()}]`);
    const t = ours(s.tiled, path.join(work, `${name}-tiled.h5sc`));
    console.log(`  ours, tiled ${s.codec.padEnd(4)} OME-TIFF : ${fmt(t)}`);
    const u = ours(s.raw, path.join(work, `${name}-raw.h5sc`));
    console.log(`  ours, uncompressed TIFF   : ${fmt(u)}`);
    console.log(`  outputs (tiled vs uncompressed): ${sameStacks(path.join(work, `${name}-tiled.h5sc`), path.join(work, `${name}-raw.h5sc`))}`);
    rss[name] = t.peakRssMb;
    if (name === "5000" || name === "50000") {
      cliRss[name] = cliPeakRss(s.tiled, path.join(work, `${name}-cli.h5sc`));
      console.log(`  cellfolio extract (the CLI) : peak RSS ${cliRss[name].toFixed(0)} MB`);
      rmSync(path.join(work, `${name}-cli.h5sc`), { force: true });
    }
    if (PEER_CELLS !== 0) {
      const p = peer(s.tiled, path.join(work, `${name}-peer.h5sc`), s.py);
      console.log(
        `  NumPy reference (1 core)   : ${s.py === PY ? "" : "(the latest peer's Python) "}${p.cells} cells in ${p.seconds.toFixed(2)} s = ${p.cells_per_second.toFixed(1)} cells/s (${(p.cells / p.cpu_seconds).toFixed(1)} per CPU second), of which ${p.read_seconds.toFixed(2)} s reading the whole slide; peak RSS ${p.peak_rss_mb.toFixed(0)} MB`,
      );
      // The peer's rate without its whole-slide read (which a run of PEER_CELLS cells would not amortise): in its favour.
      const rate = p.cells / (p.seconds - p.read_seconds);
      console.log(
        `  ratio ours tiled / NumPy   : ${(t.cellsPerSecond / rate).toFixed(1)}x total, ${(t.cellsPerSecond / Math.max(1, THREADS) / rate).toFixed(1)}x per core (ours end to end; the reference's ${rate.toFixed(1)} cells/s without its read); ${(t.cells / t.cpuSeconds / (p.cells / p.cpu_seconds)).toFixed(1)}x per CPU second  [${load()}]`,
      );
    }
    rmSync(path.join(work, `${name}-raw.h5sc`), { force: true });
    if (name.startsWith("issue") && OUTPUTS.length) {
      const show = (label, r, file) => {
        const bytes = sizeOf(file);
        const back = readBack(file);
        const mb = (r.cells * 5 * S * S * 2) / 1e6;
        console.log(
          `  ${label.padEnd(27)}: ${r.cellsPerSecond.toFixed(0)} cells/s, ${(r.cells / r.cpuSeconds).toFixed(0)} per CPU second; ${(bytes / 1e6).toFixed(1)} MB (ratio ${(mb / (bytes / 1e6)).toFixed(2)}); read back ${(mb / back.ours).toFixed(0)} MB/s, ${back.peer} ${(mb / back.theirs).toFixed(0)} MB/s (${(back.theirs / back.ours).toFixed(2)}x)`,
        );
      };
      console.log("  outputs from the tiled slide (extraction end to end; size; whole-array read back, blocks of 256 cells, best of 2):");
      show(".h5sc gzip 1 run-length", t, path.join(work, `${name}-tiled.h5sc`));
      for (const o of OUTPUTS) {
        const spec = OUTPUT_OPTIONS[o];
        if (!spec) throw new Error(`OUTPUTS: unknown "${o}"; expected ${ALL_OUTPUTS.join(", ")} or all`);
        const file = path.join(work, `${name}-${o}.${spec.ext}`);
        const r = ours(s.tiled, file, spec.options);
        show(o === "zarr3" ? "Zarr v3 sharded blosc lz4" : `.h5sc ${o}`, r, file);
        rmSync(file, { recursive: true, force: true });
      }
    }
  }
  if (rss["5000"] && rss["50000"]) {
    console.log(`\npeak RSS, tiled: 5,000 cells ${rss["5000"].toFixed(0)} MB, 50,000 cells ${rss["50000"].toFixed(0)} MB (same width; the library in a plain node)`);
    console.log(`peak RSS, tiled, cellfolio extract: 5,000 cells ${cliRss["5000"].toFixed(0)} MB, 50,000 cells ${cliRss["50000"].toFixed(0)} MB (ratio ${(cliRss["50000"] / cliRss["5000"]).toFixed(2)})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
