// Two quantiles of n values with numpy's default "linear" method, without a sort.
// 0.001 and 0.999 of 16,384 values depend only on the 18 smallest and 18 largest
// values: two short sorted lists take every value below / above their current
// bound (a compare per value; inserts are rare). Quantiles further from the
// ends (lists longer than MAX_LIST) fall back to quickselect on a copy.

const MAX_LIST = 96;

export class QuantileSelector {
  private n = 0;
  private q0 = 0;
  private q1 = 1;
  private kLo = 0;
  private kHi = 0;
  private nLo = 0;
  private nHi = 0;
  private low = new Float64Array(MAX_LIST);
  private high = new Float64Array(MAX_LIST);
  private lowMax = Number.POSITIVE_INFINITY;
  private highMin = Number.NEGATIVE_INFINITY;
  private buffer: Float64Array | null = null;
  private nBuf = 0;
  private useBuffer = false;
  private pushed = 0;

  /** Start on n values for quantiles q0 <= q1. */
  reset(n: number, q0: number, q1: number): void {
    this.n = n;
    this.q0 = q0;
    this.q1 = q1;
    const [kLo, kHi] = listLengths(n, q0, q1);
    this.kLo = kLo;
    this.kHi = kHi;
    this.nLo = 0;
    this.nHi = 0;
    this.lowMax = Number.POSITIVE_INFINITY;
    this.highMin = Number.NEGATIVE_INFINITY;
    this.pushed = 0;
    this.useBuffer = this.kLo > MAX_LIST || this.kHi > MAX_LIST;
    if (this.useBuffer) {
      if (!this.buffer || this.buffer.length < n) this.buffer = new Float64Array(n);
      this.nBuf = 0;
    }
  }

  private pushOne(v: number): void {
    if (this.useBuffer) {
      (this.buffer as Float64Array)[this.nBuf++] = v;
      return;
    }
    if (v < this.lowMax || this.nLo < this.kLo) this.insertLow(v);
    if (v > this.highMin || this.nHi < this.kHi) this.insertHigh(v);
  }

  private insertLow(v: number): void {
    const low = this.low;
    const k = this.kLo;
    let j = this.nLo < k ? this.nLo++ : k - 1;
    while (j > 0 && low[j - 1] > v) {
      low[j] = low[j - 1];
      j--;
    }
    low[j] = v;
    if (this.nLo === k) this.lowMax = low[k - 1];
  }

  private insertHigh(v: number): void {
    const high = this.high;
    const k = this.kHi;
    let j = this.nHi < k ? this.nHi++ : k - 1;
    while (j > 0 && high[j - 1] < v) {
      high[j] = high[j - 1];
      j--;
    }
    high[j] = v;
    if (this.nHi === k) this.highMin = high[k - 1];
  }

  /** Add `count` zeros (the pixels of a crop outside the image or the support). */
  pushZeros(count: number): void {
    this.pushed += count;
    if (this.useBuffer) {
      (this.buffer as Float64Array).fill(0, this.nBuf, this.nBuf + count);
      this.nBuf += count;
      return;
    }
    const m = Math.min(count, Math.max(this.kLo, this.kHi));
    for (let i = 0; i < m; i++) this.pushOne(0);
  }

  /** Add values[start .. end). */
  push(values: ArrayLike<number>, start: number, end: number): void {
    this.pushed += end - start;
    if (this.useBuffer) {
      const b = this.buffer as Float64Array;
      let j = this.nBuf;
      for (let i = start; i < end; i++) b[j++] = values[i];
      this.nBuf = j;
      return;
    }
    // Fill both lists first, then the common case is two compares per value.
    let i = start;
    while (i < end && (this.nLo < this.kLo || this.nHi < this.kHi)) this.pushOne(values[i++]);
    let lowMax = this.lowMax;
    let highMin = this.highMin;
    for (; i < end; i++) {
      const v = values[i];
      if (v < lowMax || v > highMin) {
        // rare: the value is among the most extreme so far
        if (v < lowMax) this.insertLow(v);
        if (v > highMin) this.insertHigh(v);
        lowMax = this.lowMax;
        highMin = this.highMin;
      }
    }
  }

