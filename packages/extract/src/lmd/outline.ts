// From a shape's pixels to the polygon the laser cuts, as py-lmd makes it:
// the points of the pixels' outline at half-pixel steps (pixel corners and
// the midpoints of the edges between pixel and background, i.e. the points
// scikit-image's find_boundaries(mode="subpixel") marks), in order along the
// outline; a circular moving average over them; then Ramer-Douglas-Peucker.
// Points are (row, col) in slide pixels, pixel centres on integers.
import type { PixelMap } from "./pixel-map.js";

// Directions as (dy, dx): east, south, west, north; a right turn is +1.
const DY = [0, 1, 0, -1];
const DX = [1, 0, -1, 0];

/**
 * The outline of the shape containing the map's first set pixel (row-major),
 * as [row0, col0, row1, col1, ...] in map coordinates, walked with the shape
 * on the right. Points outside the map (where the map was cut at the slide's
 * origin) are left out, as find_boundaries cannot mark them; the walk then
 * starts right after the gap, so the gap is the closing edge.
 */
export function traceOutline(m: PixelMap): Float64Array {
  const { data, h, w } = m;
  let start = -1;
  for (let i = 0; i < data.length; i++) {
    if (data[i]) {
      start = i;
      break;
    }
  }
  if (start < 0) return new Float64Array(0);
  const at = (y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? data[y * w + x] : 0);
  // Corner (Y, X) is the top-left corner of pixel (Y, X), at (Y - 0.5, X - 0.5).
  const sy = (start / w) | 0;
  const sx = start - sy * w;
  let y = sy;
  let x = sx;
  let d = 0;
  const pts: number[] = [];
  do {
    pts.push(y - 0.5, x - 0.5, y - 0.5 + DY[d] / 2, x - 0.5 + DX[d] / 2);
    y += DY[d];
    x += DX[d];
    // The pixels ahead-left and ahead-right of corner (y, x) when going d.
    let aly: number;
    let alx: number;
    let ary: number;
    let arx: number;
    if (d === 0) {
      [aly, alx, ary, arx] = [y - 1, x, y, x];
    } else if (d === 1) {
      [aly, alx, ary, arx] = [y, x, y, x - 1];
    } else if (d === 2) {
      [aly, alx, ary, arx] = [y, x - 1, y - 1, x - 1];
    } else {
      [aly, alx, ary, arx] = [y - 1, x - 1, y - 1, x];
    }
    if (!at(ary, arx)) d = (d + 1) & 3;
    else if (at(aly, alx)) d = (d + 3) & 3;
  } while (y !== sy || x !== sx || d !== 0);
  // Leave out points outside the map; start after a gap when there is one.
  const n = pts.length / 2;
  const inside = (k: number) => pts[2 * k] >= 0 && pts[2 * k + 1] >= 0 && pts[2 * k] <= h - 1 && pts[2 * k + 1] <= w - 1;
  let first = 0;
  for (let k = 0; k < n; k++) {
    if (!inside(k) && inside((k + 1) % n)) {
      first = (k + 1) % n;
      break;
    }
  }
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    const k = (first + j) % n;
    if (inside(k)) out.push(pts[2 * k], pts[2 * k + 1]);
  }
  return Float64Array.from(out);
}

/** Circular moving average of `k` points: out[i] = mean of pts[i - k + 1 .. i] (indices modulo n). */
export function smoothClosed(pts: Float64Array, k: number): Float64Array {
  const n = pts.length / 2;
  if (k <= 1 || n === 0) return pts.slice();
  const out = new Float64Array(2 * n);
  let sy = 0;
  let sx = 0;
  for (let j = 0; j < k; j++) {
    const q = (((-j) % n) + n) % n;
    sy += pts[2 * q];
    sx += pts[2 * q + 1];
  }
  for (let i = 0; i < n; i++) {
    out[2 * i] = sy / k;
    out[2 * i + 1] = sx / k;
    const add = (i + 1) % n;
    const drop = (((i + 1 - k) % n) + n) % n;
    sy += pts[2 * add] - pts[2 * drop];
    sx += pts[2 * add + 1] - pts[2 * drop + 1];
  }
  return out;
}

/**
 * Ramer-Douglas-Peucker on the open polyline `pts` (the first and last point
 * stay): a point is kept when it lies farther than `epsilon` from the line
 * through the ends of its span (distance to the line, as py-lmd measures).
 */
export function simplify(pts: Float64Array, epsilon: number): Float64Array {
  const n = pts.length / 2;
  if (n < 3) return pts.slice();
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const stack: number[] = [0, n - 1];
  while (stack.length) {
    const b = stack.pop() as number;
    const a = stack.pop() as number;
    if (b - a < 2) continue;
    const ay = pts[2 * a];
    const ax = pts[2 * a + 1];
    const ly = pts[2 * b] - ay;
    const lx = pts[2 * b + 1] - ax;
    const len = Math.hypot(ly, lx);
    let best = -1;
    let dmax = 0;
    for (let i = a + 1; i < b; i++) {
      const py = pts[2 * i] - ay;
      const px = pts[2 * i + 1] - ax;
      const dist = len === 0 ? Math.hypot(py, px) : Math.abs(ly * px - lx * py) / len;
      if (dist > dmax) {
        dmax = dist;
        best = i;
      }
    }
    if (dmax > epsilon) {
      keep[best] = 1;
      stack.push(a, best, best, b);
    }
  }
  let m = 0;
  for (let i = 0; i < n; i++) m += keep[i];
  const out = new Float64Array(2 * m);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i]) {
      out[j++] = pts[2 * i];
      out[j++] = pts[2 * i + 1];
    }
  }
  return out;
}

/** The cutting polygon of a shape's map, in slide (row, col) pixels. */
export function polygonOf(m: PixelMap, smoothing: number, epsilon: number): Float64Array {
  const poly = simplify(smoothClosed(traceOutline(m), smoothing), epsilon);
  for (let i = 0; i < poly.length; i += 2) {
    poly[i] += m.oy;
    poly[i + 1] += m.ox;
  }
  return poly;
}
