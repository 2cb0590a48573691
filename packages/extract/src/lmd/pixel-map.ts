// A shape's pixels as a small map placed on the slide: `data[y * w + x]` is
// slide pixel (oy + y, ox + x). Built as py-lmd builds its per-shape map
// (a margin of 3 + the dilation radius around the pixels, never left of or
// above the slide's origin), so the same morphology gives the same pixels.
import { dilateDisk, erodeDisk, fillHoles } from "./morphology.js";

export interface PixelMap {
  data: Uint8Array;
  h: number;
  w: number;
  oy: number;
  ox: number;
}

const SAFETY = 3;

/** Bounds [y0, y1] x [x0, x1] of the set pixels of the maps (slide coordinates); undefined when none is set. */
export function setBounds(maps: PixelMap[]): [number, number, number, number] | undefined {
  let y0 = Infinity;
  let y1 = -Infinity;
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const m of maps) {
    for (let y = 0; y < m.h; y++) {
      const row = y * m.w;
      let first = -1;
      let last = -1;
      for (let x = 0; x < m.w; x++) {
        if (m.data[row + x]) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first < 0) continue;
      const gy = m.oy + y;
      if (gy < y0) y0 = gy;
      if (gy > y1) y1 = gy;
      if (m.ox + first < x0) x0 = m.ox + first;
      if (m.ox + last > x1) x1 = m.ox + last;
    }
  }
  return y0 === Infinity ? undefined : [y0, y1, x0, x1];
}

export interface Shaped {
  map: PixelMap;
  /** Mean (row, col) and number of the distinct pixels painted, before the morphology. */
  cy: number;
  cx: number;
  n: number;
}

/**
 * The union of `parts` painted on a fresh map, dilated by a disk of radius
 * `dilation`, eroded by one of radius `erosion`, holes filled.
 */
export function shapeOf(parts: PixelMap[], dilation: number, erosion: number): Shaped {
  const b = setBounds(parts);
  if (!b) throw new Error("shapeOf: no pixels");
  const oy = Math.max(b[0] - SAFETY - dilation, 0);
  const ox = Math.max(b[2] - SAFETY - dilation, 0);
  const h = b[1] - oy + 2 * SAFETY + dilation;
  const w = b[3] - ox + 2 * SAFETY + dilation;
  let data: Uint8Array = new Uint8Array(h * w);
  let sy = 0;
  let sx = 0;
  let n = 0;
  for (const m of parts) {
    for (let y = 0; y < m.h; y++) {
      const dst = (m.oy + y - oy) * w + (m.ox - ox);
      for (let x = 0; x < m.w; x++) {
        if (m.data[y * m.w + x] && !data[dst + x]) {
          data[dst + x] = 1;
          sy += m.oy + y;
          sx += m.ox + x;
          n++;
        }
      }
    }
  }
  const cy = sy / n;
  const cx = sx / n;
  if (dilation > 0) data = dilateDisk(data, h, w, dilation);
  if (erosion > 0) data = erodeDisk(data, h, w, erosion);
  fillHoles(data, h, w);
  return { map: { data, h, w, oy, ox }, cy, cx, n };
}

/** Whether two maps have a set pixel in common. */
export function intersects(a: PixelMap, b: PixelMap): boolean {
  const y0 = Math.max(a.oy, b.oy);
  const y1 = Math.min(a.oy + a.h, b.oy + b.h);
  const x0 = Math.max(a.ox, b.ox);
  const x1 = Math.min(a.ox + a.w, b.ox + b.w);
  for (let y = y0; y < y1; y++) {
    const ra = (y - a.oy) * a.w - a.ox;
    const rb = (y - b.oy) * b.w - b.ox;
    for (let x = x0; x < x1; x++) if (a.data[ra + x] && b.data[rb + x]) return true;
  }
  return false;
}
