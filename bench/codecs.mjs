// The byte codecs alone, on one core: @cellfolio/codecs (WebAssembly built
// from AssemblyScript) against numcodecs (c-blosc, liblz4; Debian 12) in the
// same run, on the float16 cell chunks of bench/zarr-io (64 cells of
// 5 x 128 x 128, 160 KB each). numcodecs' blosc runs without threads, as our
// kernels do: a per-core comparison (the Zarr readers and writers spread
// chunks over cores on both sides). Decodes into a fresh buffer count its
// allocation (page faults on this VM); into a reused one they are the codec alone.
// Deflate's run-length form (the .h5sc default: one 32 KB plane a stream) is
// compared with zlib's own Z_RLE at level 1 twice, node:zlib (Chromium's
// zlib, SIMD) and Python's zlib module (the system libz h5py links).
//   npm run build
//   node bench/codecs.mjs           (BENCH_MB: bytes coded per measurement, default 512)
//   CELLS=masked node bench/codecs.mjs   (every channel zero outside the cell, as extraction writes them)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { kernels, lz4Bound } from "@cellfolio/codecs";
import { CELL_ELEMS, cellPool, POOL } from "./cell-pool.mjs";

const TOTAL = Number(process.env.BENCH_MB ?? 512) * 1e6;
const ROW = CELL_ELEMS;
const CH = ROW * 2;
const MASKED = process.env.CELLS === "masked";
const pool = cellPool({ masked: MASKED }); // the cells of bench/zarr-io.mjs (masked: as an extraction writes them)
const raw = new Uint8Array(pool.buffer);
const chunks = Array.from({ length: POOL }, (_, p) => raw.subarray(p * CH, (p + 1) * CH));
const passes = Math.max(1, Math.round(TOTAL / raw.length));
const k = kernels();

