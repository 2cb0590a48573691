#!/usr/bin/env node
// Writing a kerchunk reference file of a ~1 GB .h5sc: seconds, and bytes read
// of the file against its size (only metadata and the chunk index are read,
// never chunk data). The file is made by h5py (the "latest" peer) as
// scPortrait writes one: float16 (N, 5, 128, 128) in chunks (1, 1, 128, 128),
// lzf (scPortrait's default; kerchunk's HDF5 scanner refuses it, so no peer
// writes references of this file to compare with), plus obs and the anndata
// attributes. Then the references are read back by openStore and a few cells
// compared with our HDF5 reader's.
//
//   npm run build && node bench/reference.mjs
//   BENCH_CELLS=2000 node bench/reference.mjs     (a quick run, ~120 MB)
//
// Env: BENCH_CELLS (default 16000: ~1 GB stored), BENCH_CODEC (lzf | gzip,
// default lzf), BENCH_DIR (work dir; removed at the end), BENCH_PYTHON
// (default the latest peer's python).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cells = Number(process.env.BENCH_CELLS ?? 16000);
const codec = process.env.BENCH_CODEC ?? "lzf";
const python = process.env.BENCH_PYTHON ?? `${process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers"}/latest/bin/python`;
const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "cellfolio-bench-refs-"));
const file = path.join(dir, "big.h5sc");

const MAKE = `
import sys, numpy as np, h5py
path, n, codec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(1)
yy, xx = np.mgrid[:128, :128]
with h5py.File(path, "w") as f:
    f.attrs["encoding-type"] = "anndata"; f.attrs["encoding-version"] = "0.1.0"
    obs = f.create_group("obs"); obs.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index", "column-order": ["scportrait_cell_id"]})
    obs.create_dataset("_index", data=np.array([str(i) for i in range(n)], dtype=object), dtype=h5py.string_dtype()).attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    obs.create_dataset("scportrait_cell_id", data=np.arange(1, n + 1, dtype=np.uint64)).attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
    obsm = f.create_group("obsm"); obsm.attrs.update({"encoding-type": "dict", "encoding-version": "0.1.0"})
    kw = {"compression": "gzip", "compression_opts": 1} if codec == "gzip" else {"compression": "lzf"}
    d = obsm.create_dataset("single_cell_images", shape=(n, 5, 128, 128), dtype="f2", chunks=(1, 1, 128, 128), **kw)
    d.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
    for s in range(0, n, 256):
        m = min(256, n - s)
        r = rng.integers(30, 60, size=m)[:, None, None]
        disk = ((yy - 64) ** 2 + (xx - 64) ** 2 < r ** 2)
        block = np.empty((m, 5, 128, 128), np.float16)
        block[:, 0] = disk; block[:, 1] = disk
        block[:, 2:] = (rng.random((m, 3, 128, 128), dtype=np.float32) * disk[:, None]).astype(np.float16)
        d[s:s + m] = block
`;

console.log(`making ${cells} cells (5 x 128 x 128 float16, ${codec}) with h5py ...`);
const made = spawnSync(python, ["-c", MAKE, file, String(cells), codec], { stdio: "inherit" });
if (made.status !== 0) throw new Error("h5py could not write the file");
const size = statSync(file).size;

const { openSource } = await import(path.join(ROOT, "packages/hdf5/dist/node.js"));
const { hdf5References, stringifyReferences, openStore } = await import(path.join(ROOT, "packages/format/dist/node.js"));

// The file as a ByteSource that counts what is read of it.
const inner = await openSource(file);
let bytesRead = 0;
let reads = 0;
const counting = {
  name: inner.name,
  size: () => inner.size(),
  read: async (offset, length) => {
    reads++;
    bytesRead += length;
    return inner.read(offset, length);
  },
  close: () => inner.close?.(),
};

const t0 = performance.now();
const { references, summary } = await hdf5References(counting, { target: "big.h5sc" });
const text = stringifyReferences(references);
writeFileSync(path.join(dir, "big.json"), text);
const seconds = (performance.now() - t0) / 1000;

// read back: cells through the references equal to our HDF5 reader's
const viaRefs = await openStore(path.join(dir, "big.json"));
const direct = await openStore(file);
let same = true;
for (const row of [0, Math.floor(cells / 2), cells - 1]) {
  const a = await viaRefs.readBlock("obsm/single_cell_images", [row, 0, 0, 0], [1, 5, 128, 128]);
  const b = await direct.readBlock("obsm/single_cell_images", [row, 0, 0, 0], [1, 5, 128, 128]);
  same &&= Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}
await viaRefs.close();
await direct.close();

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`file            ${mb(size)} (${summary.referenced} chunks by reference, ${summary.inlined} inline)`);
console.log(`references      ${seconds.toFixed(2)} s, ${mb(text.length)} of JSON`);
console.log(`bytes read      ${mb(bytesRead)} in ${reads} reads = ${((100 * bytesRead) / size).toFixed(3)}% of the file`);
console.log(`read back       ${same ? "cells equal to our HDF5 reader's" : "MISMATCH"}`);
console.log(`load average    ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
rmSync(dir, { recursive: true, force: true });
if (!same) process.exit(1);
