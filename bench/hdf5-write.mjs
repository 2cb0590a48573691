// Writing a float16 image stack (N, 5, 128, 128), chunks (1, 1, 128, 128),
// with gzip 1, shuffle + gzip 1, lzf and no filter: @cellfolio/hdf5 against
// h5py (Debian 12's /usr/bin/python3) in the same run, on the same cells.
//
//   npx turbo run build --filter=@cellfolio/hdf5   (or npx tsup in packages/hdf5)
//   BENCH_GB=2 node bench/hdf5-write.mjs           (default 2 GB per codec)
//   BENCH_CODECS=lzf,none BENCH_GB=0.2 node bench/hdf5-write.mjs
//   BENCH_BIG=1 node bench/hdf5-write.mjs          (> 4 GB file, no filter;
//                                                   h5py checks its last chunk)
// Env: BENCH_GB, BENCH_CODECS, BENCH_BATCH (cells per write, 16), BENCH_DIR,
// BENCH_ROUNDS (default 3: both writers alternate, each round a fresh
// process; medians reported with the per-round ratios; this machine's
// figures move up to 2x between runs).
// Each writer runs in its own process, so peak RSS and CPU time are its own
// (CPU seconds, user + system, show the cost when other work shares the cores).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CELL = 5 * 128 * 128; // float16 values per cell
const CELL_BYTES = CELL * 2;
const DISTINCT = 64; // distinct cells, cycled

/** Cell-like float16 stacks: a smooth blob per channel with noise, zeros outside the cell, as extraction writes them. */
function makeCells() {
  const out = new Uint16Array(DISTINCT * CELL);
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const toHalf = (v) => {
    f32[0] = v;
    const x = u32[0];
    const e = ((x >>> 23) & 0xff) - 127 + 15;
    if (v === 0 || e <= 0) return 0;
    return ((x >>> 16) & 0x8000) | (e << 10) | ((x >>> 13) & 0x3ff);
  };
  for (let c = 0; c < DISTINCT; c++) {
    const cx = 64 + (rnd() - 0.5) * 20;
    const cy = 64 + (rnd() - 0.5) * 20;
    const r = 20 + rnd() * 25;
    for (let ch = 0; ch < 5; ch++) {
      const amp = 0.3 + rnd() * 0.7;
      for (let y = 0; y < 128; y++) {
        for (let x = 0; x < 128; x++) {
          const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r);
          const v = d2 > 1.4 ? 0 : Math.min(1, amp * Math.exp(-d2) + rnd() * 0.05);
          out[c * CELL + ch * 128 * 128 + y * 128 + x] = toHalf(v);
        }
      }
    }
  }
  return out;
}

async function child(args) {
  const { Hdf5Writer } = await import(path.join(HERE, "../packages/hdf5/dist/node.js"));
  const { readFileSync } = await import("node:fs");
  const raw = readFileSync(args.cells);
  const cells = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  const filters = { gzip: [{ id: "deflate", level: 1 }], "shuffle+gzip": [{ id: "shuffle" }, { id: "deflate", level: 1 }], lzf: [{ id: "lzf" }], none: [] }[args.codec];
  const t0 = performance.now();
  const w = await Hdf5Writer.create(args.out, { overwrite: true, concurrency: Number(process.env.BENCH_CONCURRENCY) || undefined, workers: Number(process.env.BENCH_WORKERS) || undefined });
  const d = w.createDataset("images", { shape: [args.n, 5, 128, 128], type: { class: "float", size: 2 }, chunks: [1, 1, 128, 128], filters });
  const block = new Uint16Array(args.batch * CELL);
  for (let start = 0; start < args.n; start += args.batch) {
    const m = Math.min(args.batch, args.n - start);
    for (let i = 0; i < m; i++) {
      const k = (start + i) % DISTINCT;
      block.set(cells.subarray(k * CELL, (k + 1) * CELL), i * CELL);
    }
    await d.write([start, 0, 0, 0], [m, 5, 128, 128], block.subarray(0, m * CELL));
  }
  await w.close();
  const seconds = (performance.now() - t0) / 1000;
  const ru = process.resourceUsage();
  console.log(JSON.stringify({ seconds, cpu_seconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6, max_rss_mb: ru.maxRSS / 1024 }));
}

function runOurs(args) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", JSON.stringify(args)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

