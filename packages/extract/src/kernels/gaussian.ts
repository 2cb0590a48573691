// Gaussian blur of a binary mask, as scipy.ndimage.gaussian_filter(mask.astype(float),
// sigma, mode="nearest", truncate=4.0) computes it, but only on the support: the
// mask's box grown by the kernel radius (the blur is exactly 0 further out).
// Pass 1 (along rows) runs over the binary runs of each row with a cumulative
// kernel table: two lookups and a subtract per pixel. Pass 2 (along columns) is
// a real convolution over the pass-1 rows, with "nearest" folded into the taps
// of the first / last row when the support touches the plane's edge. Its sums
// are float32 (products and sums each rounded to float32, taps in increasing
// row order): the WebAssembly twin then sums four columns a vector, twice the
// lanes of float64 for the same bits, and a sum of at most 2r + 1 terms below
// 1 stays within ~1e-7 of scipy's float64, far below float16's step.
import { growRect, isEmpty, type Rect } from "./rect.js";

const PAD = 4;

export class GaussianKernel {
  readonly radius: number;
  /** weights[k + radius], k in [-radius, radius], normalised as scipy does. */
  readonly weights: Float64Array;
  /** cum[t + offset] = sum of weights[k] for k <= t; 0 below -radius, total above radius. */
  readonly cum: Float64Array;
  readonly offset: number;
  readonly total: number;
  /** weights rounded to float32 (pass 2's sums are float32), PAD zeros on both sides: padded[k + radius + PAD]. */
  readonly padded: Float32Array;

  /** A kernel usable on planes up to maxSide pixels on a side. */
  constructor(
    readonly sigma: number,
    readonly maxSide: number,
  ) {
    const r = Math.trunc(4 * sigma + 0.5);
    this.radius = r;
    const w = new Float64Array(2 * r + 1);
    let sum = 0;
    for (let k = -r; k <= r; k++) {
      w[k + r] = Math.exp((-0.5 / (sigma * sigma)) * k * k);
      sum += w[k + r];
    }
    for (let i = 0; i < w.length; i++) w[i] /= sum;
    this.weights = w;
    this.padded = new Float32Array(2 * r + 1 + 2 * PAD);
    this.padded.set(w, PAD);
    this.offset = maxSide + r + 2;
    const cum = new Float64Array(2 * this.offset + 1);
    let acc = 0;
    for (let t = -this.offset; t <= this.offset; t++) {
      if (t >= -r && t <= r) acc += w[t + r];
      cum[t + this.offset] = acc;
    }
    this.cum = cum;
    this.total = acc;
  }
}

/**
 * Blur the 0/1 bytes of `mask` (height x width, row-major), all of whose ones lie
 * in `box`, into `out` over the returned support (box grown by the radius,
 * clipped). `out` is written only inside that support; `tmp` is scratch of the
 * same size. Returns `support`.
 */
export function blurBinary(
  mask: Uint8Array,
  height: number,
  width: number,
  box: Rect,
  k: GaussianKernel,
  tmp: Float32Array,
  out: Float32Array,
  support: Rect,
): Rect {
  growRect(box, k.radius, height, width, support);
  if (isEmpty(box)) return support;
  const r = k.radius;
  const cum = k.cum;
  const off = k.offset;
  const sx0 = support.x0;
  const sx1 = support.x1;
  const y0 = box.y0;
  const y1 = box.y1;
  // Pass 1: rows of the box, columns of the support, written transposed
  // (tmp[x * height + y]) so that pass 2 reads each column contiguously.
  for (let x = sx0; x < sx1; x++) tmp.fill(0, x * height + y0, x * height + y1);
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    let x = box.x0;
    while (x < box.x1) {
      if (mask[row + x] === 0) {
        x++;
        continue;
      }
      const a = x;
      while (x < box.x1 && mask[row + x] !== 0) x++;
      // A run touching the edge continues beyond it under mode "nearest".
      const ae = a === 0 ? -r : a;
      const be = x === width ? width + r : x;
      const xa = Math.max(0, ae - r);
      const xb = Math.min(width, be + r);
      const hi = be - 1 + off;
      const lo = ae - 1 + off;
      for (let xx = xa; xx < xb; xx++) tmp[xx * height + y] += cum[hi - xx] - cum[lo - xx];
    }
  }
  // Pass 2: support pixels gather their column of pass-1 values within the
  // radius, in increasing row order, four rows at a time (one load feeds four
  // independent sums; the zero-padded weights make taps beyond the kernel
  // vanish), each product and sum rounded to float32. "nearest" adds the taps
  // beyond the first / last row (in float64, then rounded once).
  const f = Math.fround;
  const topEdge = y0 === 0;
  const bottomEdge = y1 === height;
  const total = k.total;
  const wp = k.padded;
  for (let x = sx0; x < sx1; x++) {
    const col = x * height;
    for (let y = support.y0; y < support.y1; y += 4) {
      const ia = Math.max(y0, y - r);
      const ib = Math.min(y1, y + 3 + r + 1);
      const wo = r + PAD - y - col; // wp index of tap (i - (y + j)) is i - y - j + r + PAD
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = col + ia; i < col + ib; i++) {
        const t = tmp[i];
        const b = wo + i;
        a0 = f(a0 + f(wp[b] * t));
        a1 = f(a1 + f(wp[b - 1] * t));
        a2 = f(a2 + f(wp[b - 2] * t));
        a3 = f(a3 + f(wp[b - 3] * t));
      }
      const n = Math.min(4, support.y1 - y);
      for (let j = 0; j < n; j++) {
        const yy = y + j;
        let acc = j === 0 ? a0 : j === 1 ? a1 : j === 2 ? a2 : a3;
        if (topEdge && yy < r) acc += cum[-yy - 1 + off] * tmp[col];
        if (bottomEdge && yy + r > height - 1) acc += (total - cum[height - 1 - yy + off]) * tmp[col + height - 1];
        out[yy * width + x] = acc;
      }
    }
  }
  return support;
}
