// Label masks for the LMD tests and bench, made here so every case is known:
// discs on a jittered grid, a pair of touching cells, a ring (a cell with a
// hole), cells cut by each edge of the slide.

import type { ImageSource, PixelArray } from "../../src/index.js";
import { rng as mulberry32 } from "../kernels/synthetic-slide.js";

export interface TestMask {
  height: number;
  width: number;
  data: Uint32Array;
}

function disc(m: TestMask, id: number, cy: number, cx: number, r: number, inner = -1): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(m.height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(m.width - 1, Math.ceil(cx + r)); x++) {
      const d2 = (y - cy) ** 2 + (x - cx) ** 2;
      if (d2 <= r * r && d2 > inner * inner) m.data[y * m.width + x] = id;
    }
  }
}

/** The special cases: ids 1, 2 touching (two halves of a disc), 3 a ring, 4 / 5 / 6 cut by the top, left and bottom-right edges; 7.. plain discs. */
export function casesMask(): { mask: TestMask; plain: number[] } {
  const mask: TestMask = { height: 200, width: 240, data: new Uint32Array(200 * 240) };
  disc(mask, 1, 50, 60, 14);
  for (let y = 0; y < mask.height; y++) for (let x = 60; x < 80; x++) if (mask.data[y * mask.width + x] === 1) mask.data[y * mask.width + x] = 2;
  disc(mask, 3, 120, 60, 16, 6);
  disc(mask, 4, 4, 150, 12);
  disc(mask, 5, 150, 3, 11);
  disc(mask, 6, 195, 233, 13);
  const plain: number[] = [];
  let id = 7;
  for (const [cy, cx, r] of [
    [60, 130, 10],
    [110, 140, 12],
    [160, 100, 9],
    [60, 200, 11],
    [130, 200, 8],
  ]) {
    disc(mask, id, cy, cx, r);
    plain.push(id++);
  }
  return { mask, plain };
}

/** n cells on a jittered grid, radius 4..8, ids shuffled; the mask is just big enough. */
export function gridMask(n: number, spacing = 20, seed = 1): TestMask {
  const side = Math.ceil(Math.sqrt(n));
  const rand = mulberry32(seed);
  const height = side * spacing;
  const width = side * spacing;
  const mask: TestMask = { height, width, data: new Uint32Array(height * width) };
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  for (let k = 0; k < n; k++) {
    const gy = Math.floor(k / side);
    const gx = k % side;
    const r = 4 + rand() * 4;
    disc(mask, ids[k], gy * spacing + spacing / 2 + (rand() - 0.5) * 4, gx * spacing + spacing / 2 + (rand() - 0.5) * 4, r);
  }
  return mask;
}

/** The mask as an ImageSource read by window (what the readers of TIFF and Zarr files provide). */
export function memorySource(m: TestMask, name = "mask"): ImageSource {
  return {
    name,
    height: m.height,
    width: m.width,
    channels: 1,
    dtype: "uint32",
    async readWindow(y0: number, x0: number, h: number, w: number): Promise<PixelArray[]> {
      const out = new Uint32Array(h * w);
      for (let y = 0; y < h; y++) out.set(m.data.subarray((y0 + y) * m.width + x0, (y0 + y) * m.width + x0 + w), y * w);
      return [out];
    },
    async close() {},
  };
}
