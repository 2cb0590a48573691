// Gaussian blur of a binary mask, as scipy.ndimage.gaussian_filter(mask.astype(float),
// sigma, mode="nearest", truncate=4.0) computes it, but only on the support: the
// mask's box grown by the kernel radius (the blur is exactly 0 further out).
// Pass 1 (along rows) runs over the binary runs of each row with a cumulative
// kernel table: two lookups and a subtract per pixel. Pass 2 (along columns) is
// a real convolution over the pass-1 rows, with "nearest" folded into the taps
// of the first / last row when the support touches the plane's edge.
import { growRect, isEmpty, type Rect } from "./rect.js";

export class GaussianKernel {
  readonly radius: number;
  /** weights[k + radius], k in [-radius, radius], normalised as scipy does. */
  readonly weights: Float64Array;
  /** cum[t + offset] = sum of weights[k] for k <= t; 0 below -radius, total above radius. */
  readonly cum: Float64Array;
  readonly offset: number;
  readonly total: number;

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
  const w = k.weights;
  const sx0 = support.x0;
  const sx1 = support.x1;
  // Pass 1: rows of the box, columns of the support.
  for (let y = box.y0; y < box.y1; y++) {
    const row = y * width;
    tmp.fill(0, row + sx0, row + sx1);
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
      for (let xx = xa; xx < xb; xx++) tmp[row + xx] += cum[hi - xx] - cum[lo - xx];
    }
  }
  // Pass 2: every support row gathers the pass-1 rows within the radius.
  const topEdge = box.y0 === 0;
  const bottomEdge = box.y1 === height;
  for (let y = support.y0; y < support.y1; y++) {
    const orow = y * width;
    out.fill(0, orow + sx0, orow + sx1);
    const i0 = Math.max(box.y0, y - r);
    const i1 = Math.min(box.y1, y + r + 1);
    for (let i = i0; i < i1; i++) {
      let c = w[i - y + r];
      if (i === 0 && topEdge) c += cum[-y - 1 + off]; // taps above row 0
      if (i === height - 1 && bottomEdge) c += k.total - cum[height - 1 - y + off]; // taps below the last row
      const irow = i * width;
      for (let x = sx0; x < sx1; x++) out[orow + x] += c * tmp[irow + x];
    }
  }
  return support;
}
