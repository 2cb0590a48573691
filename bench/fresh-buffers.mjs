#!/usr/bin/env node
// What a block read into a fresh array pays before any decoding: 2 GB filled
// as fresh 5 MB blocks (a read of 32 cells of 5 x 128 x 128 float16, as
// bench/zarr-io reads) against one reused block, in Node (Buffer.allocUnsafeSlow,
// what readBlock allocates), in Node with glibc's malloc asked for huge pages
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc >= 2.35), and in NumPy
// (np.empty, what zarr-python and tensorstore hand back), in the same run.
// The difference between fresh and reused is the page faults of new memory;
// NumPy madvises huge pages for arrays of 4 MB and more, which is why its
// fresh arrays cost little where transparent huge pages are in "madvise" mode.
//   node bench/fresh-buffers.mjs          (ROUNDS: default 3, the median is reported)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BLOCK = 32 * 5 * 128 * 128 * 2;
const BLOCKS = Math.round(2e9 / BLOCK);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// Child mode: ms for fresh and reused blocks, medians of ROUNDS alternating.
if (process.argv[2] === "--child") {
  const reused = Buffer.allocUnsafeSlow(BLOCK);
  const t = { fresh: [], reused: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ["fresh", "reused"]) {
      const t0 = performance.now();
      for (let i = 0; i < BLOCKS; i++) (kind === "fresh" ? Buffer.allocUnsafeSlow(BLOCK) : reused).fill(i & 255);
      t[kind].push(performance.now() - t0);
    }
  }
  console.log(JSON.stringify({ fresh: median(t.fresh), reused: median(t.reused) }));
  process.exit(0);
}

const PY = `
import json, sys, time, numpy as np
block, blocks, rounds = (int(a) for a in sys.argv[1:4])
reused = np.empty(block // 2, np.uint16)
t = {"fresh": [], "reused": []}
for r in range(rounds):
    for kind in ("fresh", "reused"):
        t0 = time.perf_counter()
        for i in range(blocks):
            (np.empty(block // 2, np.uint16) if kind == "fresh" else reused).fill(i & 255)
        t[kind].append((time.perf_counter() - t0) * 1000)
print(json.dumps({k: sorted(v)[len(v) // 2] for k, v in t.items()} | {"numpy": np.__version__}))
`;

const self = fileURLToPath(import.meta.url);
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
};
const thp = existsSync("/sys/kernel/mm/transparent_hugepage/enabled") ? readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8").trim() : "unknown";
const peers = process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers";
const python = ["zarr-fast", "latest"].map((p) => path.join(peers, p, "bin/python")).find(existsSync) ?? "/usr/bin/python3";

const rows = [
  { label: "Node, Buffer.allocUnsafeSlow", ...run(process.execPath, [self, "--child"]) },
  { label: "Node, GLIBC_TUNABLES=glibc.malloc.hugetlb=1", ...run(process.execPath, [self, "--child"], { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" }) },
];
const np = run(python, ["-c", PY, String(BLOCK), String(BLOCKS), String(ROUNDS)]);
rows.push({ label: `NumPy ${np.numpy} np.empty`, fresh: np.fresh, reused: np.reused });
console.log(`${BLOCKS} blocks of ${(BLOCK / 2 ** 20).toFixed(0)} MiB (2 GB) filled, fresh against one reused; medians of ${ROUNDS} rounds; transparent huge pages: ${thp}`);
console.table(
  rows.map((r) => ({
    label: r.label,
    "fresh ms": r.fresh.toFixed(0),
    "reused ms": r.reused.toFixed(0),
    "fresh costs ms": (r.fresh - r.reused).toFixed(0),
    "fresh / NumPy's fresh": (r.fresh / np.fresh).toFixed(2),
  })),
);
