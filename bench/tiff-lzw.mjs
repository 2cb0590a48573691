#!/usr/bin/env node
// TIFF LZW tiles decoded alone, one core: @cellfolio/codecs' WebAssembly
// decoder (what the TIFF reader uses), its JavaScript reference
// (@cellfolio/extract's lzwDecode) and imagecodecs' lzw_decode (C, the
// "latest" Python peer, what tifffile uses) on the same tile bytes, in the
// same run. The tiles are those of a slide as bfconvert -compression LZW or
// tifffile writes it: 512 x 512, with the horizontal predictor, of a uint16
// fluorescence channel (smooth stain, cells, noise) and of a uint32 label
// mask. The predictor is not undone here (the same cost on both sides).
//   npm run build && node bench/tiff-lzw.mjs        (REPEAT: passes over the tiles, default 5)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { kernels } from "@cellfolio/codecs";
import { lzwDecode, readTiffPages } from "@cellfolio/extract";

const PY = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const REPEAT = Number(process.env.REPEAT ?? 5);
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-bench-lzw-"));

const PEER = `
import json, sys, time, numpy as np, tifffile, imagecodecs
d, repeat = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
H = W = 2048
y, x = np.mgrid[0:H, 0:W]
stain = 3000 + 1500 * np.sin(y / 150) * np.cos(x / 190)
mask = np.zeros((H, W), np.uint32)
for k in range(1, 1500):
    cy, cx, r = rng.integers(0, H), rng.integers(0, W), rng.integers(6, 14)
    y0, y1, x0, x1 = max(cy - r, 0), min(cy + r, H), max(cx - r, 0), min(cx + r, W)
    blob = (y[y0:y1, x0:x1] - cy) ** 2 + (x[y0:y1, x0:x1] - cx) ** 2 < r * r
    mask[y0:y1, x0:x1][blob] = k
    stain[y0:y1, x0:x1][blob] += 8000
image = np.clip(stain + rng.normal(0, 120, (H, W)), 0, 65535).astype(np.uint16)
out = {}
for name, a in (("image", image), ("mask", mask)):
    tifffile.imwrite(f"{d}/{name}.tif", a, tile=(512, 512), compression="lzw", predictor=True, photometric="minisblack")
    with tifffile.TiffFile(f"{d}/{name}.tif") as tf:
        p = tf.pages[0]
        fh = tf.filehandle
        tiles = []
        for o, n in zip(p.dataoffsets, p.databytecounts):
            fh.seek(o)
            tiles.append(fh.read(n))
    size = 512 * 512 * a.itemsize
    buf = bytearray(size)
    for t in tiles: imagecodecs.lzw_decode(t, out=buf)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for t in tiles: imagecodecs.lzw_decode(t, out=buf)
    out[name] = {"mbps": repeat * len(tiles) * size / 1e6 / (time.perf_counter() - t0), "tiles": len(tiles), "compressed": sum(map(len, tiles)), "size": size}
print(json.dumps({"imagecodecs": imagecodecs.__version__, "tiles": out}))
`;

try {
  const res = spawnSync(PY, ["-c", PEER, dir, String(REPEAT)], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`the "latest" Python peer (${PY}): ${res.stderr}`);
  const theirs = JSON.parse(res.stdout.trim().split("\n").pop());
  const k = kernels();
  const rows = [];
  for (const name of ["image", "mask"]) {
    const file = readFileSync(path.join(dir, `${name}.tif`));
    const readAt = async (o, n) => new Uint8Array(file.buffer, file.byteOffset + o, Math.min(n, file.length - o));
    const [p] = await readTiffPages(readAt);
    const tiles = Array.from(p.offsets, (o, i) => new Uint8Array(file.buffer, file.byteOffset + o, p.byteCounts[i]));
    const { size } = theirs.tiles[name];
    const dst = new Uint8Array(size);
    const time = (fn) => {
      for (const t of tiles) fn(t); // warm-up (and tier-up)
      const t0 = performance.now();
      for (let r = 0; r < REPEAT; r++) for (const t of tiles) fn(t);
      return (REPEAT * tiles.length * size) / 1e6 / ((performance.now() - t0) / 1000);
    };
    const wasm = time((t) => k.lzwDecode(t, dst));
    const js = time((t) => lzwDecode(t, size));
    const peer = theirs.tiles[name].mbps;
    const kind = name === "image" ? "uint16 stain + noise" : "uint32 labels";
    rows.push({ tiles: `${name} (${kind}), ${tiles.length} x ${size / 1024} KB, ratio ${((tiles.length * size) / theirs.tiles[name].compressed).toFixed(2)}`, "WebAssembly MB/s": wasm.toFixed(0), "JS reference MB/s": js.toFixed(0), [`imagecodecs ${theirs.imagecodecs} MB/s`]: peer.toFixed(0), "WebAssembly / imagecodecs": (wasm / peer).toFixed(2) });
  }
  console.log(`TIFF LZW decode, one core, ${REPEAT} passes; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