function runH5py(args) {
  const res = spawnSync("/usr/bin/python3", [path.join(HERE, "hdf5_write_peer.py"), JSON.stringify(args)], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`h5py peer failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").pop());
}

async function main() {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "h5bench-"));
  try {
    const cellsPath = path.join(dir, "cells.f2");
    const cells = makeCells();
    writeFileSync(cellsPath, new Uint8Array(cells.buffer));
    const batch = Number(process.env.BENCH_BATCH ?? 16);
    if (process.env.BENCH_BIG) {
      // > 4 GB: addresses past 2^32; h5py must read the last chunk back equal
      const n = Math.ceil((4.3 * 2 ** 30) / CELL_BYTES);
      const out = path.join(dir, "big.h5");
      const r = runOurs({ cells: cellsPath, out, n, batch, codec: "none" });
      const size = statSync(out).size;
      const check = spawnSync(
        "/usr/bin/python3",
        [
          "-c",
          `import h5py, numpy as np, sys, json
f = h5py.File(sys.argv[1], "r"); d = f["images"]; n = d.shape[0]
cells = np.fromfile(sys.argv[2], dtype="<f2").reshape(-1, 5, 128, 128)
last = d[n - 1]; first = d[0]
info = d.id.get_chunk_info(d.id.get_num_chunks() - 1)
print(json.dumps({"n": n, "last_equal": bool((last.view("u2") == cells[(n - 1) % len(cells)].view("u2")).all()),
  "first_equal": bool((first.view("u2") == cells[0].view("u2")).all()), "last_chunk_offset": int(info.byte_offset)}))`,
          out,
          cellsPath,
        ],
        { encoding: "utf8" },
      );
      if (check.status !== 0) throw new Error(check.stderr);
      const c = JSON.parse(check.stdout.trim());
      console.log(JSON.stringify({ big: true, bytes: size, ...c, seconds: r.seconds, mb_s: (n * CELL_BYTES) / 2 ** 20 / r.seconds, max_rss_mb: r.max_rss_mb }));
      if (!c.last_equal || !c.first_equal || c.last_chunk_offset < 2 ** 32) process.exitCode = 1;
      return;
    }
    const gb = Number(process.env.BENCH_GB ?? 2);
    const n = Math.max(1, Math.round((gb * 2 ** 30) / CELL_BYTES));
    const codecs = (process.env.BENCH_CODECS ?? "gzip,shuffle+gzip,lzf,none").split(",");
    const mb = (n * CELL_BYTES) / 2 ** 20;
    const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
    const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    console.log(`float16 (${n}, 5, 128, 128), chunks (1, 1, 128, 128), ${mb.toFixed(0)} MB uncompressed, ${batch} cells per write; medians of ${rounds} rounds`);
    console.log("| codec | ours MB/s | h5py MB/s | ours / h5py | per round | ratio ours | ratio h5py | CPU s ours | CPU s h5py | RSS ours MB | RSS h5py MB |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const codec of codecs) {
      const oursOut = path.join(dir, `ours-${codec}.h5`);
      const pyOut = path.join(dir, `h5py-${codec}.h5`);
      const a = { cells: cellsPath, n, batch, codec };
      const ours = [];
      const h5 = [];
      let so = 0;
      let sp = 0;
      for (let r = 0; r < rounds; r++) {
        ours.push(runOurs({ ...a, out: oursOut }));
        h5.push(runH5py({ ...a, out: pyOut }));
        so = statSync(oursOut).size;
        sp = statSync(pyOut).size;
        rmSync(oursOut);
        rmSync(pyOut);
      }
      const mo = mb / median(ours.map((r) => r.seconds));
      const mp = mb / median(h5.map((r) => r.seconds));
      const perRound = ours.map((r, i) => (h5[i].seconds / r.seconds).toFixed(2)).join(" ");
      const m = (rs, k) => median(rs.map((r) => r[k]));
      console.log(
        `| ${codec} | ${mo.toFixed(0)} | ${mp.toFixed(0)} | ${(mo / mp).toFixed(2)} | ${perRound} | ${((n * CELL_BYTES) / so).toFixed(2)} | ${((n * CELL_BYTES) / sp).toFixed(2)} | ${m(ours, "cpu_seconds").toFixed(1)} | ${m(h5, "cpu_seconds").toFixed(1)} | ${Math.max(...ours.map((r) => r.max_rss_mb)).toFixed(0)} | ${Math.max(...h5.map((r) => r.max_rss_mb)).toFixed(0)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(JSON.parse(process.argv[3]));
else await main();