function time(fn) {
  fn(); // warm-up pass
  const t = performance.now();
  for (let i = 0; i < passes; i++) fn();
  return (passes * raw.length) / 1e6 / ((performance.now() - t) / 1000);
}
const shuffled = chunks.map((c) => k.shuffleBytes(c, 2));
const blosc = chunks.map((c) => k.bloscEncodeLz4(c, 2, true, 256 * 1024, 5));
const lz4 = shuffled.map((c) => {
  const out = new Uint8Array(lz4Bound(c.length));
  return out.slice(0, k.lz4EncodeBlock(c, out, 1));
});
const tmp = new Uint8Array(CH);
const PLANE = 128 * 128 * 2;
const planes = chunks.flatMap((c) => Array.from({ length: CH / PLANE }, (_, i) => c.subarray(i * PLANE, (i + 1) * PLANE)));
const size = (fn) => planes.reduce((n, p) => n + fn(p).length, 0);
const deflate = {
  ours: time(() => {
    for (const p of planes) k.deflateRle(p);
  }),
  node: time(() => {
    for (const p of planes) zlib.deflateSync(p, { level: 1, strategy: zlib.constants.Z_RLE });
  }),
  oursBytes: size((p) => k.deflateRle(p)),
  nodeBytes: size((p) => zlib.deflateSync(p, { level: 1, strategy: zlib.constants.Z_RLE })),
};
const ours = {
  "blosc lz4 shuffle encode": time(() => {
    for (const c of chunks) k.bloscEncodeLz4(c, 2, true, 256 * 1024, 5);
  }),
  "blosc lz4 shuffle decode": time(() => {
    for (const b of blosc) k.bloscDecode(b);
  }),
  "lz4 encode": time(() => {
    const out = new Uint8Array(lz4Bound(CH));
    for (const c of shuffled) k.lz4EncodeBlock(c, out, 1);
  }),
  "blosc lz4 shuffle decode into a reused buffer": time(() => {
    for (const b of blosc) k.bloscDecodeInto(b, tmp);
  }),
  "lz4 decode (into a reused buffer)": time(() => {
    for (const b of lz4) k.lz4DecodeBlock(b, tmp);
  }),
  "shuffle (2 bytes)": time(() => {
    for (const c of chunks) k.shuffleBytes(c, 2, tmp);
  }),
  "unshuffle (2 bytes)": time(() => {
    for (const c of shuffled) k.unshuffle(c, tmp, 2);
  }),
};

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-bench-codecs-"));
let theirs;
try {
  writeFileSync(path.join(dir, "cells.bin"), raw);
  const res = spawnSync(
    "/usr/bin/python3",
    [
      "-c",
      `
import json, sys, time, numpy as np, numcodecs
from numcodecs import Blosc, LZ4, Shuffle
numcodecs.blosc.use_threads = False
raw = np.fromfile(sys.argv[1], dtype="<f2")
chunks = [raw[i * ${ROW}:(i + 1) * ${ROW}] for i in range(${POOL})]
passes, total = ${passes}, raw.nbytes
bl = Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE)
lz, sh = LZ4(acceleration=1), Shuffle(2)
def t(fn):
    fn()
    t0 = time.perf_counter()
    for _ in range(passes): fn()
    return passes * total / 1e6 / (time.perf_counter() - t0)
enc = [bl.encode(c) for c in chunks]
shu = [sh.encode(c) for c in chunks]
lze = [lz.encode(s) for s in shu]
o = np.empty(${ROW}, dtype="<f2")
out = {
  "blosc lz4 shuffle encode": t(lambda: [bl.encode(c) for c in chunks]),
  "blosc lz4 shuffle decode": t(lambda: [bl.decode(e) for e in enc]),
  "lz4 encode": t(lambda: [lz.encode(s) for s in shu]),
  "blosc lz4 shuffle decode into a reused buffer": t(lambda: [bl.decode(e, out=o) for e in enc]),
  "lz4 decode (into a reused buffer)": t(lambda: [lz.decode(e, out=o) for e in lze]),
  "shuffle (2 bytes)": t(lambda: [sh.encode(c) for c in chunks]),
  "unshuffle (2 bytes)": t(lambda: [sh.decode(s) for s in shu]),
}
import zlib
planes = [c[i * 16384:(i + 1) * 16384].tobytes() for c in chunks for i in range(${ROW} // 16384)]
def rle(p):
    z = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return z.compress(p) + z.flush()
zl = {"mbps": t(lambda: [rle(p) for p in planes]), "bytes": sum(len(rle(p)) for p in planes), "version": zlib.ZLIB_RUNTIME_VERSION}
print(json.dumps({"numcodecs": numcodecs.__version__, "mbps": out, "zlib": zl}))
`,
      path.join(dir, "cells.bin"),
    ],
    { encoding: "utf8" },
  );
  if (res.status !== 0) throw new Error(res.stderr);
  theirs = JSON.parse(res.stdout.trim().split("\n").pop());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`codecs: ${POOL} float16 cell chunks of ${CH / 1024} KB${MASKED ? " masked (zero outside the cell)" : ""}, ${passes} passes (${((passes * raw.length) / 1e6).toFixed(0)} MB) per measurement, one core each`);
console.table(
  Object.keys(ours).map((op) => ({
    op,
    "cellfolio MB/s": ours[op].toFixed(0),
    [`numcodecs ${theirs.numcodecs} MB/s`]: theirs.mbps[op].toFixed(0),
    ratio: (ours[op] / theirs.mbps[op]).toFixed(2),
  })),
);
console.log(`deflate, run-length parse, level 1, one ${PLANE / 1024} KB plane a zlib stream (the .h5sc chunk), one core:`);
console.table([
  { coder: "cellfolio deflateRle (WebAssembly)", "MB/s": deflate.ours.toFixed(0), ratio: (raw.length / deflate.oursBytes).toFixed(3), "cellfolio / this": "1.00" },
  { coder: `node:zlib ${process.versions.zlib} Z_RLE`, "MB/s": deflate.node.toFixed(0), ratio: (raw.length / deflate.nodeBytes).toFixed(3), "cellfolio / this": (deflate.ours / deflate.node).toFixed(2) },
  { coder: `Python zlib ${theirs.zlib.version} Z_RLE`, "MB/s": theirs.zlib.mbps.toFixed(0), ratio: (raw.length / theirs.zlib.bytes).toFixed(3), "cellfolio / this": (deflate.ours / theirs.zlib.mbps).toFixed(2) },
]);
