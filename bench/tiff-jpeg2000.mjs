#!/usr/bin/env node
// TIFF JPEG 2000 tiles decoded alone, one core: OpenJPEG compiled to
// WebAssembly (@cellfolio/extract's decodeJpeg2000, what the TIFF reader
// uses on its threads) and imagecodecs' jpeg2k_decode (OpenJPEG in C, the
// "latest" Python peer, what tifffile uses; one thread) on the same tile
// bytes, in the same run. The tiles are those of a slide as 10x Xenium's
// morphology images and tifffile write them: 512 x 512, lossless, of a uint16
// fluorescence channel (smooth stain, cells, noise).
//   npm run build && node bench/tiff-jpeg2000.mjs        (REPEAT: passes over the tiles, default 3)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeJpeg2000, loadJpeg2000, readTiffPages } from "@cellfolio/extract";

const PY = path.join(process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers", "latest/bin/python");
const REPEAT = Number(process.env.REPEAT ?? 3);
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-bench-j2k-"));

const PEER = `
import json, sys, time, numpy as np, tifffile, imagecodecs
d, repeat = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
H = W = 2048
y, x = np.mgrid[0:H, 0:W]
stain = 3000 + 1500 * np.sin(y / 150) * np.cos(x / 190)
for k in range(1, 1500):
    cy, cx, r = rng.integers(0, H), rng.integers(0, W), rng.integers(6, 14)
    y0, y1, x0, x1 = max(cy - r, 0), min(cy + r, H), max(cx - r, 0), min(cx + r, W)
    blob = (y[y0:y1, x0:x1] - cy) ** 2 + (x[y0:y1, x0:x1] - cx) ** 2 < r * r
    stain[y0:y1, x0:x1][blob] += 8000
image = np.clip(stain + rng.normal(0, 120, (H, W)), 0, 65535).astype(np.uint16)
tifffile.imwrite(f"{d}/image.tif", image, tile=(512, 512), compression="jpeg2000", photometric="minisblack")
with tifffile.TiffFile(f"{d}/image.tif") as tf:
    p = tf.pages[0]
    assert np.array_equal(p.asarray(), image)
    fh = tf.filehandle
    tiles = []
    for o, n in zip(p.dataoffsets, p.databytecounts):
        fh.seek(o)
        tiles.append(fh.read(n))
for t in tiles: imagecodecs.jpeg2k_decode(t, numthreads=1)
t0 = time.perf_counter()
for _ in range(repeat):
    for t in tiles: imagecodecs.jpeg2k_decode(t, numthreads=1)
size = 512 * 512 * 2
print(json.dumps({"imagecodecs": imagecodecs.__version__, "mbps": repeat * len(tiles) * size / 1e6 / (time.perf_counter() - t0), "tiles": len(tiles), "compressed": sum(map(len, tiles)), "size": size}))
`;

try {
  const res = spawnSync(PY, ["-c", PEER, dir, String(REPEAT)], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`the "latest" Python peer (${PY}): ${res.stderr}`);
  const theirs = JSON.parse(res.stdout.trim().split("\n").pop());
  await loadJpeg2000();
  const file = readFileSync(path.join(dir, "image.tif"));
  const readAt = async (o, n) => new Uint8Array(file.buffer, file.byteOffset + o, Math.min(n, file.length - o));
  const [p] = await readTiffPages(readAt);
  const tiles = Array.from(p.offsets, (o, i) => new Uint8Array(file.buffer, file.byteOffset + o, p.byteCounts[i]));
  const { size } = theirs;
  for (const t of tiles) decodeJpeg2000(t, size, 512, 512, 16); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < REPEAT; r++) for (const t of tiles) decodeJpeg2000(t, size, 512, 512, 16);
  const ours = (REPEAT * tiles.length * size) / 1e6 / ((performance.now() - t0) / 1000);
  console.log(`TIFF JPEG 2000 decode, one core, ${REPEAT} passes; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.table([
    {
      tiles: `uint16 stain + noise, ${tiles.length} x ${size / 1024} KB, lossless, ratio ${((tiles.length * size) / theirs.compressed).toFixed(2)}`,
      "WebAssembly MB/s": ours.toFixed(1),
      [`imagecodecs ${theirs.imagecodecs} MB/s`]: theirs.mbps.toFixed(1),
      "WebAssembly / imagecodecs": (ours / theirs.mbps).toFixed(2),
    },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
