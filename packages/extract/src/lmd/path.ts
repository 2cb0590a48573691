// The order the shapes of one well are cut in: as listed ("none"), along a
// Hilbert curve through the shapes' centres ("hilbert"), or greedily to the
// nearest centre not cut yet ("greedy"). Centres are [row0, col0, row1, ...].
import type { PathOptimization } from "./options.js";

/** Sum of the distances between consecutive centres in `order`. */
export function pathLength(centres: Float64Array, order: ArrayLike<number>): number {
  let len = 0;
  for (let i = 1; i < order.length; i++) {
    const a = order[i - 1];
    const b = order[i];
    len += Math.hypot(centres[2 * b] - centres[2 * a], centres[2 * b + 1] - centres[2 * a + 1]);
  }
  return len;
}

/** numpy's round: halves to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Distance along the Hilbert curve of order p of grid point (a, b); a is the first axis, as the hilbertcurve package takes points. */
export function hilbertDistance(p: number, a: number, b: number): number {
  const n = 2 ** p;
  let x = a;
  let y = b;
  let d = 0;
  for (let s = n / 2; s >= 1; s /= 2) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      const t = x;
      x = y;
      y = t;
    }
  }
  return d;
}

/**
 * Centres scaled per axis onto the curve's 2^p x 2^p grid (min to 0, max to
 * 2^p - 1) and rounded; cut in the order of the curve, ties in listed order.
 */
export function hilbertOrder(centres: Float64Array, p: number): Int32Array {
  const n = centres.length / 2;
  const top = 2 ** p - 1;
  let min0 = Infinity;
  let max0 = -Infinity;
  let min1 = Infinity;
  let max1 = -Infinity;
  for (let i = 0; i < n; i++) {
    min0 = Math.min(min0, centres[2 * i]);
    max0 = Math.max(max0, centres[2 * i]);
    min1 = Math.min(min1, centres[2 * i + 1]);
    max1 = Math.max(max1, centres[2 * i + 1]);
  }
  const scale = (v: number, lo: number, hi: number) => (hi > lo ? roundHalfEven(((v - lo) / (hi - lo)) * top) : 0);
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = hilbertDistance(p, scale(centres[2 * i], min0, max0), scale(centres[2 * i + 1], min1, max1));
  const order = Int32Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => key[a] - key[b] || a - b);
}

/**
 * From the first centre, always on to the nearest centre not cut yet (found
 * on a grid of buckets, searched ring by ring until no nearer one can exist).
 */
export function greedyOrder(centres: Float64Array): Int32Array {
  const n = centres.length / 2;
  const order = new Int32Array(n);
  if (n === 0) return order;
  let y0 = Infinity;
  let x0 = Infinity;
  let y1 = -Infinity;
  let x1 = -Infinity;
  for (let i = 0; i < n; i++) {
    y0 = Math.min(y0, centres[2 * i]);
    y1 = Math.max(y1, centres[2 * i]);
    x0 = Math.min(x0, centres[2 * i + 1]);
    x1 = Math.max(x1, centres[2 * i + 1]);
  }
  const side = Math.max(1e-9, Math.sqrt(((y1 - y0 + 1) * (x1 - x0 + 1)) / n));
  const gh = Math.floor((y1 - y0) / side) + 1;
  const gw = Math.floor((x1 - x0) / side) + 1;
  const buckets: number[][] = Array.from({ length: gh * gw }, () => []);
  const gy = (i: number) => Math.floor((centres[2 * i] - y0) / side);
  const gx = (i: number) => Math.floor((centres[2 * i + 1] - x0) / side);
  for (let i = 0; i < n; i++) buckets[gy(i) * gw + gx(i)].push(i);
  const used = new Uint8Array(n);
  let cur = 0;
  for (let k = 0; k < n; k++) {
    order[k] = cur;
    used[cur] = 1;
    const bucket = buckets[gy(cur) * gw + gx(cur)];
    bucket.splice(bucket.indexOf(cur), 1);
    if (k === n - 1) break;
    const cy = centres[2 * cur];
    const cx = centres[2 * cur + 1];
    const by = gy(cur);
    const bx = gx(cur);
    let best = -1;
    let bestD = Infinity;
    for (let ring = 0; ring < Math.max(gh, gw); ring++) {
      // Every centre in ring r + 1 or beyond is at least r * side away.
      if (best >= 0 && bestD <= ring * side) break;
      for (let yy = by - ring; yy <= by + ring; yy++) {
        if (yy < 0 || yy >= gh) continue;
        const edge = yy === by - ring || yy === by + ring;
        for (let xx = bx - ring; xx <= bx + ring; xx += edge || ring === 0 ? 1 : 2 * ring) {
          if (xx < 0 || xx >= gw) continue;
          for (const j of buckets[yy * gw + xx]) {
            const dd = Math.hypot(centres[2 * j] - cy, centres[2 * j + 1] - cx);
            if (dd < bestD || (dd === bestD && j < best)) {
              bestD = dd;
              best = j;
            }
          }
        }
      }
    }
    cur = best;
  }
  return order;
}

export function cutOrder(centres: Float64Array, method: PathOptimization, hilbertP: number): Int32Array {
  if (method === "hilbert" && centres.length > 2) return hilbertOrder(centres, hilbertP);
  if (method === "greedy") return greedyOrder(centres);
  return Int32Array.from({ length: centres.length / 2 }, (_, i) => i);
}