  /** Add `rows` rows of `cols` values, row r starting at values[start + r * stride]. */
  pushRows(values: ArrayLike<number>, start: number, stride: number, rows: number, cols: number): void {
    if (rows <= 0 || cols <= 0) return;
    if (this.useBuffer || cols < 2) {
      for (let r = 0; r < rows; r++) this.push(values, start + r * stride, start + r * stride + cols);
      return;
    }
    // the first row fills the lists (as push does), the rest run the tight loop
    this.push(values, start, start + cols);
    if (this.nLo < this.kLo || this.nHi < this.kHi) {
      for (let r = 1; r < rows; r++) this.push(values, start + r * stride, start + r * stride + cols);
      return;
    }
    this.pushed += (rows - 1) * cols;
    // Integer pixels compare against integer bounds: small-integer compares, no
    // conversion to double per value (lists are full here, so bounds are finite).
    const ints = values instanceof Uint16Array || values instanceof Uint8Array;
    for (let r = 1; r < rows; r++) {
      const end = start + r * stride + cols;
      let i = start + r * stride;
      for (;;) {
        i = ints
          ? firstOutsideInt(values as Uint16Array, i, end, this.lowMax | 0, this.highMin | 0)
          : firstOutside(values, i, end, this.lowMax, this.highMin);
        if (i >= end) break;
        const v = values[i++];
        if (v < this.lowMax) this.insertLow(v);
        if (v > this.highMin) this.insertHigh(v);
      }
    }
  }

  /** [quantile(q0), quantile(q1)] of the n values pushed. */
  result(out: Float64Array | number[]): void {
    if (this.pushed !== this.n) throw new Error(`QuantileSelector: ${this.pushed} values pushed, expected ${this.n}`);
    const n = this.n;
    const p0 = (n - 1) * this.q0;
    const p1 = (n - 1) * this.q1;
    if (this.useBuffer) {
      const b = this.buffer as Float64Array;
      out[0] = lerpAt(b, n, p0);
      out[1] = lerpAt(b, n, p1);
      return;
    }
    listsResult(this.low, this.high, n, this.q0, this.q1, out);
  }
}

/** Lengths of the lists of the smallest and largest values that quantiles q0 <= q1 of n values need. */
export function listLengths(n: number, q0: number, q1: number): [number, number] {
  const i0 = Math.floor((n - 1) * q0);
  const i1 = Math.floor((n - 1) * q1);
  return [Math.min(n, i0 + 2), Math.min(n, n - i1)];
}

/** Lists longer than this are not kept: the values are selected from a copy instead. */
export const MAX_QUANTILE_LIST = MAX_LIST;

/**
 * [quantile(q0), quantile(q1)] of n values from the full, sorted lists of
 * their smallest (ascending) and largest (descending) values.
 */
export function listsResult(low: ArrayLike<number>, high: ArrayLike<number>, n: number, q0: number, q1: number, out: Float64Array | number[]): void {
  const p0 = (n - 1) * q0;
  const p1 = (n - 1) * q1;
  const i0 = Math.floor(p0);
  out[0] = lerp(low[i0], low[Math.min(i0 + 1, n - 1)], p0 - i0);
  const i1 = Math.floor(p1);
  // rank i (ascending) is high[n - 1 - i]
  out[1] = lerp(high[n - 1 - i1], high[Math.max(n - 2 - i1, 0)], p1 - i1);
}

/** Index of the first value in [i, end) below lo or above hi, or end: the hot loop. */
function firstOutside(values: ArrayLike<number>, i: number, end: number, lo: number, hi: number): number {
  for (; i < end; i++) {
    const v = values[i];
    if (v < lo || v > hi) return i;
  }
  return end;
}

/** firstOutside for integer pixels and integer bounds. */
function firstOutsideInt(values: Uint16Array | Uint8Array, i: number, end: number, lo: number, hi: number): number {
  for (; i < end; i++) {
    const v = values[i];
    if (v < lo || v > hi) return i;
  }
  return end;
}

/** numpy's _lerp: a + (b - a) t, computed from b's side when t >= 0.5. */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

function lerpAt(b: Float64Array, n: number, p: number): number {
  const i = Math.floor(p);
  const a = select(b, 0, n - 1, i);
  if (i + 1 >= n) return a;
  // after select, everything right of i is >= b[i]: the next rank is their minimum
  let m = Number.POSITIVE_INFINITY;
  for (let j = i + 1; j < n; j++) if (b[j] < m) m = b[j];
  return lerp(a, m, p - i);
}

/** Hoare quickselect: puts the k-th smallest of a[lo..hi] at a[k] and returns it. */
function select(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as pivot
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Convenience: numpy.quantile(values, [q0, q1]) (linear). */
export function quantiles(values: ArrayLike<number>, q0: number, q1: number): [number, number] {
  const s = new QuantileSelector();
  s.reset(values.length, q0, q1);
  s.push(values, 0, values.length);
  const out = [0, 0];
  s.result(out);
  return [out[0], out[1]];
}
