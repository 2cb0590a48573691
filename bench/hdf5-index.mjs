// The memory a large chunk index takes while written: a (N, 5, 4, 4) uint16
// dataset, chunks (1, 1, 4, 4) (5 chunks a cell, as an .h5sc's image stack
// has), cells written one at a time in random order (as an extraction whose
// ids are in random order writes them): the chunks are tiny, so the index is
// what the writer holds. @cellfolio/hdf5 against h5py (Debian 12's
// /usr/bin/python3), each in its own process: peak RSS, seconds, and the
// close alone; h5py reads our file back and checks every cell's first value.
// Then our file is read back by each, as a viewer or a loader reads it: the
// first cell after opening, and 1,000 cells at random (time and peak RSS).
//
//   npx turbo run build --filter=@cellfolio/hdf5
//   node bench/hdf5-index.mjs            (BENCH_CELLS, default 1,000,000: 5 million chunks)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CELLS = Number(process.env.BENCH_CELLS ?? 1_000_000);
const SEED = 7;

/** The order cells are written in: a permutation from a fixed LCG (the same on both sides). */
function permutation(n) {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let s = SEED;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

if (process.argv[2] === "--ours") {
  const { Hdf5Writer } = await import("@cellfolio/hdf5/node");
  const out = process.argv[3];
  const perm = permutation(CELLS);
  const t0 = performance.now();
  const w = await Hdf5Writer.create(out, { overwrite: true });
  const d = w.createDataset("x", { shape: [CELLS, 5, 4, 4], type: { class: "int", size: 2, signed: false }, chunks: [1, 1, 4, 4] });
  const block = new Uint16Array(5 * 16);
  for (let i = 0; i < CELLS; i++) {
    block[0] = perm[i] & 0xffff;
    await d.write([perm[i], 0, 0, 0], [1, 5, 4, 4], block);
  }
  const t1 = performance.now();
  const beforeClose = process.resourceUsage().maxRSS / 1024;
  await w.close();
  const t2 = performance.now();
  console.log(JSON.stringify({ seconds: (t2 - t0) / 1000, close: (t2 - t1) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, beforeClose }));
  process.exit(0);
}

if (process.argv[2] === "--read") {
  // Reading it back as a viewer or a data loader does: one cell, then 1,000 at random.
  const { openHdf5File } = await import("@cellfolio/hdf5/node");
  const t0 = performance.now();
  const f = await openHdf5File(process.argv[3]);
  const x = await f.dataset("x");
  const first = await x.read([123_456 % CELLS, 0, 0, 0], [1, 5, 4, 4]);
  const t1 = performance.now();
  let bad = first[0] === (123_456 % CELLS) % 65536 ? 0 : 1;
  for (let k = 0; k < 1000; k++) {
    const i = (k * 7919 + 13) % CELLS;
    if ((await x.read([i, 0, 0, 0], [1, 5, 4, 4]))[0] !== i % 65536) bad++;
  }
  const t2 = performance.now();
  await f.close();
  console.log(JSON.stringify({ firstMs: t1 - t0, perReadMs: (t2 - t1) / 1000, bad, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const PEER_READ = `
import json, resource, sys, time
import h5py
path, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
x = h5py.File(path, "r")["x"]
first = x[123456 % n]
t1 = time.perf_counter()
bad = 0 if first[0, 0, 0] == (123456 % n) % 65536 else 1
for k in range(1000):
    i = (k * 7919 + 13) % n
    bad += x[i][0, 0, 0] != i % 65536
t2 = time.perf_counter()
print(json.dumps({"firstMs": (t1 - t0) * 1000, "perReadMs": (t2 - t1), "bad": int(bad), "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

const PEER = `
import json, resource, sys, time
import h5py, numpy as np
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
perm = np.arange(n, dtype=np.uint32)
s = seed
for i in range(n - 1, 0, -1):
    s = (s * 1103515245 + 12345) & 0xFFFFFFFF
    j = s % (i + 1)
    perm[i], perm[j] = perm[j], perm[i]
block = np.zeros((5, 4, 4), np.uint16)
t0 = time.perf_counter()
f = h5py.File(out, "w")
d = f.create_dataset("x", shape=(n, 5, 4, 4), dtype="<u2", chunks=(1, 1, 4, 4))
for i in perm.tolist():
    block[0, 0, 0] = i & 0xFFFF
    d[i] = block
t1 = time.perf_counter()
f.close()
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t0, "close": t2 - t1, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "h5py": h5py.__version__}))
`;
const CHECK = `
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1], "r")["x"]
first = np.concatenate([x[s:s + 65536, 0, 0, 0] for s in range(0, len(x), 65536)])
print("ok" if len(x) == int(sys.argv[2]) and (first == (np.arange(len(x)) & 0xFFFF)).all() else "DIFFERENT")
`;

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-bench-index-"));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} failed:\n${r.stderr}`);
  return r.stdout.trim().split("\n").pop();
};
try {
  const ours = JSON.parse(run(process.execPath, [fileURLToPath(import.meta.url), "--ours", path.join(dir, "ours.h5")]));
  const check = run("/usr/bin/python3", ["-c", CHECK, path.join(dir, "ours.h5"), String(CELLS)]);
  const oursRead = JSON.parse(run(process.execPath, [fileURLToPath(import.meta.url), "--read", path.join(dir, "ours.h5")]));
  const peerRead = JSON.parse(run("/usr/bin/python3", ["-c", PEER_READ, path.join(dir, "ours.h5"), String(CELLS)]));
  const peer = JSON.parse(run("/usr/bin/python3", ["-c", PEER, path.join(dir, "peer.h5"), String(CELLS), String(SEED)]));
  const row = (label, r) =>
    `  ${label.padEnd(22)}: ${r.seconds.toFixed(1)} s (close ${r.close.toFixed(1)} s), peak RSS ${r.peakRssMb.toFixed(0)} MB${r.beforeClose ? ` (${r.beforeClose.toFixed(0)} MB before the close)` : ""}`;
  console.log(`${CELLS.toLocaleString("en")} cells, ${(5 * CELLS).toLocaleString("en")} chunks of (1, 1, 4, 4) uint16, cells in random order, one write a cell`);
  console.log(row("@cellfolio/hdf5", ours));
  console.log(row(`h5py ${peer.h5py}`, peer));
  console.log(`  our file read by h5py: ${check}; peak RSS ratio ours / h5py ${(ours.peakRssMb / peer.peakRssMb).toFixed(2)}`);
  const readRow = (label, r) =>
    `  ${label.padEnd(22)}: open + first cell ${r.firstMs.toFixed(1)} ms, then ${(r.perReadMs * 1000).toFixed(0)} us a cell (1,000 at random${r.bad ? `, ${r.bad} WRONG` : ""}), peak RSS ${r.peakRssMb.toFixed(0)} MB`;
  console.log("reading our file back, one process each:");
  console.log(readRow("@cellfolio/hdf5", oursRead));
  console.log(readRow("h5py", peerRead));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
