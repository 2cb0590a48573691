#!/usr/bin/env node
// TIFF tiles decoded alone, one core, against imagecodecs (C, the "latest"
// Python peer, what tifffile uses; one thread) on the same tile bytes, in
// the same run:
// - LZW: @cellfolio/codecs' WebAssembly decoder (what the TIFF reader uses)
//   and its JavaScript reference (@cellfolio/extract's lzwDecode) against
//   lzw_decode, on tiles as bfconvert -compression LZW or tifffile writes
//   them: 512 x 512 with the horizontal predictor (not undone here: the same
//   cost on both sides), of a uint16 fluorescence channel (smooth stain,
//   cells, noise) and of a uint32 label mask;
// - JPEG 2000: OpenJPEG compiled to WebAssembly (@cellfolio/extract's
//   decodeJpeg2000, what the reader runs on its threads) against
//   jpeg2k_decode (OpenJPEG in C), on the same channel as lossless 512 x 512
//   tiles, as 10x Xenium's morphology images and tifffile write them.
//   npm run build && node bench/tiff-codecs.mjs        (REPEAT: passes over the tiles, default 5)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { kernels } from "@cellfolio/codecs";
import { decodeJpeg2000, loadJpeg2000, lzwDecode, readTiffPages } from "@cellfolio/extract";

const PY = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const REPEAT = Number(process.env.REPEAT ?? 5);
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-bench-tiff-"));

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
lzw = dict(compression="lzw", predictor=True)
for name, a, codec, decode in (("image-lzw", image, lzw, lambda t, buf: imagecodecs.lzw_decode(t, out=buf)),
                               ("mask-lzw", mask, lzw, lambda t, buf: imagecodecs.lzw_decode(t, out=buf)),
                               ("image-j2k", image, dict(compression="jpeg2000"), lambda t, buf: imagecodecs.jpeg2k_decode(t, numthreads=1))):
    tifffile.imwrite(f"{d}/{name}.tif", a, tile=(512, 512), photometric="minisblack", **codec)
    with tifffile.TiffFile(f"{d}/{name}.tif") as tf:
        p = tf.pages[0]
        assert np.array_equal(p.asarray(), a), name
        fh = tf.filehandle
        tiles = []
        for o, n in zip(p.dataoffsets, p.databytecounts):
            fh.seek(o)
            tiles.append(fh.read(n))
    size = 512 * 512 * a.itemsize
    buf = bytearray(size)
    for t in tiles: decode(t, buf)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for t in tiles: decode(t, buf)
    out[name] = {"mbps": repeat * len(tiles) * size / 1e6 / (time.perf_counter() - t0), "tiles": len(tiles), "compressed": sum(map(len, tiles)), "size": size}
print(json.dumps({"imagecodecs": imagecodecs.__version__, "tiles": out}))
`;

try {
  const res = spawnSync(PY, ["-c", PEER, dir, String(REPEAT)], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`the "latest" Python peer (${PY}): ${res.stderr}`);
  const theirs = JSON.parse(res.stdout.trim().split("\n").pop());
  const k = kernels();
  await loadJpeg2000();
  const rows = [];
  for (const [name, what] of [
    ["image-lzw", "LZW, uint16 stain + noise"],
    ["mask-lzw", "LZW, uint32 labels"],
    ["image-j2k", "JPEG 2000 lossless, uint16 stain + noise"],
  ]) {
    const file = readFileSync(path.join(dir, `${name}.tif`));
    const readAt = async (o, n) => new Uint8Array(file.buffer, file.byteOffset + o, Math.min(n, file.length - o));
    const [p] = await readTiffPages(readAt);
    const tiles = Array.from(p.offsets, (o, i) => new Uint8Array(file.buffer, file.byteOffset + o, p.byteCounts[i]));
    const { size, compressed } = theirs.tiles[name];
    const dst = new Uint8Array(size);
    const time = (fn) => {
      for (const t of tiles) fn(t); // warm-up (and tier-up)
      const t0 = performance.now();
      for (let r = 0; r < REPEAT; r++) for (const t of tiles) fn(t);
      return (REPEAT * tiles.length * size) / 1e6 / ((performance.now() - t0) / 1000);
    };
    const j2k = name.endsWith("j2k");
    const wasm = j2k ? time((t) => decodeJpeg2000(t, size, 512, 512, p.bits)) : time((t) => k.lzwDecode(t, dst));
    const js = j2k ? null : time((t) => lzwDecode(t, size));
    const peer = theirs.tiles[name].mbps;
    rows.push({
      tiles: `${what}, ${tiles.length} x ${size / 1024} KB, ratio ${((tiles.length * size) / compressed).toFixed(2)}`,
      "WebAssembly MB/s": wasm.toFixed(wasm < 100 ? 1 : 0),
      "JS reference MB/s": js === null ? "-" : js.toFixed(0),
      [`imagecodecs ${theirs.imagecodecs} MB/s`]: peer.toFixed(peer < 100 ? 1 : 0),
      "WebAssembly / imagecodecs": (wasm / peer).toFixed(2),
    });
  }
  console.log(`TIFF tile decode, one core, ${REPEAT} passes; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
