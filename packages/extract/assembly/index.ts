// The per-cell extraction kernels as WebAssembly with SIMD: the binary blur,
// hole filling, the disk dilation, the crop of a channel out of a band held here, the
// quantile selection's scan, the channel's normalise / clip / weight / min-max
// pass and the float32 -> float16 conversion. Each computes
// exactly what its JavaScript twin in src/ computes (same float64 operations
// in the same order per value), so the two give the same bits; the tests
// compare them. Memory is laid out by the JavaScript side (src/kernels/wasm.ts):
// every buffer comes in as an address, nothing is allocated here.

/** First free byte after the module's own data. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------
// Gaussian blur of a 0/1 mask (src/kernels/gaussian.ts: blurBinary).

/**
 * Pass 1 over the runs of the mask's rows inside the box (cumulative kernel
 * table `cum`, float64, index offset `off`) into `tmp` (float32, row-major,
 * `width` a row) over the support's columns.
 */
export function blurRows(
  mask: usize, height: i32, width: i32,
  by0: i32, by1: i32, bx0: i32, bx1: i32, sx0: i32, sx1: i32,
  r: i32, cum: usize, off: i32, tmp: usize,
): void {
  for (let y = by0; y < by1; y++) memory.fill(tmp + (<usize>(y * width + sx0) << 2), 0, <usize>(sx1 - sx0) << 2);
  for (let y = by0; y < by1; y++) {
    const row = mask + <usize>(y * width);
    const trow = tmp + (<usize>(y * width) << 2);
    let x = bx0;
    while (x < bx1) {
      if (load<u8>(row + x) == 0) {
        x++;
        continue;
      }
      const a = x;
      while (x < bx1 && load<u8>(row + x) != 0) x++;
      const ae = a == 0 ? -r : a;
      const be = x == width ? width + r : x;
      const xa = max(0, ae - r);
      const xb = min(width, be + r);
      const hi = be - 1 + off;
      const lo = ae - 1 + off;
      for (let xx = xa; xx < xb; xx++) {
        const p = trow + (<usize>xx << 2);
        const d = load<f64>(cum + (<usize>(hi - xx) << 3)) - load<f64>(cum + (<usize>(lo - xx) << 3));
        store<f32>(p, <f32>(<f64>load<f32>(p) + d));
      }
    }
  }
}

/**
 * Pass 2: every support pixel sums its column of pass-1 values within the
 * radius in float32, in increasing row order (as the JavaScript does): four
 * columns a vector, eight output rows a step, so one load of four pass-1
 * values feeds eight sums. `ws` holds the kernel's float32 weights, each
 * splat over a vector, zero-padded by `pad` (>= 7) on both sides (entry
 * k + r + pad for tap k). "nearest" adds the taps beyond the first / last row.
 */
export function blurColumns(
  height: i32, width: i32, by0: i32, by1: i32,
  sy0: i32, sy1: i32, sx0: i32, sx1: i32,
  r: i32, pad: i32, ws: usize, cum: usize, off: i32, total: f64,
  tmp: usize, out: usize,
): void {
  const topEdge = by0 == 0;
  const bottomEdge = by1 == height;
  const rowBytes = <usize>width << 2;
  if (sx1 - sx0 < 4) {
    // a support narrower than a vector: one column at a time, the same float32 sums
    for (let x = sx0; x < sx1; x++) {
      for (let y = sy0; y < sy1; y++) {
        let acc: f32 = 0;
        const ia = max(by0, y - r);
        const ib = min(by1, y + r + 1);
        for (let i = ia; i < ib; i++) {
          acc += load<f32>(ws + (<usize>(i - y + r + pad) << 4)) * load<f32>(tmp + <usize>i * rowBytes + (<usize>x << 2));
        }
        store<f32>(out + (<usize>(y * width + x) << 2), edgeTaps(height, width, x, y, r, cum, off, total, topEdge, bottomEdge, tmp, acc));
      }
    }
    return;
  }
  for (let x0 = sx0; x0 < sx1; x0 += 4) {
    // the last vector ends at sx1 (its columns already done are computed again, to the same values)
    const x = min(x0, sx1 - 4);
    const col = tmp + (<usize>x << 2);
    for (let y = sy0; y < sy1; y += 8) {
      const ia = max(by0, y - r);
      const ib = min(by1, y + 8 + r);
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let a4 = f32x4.splat(0);
      let a5 = f32x4.splat(0);
      let a6 = f32x4.splat(0);
      let a7 = f32x4.splat(0);
      // weight of row y + j at tap i: ws entry i - y - j + r + pad
      let wp = ws + (<usize>(ia - y + r + pad) << 4);
      let tp = col + <usize>ia * rowBytes;
      for (let i = ia; i < ib; i++) {
        const t = v128.load(tp);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(wp), t));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(wp - 16), t));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(wp - 32), t));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(wp - 48), t));
        a4 = f32x4.add(a4, f32x4.mul(v128.load(wp - 64), t));
        a5 = f32x4.add(a5, f32x4.mul(v128.load(wp - 80), t));
        a6 = f32x4.add(a6, f32x4.mul(v128.load(wp - 96), t));
        a7 = f32x4.add(a7, f32x4.mul(v128.load(wp - 112), t));
        wp += 16;
        tp += rowBytes;
      }
      const n = min(8, sy1 - y);
      storeRow(height, width, x, y, r, cum, off, total, topEdge, bottomEdge, tmp, a0, out);
      if (n > 1) storeRow(height, width, x, y + 1, r, cum, off, total, topEdge, bottomEdge, tmp, a1, out);
      if (n > 2) storeRow(height, width, x, y + 2, r, cum, off, total, topEdge, bottomEdge, tmp, a2, out);
      if (n > 3) storeRow(height, width, x, y + 3, r, cum, off, total, topEdge, bottomEdge, tmp, a3, out);
      if (n > 4) storeRow(height, width, x, y + 4, r, cum, off, total, topEdge, bottomEdge, tmp, a4, out);
      if (n > 5) storeRow(height, width, x, y + 5, r, cum, off, total, topEdge, bottomEdge, tmp, a5, out);
      if (n > 6) storeRow(height, width, x, y + 6, r, cum, off, total, topEdge, bottomEdge, tmp, a6, out);
      if (n > 7) storeRow(height, width, x, y + 7, r, cum, off, total, topEdge, bottomEdge, tmp, a7, out);
    }
  }
}

/** The float32 sum of column x, row y with the "nearest" taps beyond the edges added (float64, rounded once). */
@inline function edgeTaps(
  height: i32, width: i32, x: i32, y: i32, r: i32, cum: usize, off: i32, total: f64,
  topEdge: bool, bottomEdge: bool, tmp: usize, acc: f32,
): f32 {
  let v = <f64>acc;
  if (topEdge && y < r) v += load<f64>(cum + (<usize>(-y - 1 + off) << 3)) * <f64>load<f32>(tmp + (<usize>x << 2));
  if (bottomEdge && y + r > height - 1) {
    v += (total - load<f64>(cum + (<usize>(height - 1 - y + off) << 3))) * <f64>load<f32>(tmp + (<usize>((height - 1) * width + x) << 2));
  }
  return <f32>v;
}

/** Row y, columns x .. x + 3 of the output from their sums: stored as they are, or with the edge taps one at a time. */
@inline function storeRow(
  height: i32, width: i32, x: i32, y: i32, r: i32, cum: usize, off: i32, total: f64,
  topEdge: bool, bottomEdge: bool, tmp: usize, a: v128, out: usize,
): void {
  const p = out + (<usize>(y * width + x) << 2);
  if ((topEdge && y < r) || (bottomEdge && y + r > height - 1)) {
    store<f32>(p, edgeTaps(height, width, x, y, r, cum, off, total, topEdge, bottomEdge, tmp, f32x4.extract_lane(a, 0)));
    store<f32>(p, edgeTaps(height, width, x + 1, y, r, cum, off, total, topEdge, bottomEdge, tmp, f32x4.extract_lane(a, 1)), 4);
    store<f32>(p, edgeTaps(height, width, x + 2, y, r, cum, off, total, topEdge, bottomEdge, tmp, f32x4.extract_lane(a, 2)), 8);
    store<f32>(p, edgeTaps(height, width, x + 3, y, r, cum, off, total, topEdge, bottomEdge, tmp, f32x4.extract_lane(a, 3)), 12);
  } else v128.store(p, a);
}

// ---------------------------------------------------------------------------
// Quantile selection (src/kernels/quantile.ts: QuantileSelector): two sorted
// lists of the kLo smallest and kHi largest values (float64, at `low` /
// `high`); the scan compares four float32 values at a time against the
// lists' bounds and inserts the rare value beyond them.

let qLow: usize = 0;
let qHigh: usize = 0;
let qkLo = 0;
let qkHi = 0;
let qnLo = 0;
let qnHi = 0;
let qLowMax: f64 = Infinity;
let qHighMin: f64 = -Infinity;

export function qReset(low: usize, high: usize, kLo: i32, kHi: i32): void {
  qLow = low;
  qHigh = high;
  qkLo = kLo;
  qkHi = kHi;
  qnLo = 0;
  qnHi = 0;
  qLowMax = Infinity;
  qHighMin = -Infinity;
}

function insertLow(v: f64): void {
  const k = qkLo;
  let j = qnLo < k ? qnLo++ : k - 1;
  while (j > 0 && load<f64>(qLow + (<usize>(j - 1) << 3)) > v) {
    store<f64>(qLow + (<usize>j << 3), load<f64>(qLow + (<usize>(j - 1) << 3)));
    j--;
  }
  store<f64>(qLow + (<usize>j << 3), v);
  if (qnLo == k) qLowMax = load<f64>(qLow + (<usize>(k - 1) << 3));
}

function insertHigh(v: f64): void {
  const k = qkHi;
  let j = qnHi < k ? qnHi++ : k - 1;
  while (j > 0 && load<f64>(qHigh + (<usize>(j - 1) << 3)) < v) {
    store<f64>(qHigh + (<usize>j << 3), load<f64>(qHigh + (<usize>(j - 1) << 3)));
    j--;
  }
  store<f64>(qHigh + (<usize>j << 3), v);
  if (qnHi == k) qHighMin = load<f64>(qHigh + (<usize>(k - 1) << 3));
}

@inline function pushOne(v: f64): void {
  if (v < qLowMax || qnLo < qkLo) insertLow(v);
  if (v > qHighMin || qnHi < qkHi) insertHigh(v);
}

export function qPushZeros(count: i32): void {
  const m = min(count, max(qkLo, qkHi));
  for (let i = 0; i < m; i++) pushOne(0);
}

/** Pushes the four float32 at p when one is beyond the bounds lo / hi; true when it did. */
@inline function scan4(p: usize, lo: v128, hi: v128): bool {
  const v = v128.load(p);
  if (!v128.any_true(v128.or(f32x4.lt(v, lo), f32x4.gt(v, hi)))) return false;
  for (let j = 0; j < 4; j++) {
    const x = <f64>load<f32>(p + (<usize>j << 2));
    if (x < qLowMax) insertLow(x);
    if (x > qHighMin) insertHigh(x);
  }
  return true;
}

/** Pushes `rows` rows of `cols` float32 values, row k at values + k * stride * 4. */
export function qPushRows(values: usize, stride: i32, rows: i32, cols: i32): void {
  for (let k = 0; k < rows; k++) {
    const row = values + (<usize>(k * stride) << 2);
    let i = 0;
    while (i < cols && (qnLo < qkLo || qnHi < qkHi)) {
      pushOne(<f64>load<f32>(row + (<usize>i << 2)));
      i++;
    }
    // lists full: bounds are finite float32 values, compared as float32
    let lo = f32x4.splat(<f32>qLowMax);
    let hi = f32x4.splat(<f32>qHighMin);
    // sixteen values a step while none is beyond the bounds (the common case)
    for (; i + 16 <= cols; i += 16) {
      const p = row + (<usize>i << 2);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      const out = v128.or(
        v128.or(v128.or(f32x4.lt(v0, lo), f32x4.gt(v0, hi)), v128.or(f32x4.lt(v1, lo), f32x4.gt(v1, hi))),
        v128.or(v128.or(f32x4.lt(v2, lo), f32x4.gt(v2, hi)), v128.or(f32x4.lt(v3, lo), f32x4.gt(v3, hi))),
      );
      if (v128.any_true(out)) {
        // rare: the four values of each vector with one beyond the (moving) bounds, in order
        for (let k = 0; k < 4; k++) {
          const q = p + (<usize>k << 4);
          if (scan4(q, lo, hi)) {
            lo = f32x4.splat(<f32>qLowMax);
            hi = f32x4.splat(<f32>qHighMin);
          }
        }
      }
    }
    for (; i + 4 <= cols; i += 4) {
      if (scan4(row + (<usize>i << 2), lo, hi)) {
        lo = f32x4.splat(<f32>qLowMax);
        hi = f32x4.splat(<f32>qHighMin);
      }
    }
    for (; i < cols; i++) pushOne(<f64>load<f32>(row + (<usize>i << 2)));
  }
}

// Integer pixels (uint16, uint8) read where they lie: the two lists are kept
// as uint16 lanes, nv vectors each (ascending, unused lanes 0xffff / descending,
// unused lanes 0), and a value goes in without a branch: lane i becomes
// min(L[i], max(L[i - 1], v)) (the low list; max / min for the high one),
// which shifts the lanes above v up by one and drops the last. The lists'
// bounds are lane k - 1; before k values they are 0xffff / 0, which admit
// every value (inserting the bound itself changes nothing).

/** v into the low list (ascending, `high` false) or the high one (descending) at p, nv vectors. */
@inline function insertU16(p: usize, nv: i32, v: u32, high: bool): void {
  const vv = i16x8.splat(<i16>v);
  // the lane before the first: below every value (low list) or above it (high list)
  let prev = i16x8.splat(high ? -1 : 0);
  for (let j = 0; j < nv; j++) {
    const q = p + (<usize>j << 4);
    const cur = v128.load(q);
    const sh = i8x16.shuffle(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
    v128.store(q, high ? i16x8.max_u(cur, i16x8.min_u(sh, vv)) : i16x8.min_u(cur, i16x8.max_u(sh, vv)));
    prev = cur;
  }
}

let uLow: usize = 0;
let uHigh: usize = 0;
let uNvLo = 0;
let uNvHi = 0;
let uLoAt: usize = 0; // address of lane k - 1 of each list: its bound
let uHiAt: usize = 0;

/** Inserts v into whichever list it enters. */
@inline function pushU16(v: u32): void {
  if (v < <u32>load<u16>(uLoAt)) insertU16(uLow, uNvLo, v, false);
  if (v > <u32>load<u16>(uHiAt)) insertU16(uHigh, uNvHi, v, true);
}

/** Pushes those of the eight uint16 `v` (at p) below lo or above hi, one by one (each checked against the lists' bounds as they move). */
@inline function pushBeyondU16(p: usize, v: v128, lo: v128, hi: v128): void {
  let m = i16x8.bitmask(v128.or(i16x8.lt_u(v, lo), i16x8.gt_u(v, hi)));
  while (m != 0) {
    pushU16(<u32>load<u16>(p + (<usize>ctz(m) << 1)));
    m &= m - 1;
  }
}

/** pushBeyondU16 for the sixteen uint8 `v` at p, against uint16 bounds. */
@inline function pushBeyondU8(p: usize, v: v128, lo: v128, hi: v128): void {
  const a = i16x8.extend_low_i8x16_u(v);
  const b = i16x8.extend_high_i8x16_u(v);
  let m = i16x8.bitmask(v128.or(i16x8.lt_u(a, lo), i16x8.gt_u(a, hi))) | (i16x8.bitmask(v128.or(i16x8.lt_u(b, lo), i16x8.gt_u(b, hi))) << 8);
  while (m != 0) {
    pushU16(<u32>load<u8>(p + <usize>ctz(m)));
    m &= m - 1;
  }
}

/** The row of `cols` pixels at `row` (uint16 when wide, else uint8) through the lists: 32 / 64 pixels a step compared as integers, the rare step with a value beyond a bound one pixel at a time. */
@inline function scanRowInt(row: usize, cols: i32, wide: bool): void {
  let i = 0;
  let lo = i16x8.splat(<i16>load<u16>(uLoAt));
  let hi = i16x8.splat(<i16>load<u16>(uHiAt));
  if (wide) {
    for (; i + 32 <= cols; i += 32) {
      const p = row + (<usize>i << 1);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      const mn = i16x8.min_u(i16x8.min_u(v0, v1), i16x8.min_u(v2, v3));
      const mx = i16x8.max_u(i16x8.max_u(v0, v1), i16x8.max_u(v2, v3));
      if (v128.any_true(v128.or(i16x8.lt_u(mn, lo), i16x8.gt_u(mx, hi)))) {
        // only the pixels beyond the bounds of the step's start (a superset of those beyond the current ones)
        pushBeyondU16(p, v0, lo, hi);
        pushBeyondU16(p + 16, v1, lo, hi);
        pushBeyondU16(p + 32, v2, lo, hi);
        pushBeyondU16(p + 48, v3, lo, hi);
        lo = i16x8.splat(<i16>load<u16>(uLoAt));
        hi = i16x8.splat(<i16>load<u16>(uHiAt));
      }
    }
    for (; i < cols; i++) pushU16(<u32>load<u16>(row + (<usize>i << 1)));
  } else {
    for (; i + 32 <= cols; i += 32) {
      // 32 bytes widened to two pairs of uint16 vectors
      const p = row + <usize>i;
      const a = v128.load(p);
      const b = v128.load(p, 16);
      const mn = i16x8.extend_low_i8x16_u(i8x16.min_u(a, b));
      const mn2 = i16x8.extend_high_i8x16_u(i8x16.min_u(a, b));
      const mx = i16x8.extend_low_i8x16_u(i8x16.max_u(a, b));
      const mx2 = i16x8.extend_high_i8x16_u(i8x16.max_u(a, b));
      if (v128.any_true(v128.or(i16x8.lt_u(i16x8.min_u(mn, mn2), lo), i16x8.gt_u(i16x8.max_u(mx, mx2), hi)))) {
        pushBeyondU8(p, a, lo, hi);
        pushBeyondU8(p + 16, b, lo, hi);
        lo = i16x8.splat(<i16>load<u16>(uLoAt));
        hi = i16x8.splat(<i16>load<u16>(uHiAt));
      }
    }
    for (; i < cols; i++) pushU16(<u32>load<u8>(row + <usize>i));
  }
}

/**
 * The quantile lists of `zeros` zeros and the integer pixels of `rows` rows
 * of `cols` (row k at values + k * stride pixels; uint16 when `wide`, else
 * uint8), into `low` / `high` (float64, kLo / kHi values, as qReset's lists
 * end). `ints` is room for the uint16 lists (2 x 12 vectors; kLo, kHi <= 96).
 * The rows go in a spread order (0, then every s-th, then the odd multiples
 * of s / 2, ...): the bounds tighten sooner than in raster order, where a
 * bright or dark region's pixels come in one after another, and the lists
 * end the same whatever the order.
 */
export function qSelectInt(
  values: usize, stride: i32, rows: i32, cols: i32, wide: bool, zeros: i32,
  kLo: i32, kHi: i32, ints: usize, low: usize, high: usize,
): void {
  uNvLo = (kLo + 7) >> 3;
  uNvHi = (kHi + 7) >> 3;
  uLow = ints;
  uHigh = ints + (<usize>uNvLo << 4);
  uLoAt = uLow + (<usize>(kLo - 1) << 1);
  uHiAt = uHigh + (<usize>(kHi - 1) << 1);
  memory.fill(uLow, 0xff, <usize>uNvLo << 4);
  memory.fill(uHigh, 0, <usize>uNvHi << 4);
  const z = min(zeros, max(kLo, kHi));
  for (let i = 0; i < z; i++) pushU16(0);
  if (rows > 0 && cols > 0) {
    const bytes: usize = wide ? 2 : 1;
    const rowBytes = <usize>stride * bytes;
    let s = 1;
    while (s * 2 < rows) s <<= 1;
    for (let y = 0; y < rows; y += s) scanRowInt(values + <usize>y * rowBytes, cols, wide);
    for (let t = s >> 1; t >= 1; t >>= 1) {
      for (let y = t; y < rows; y += 2 * t) scanRowInt(values + <usize>y * rowBytes, cols, wide);
    }
  }
  for (let i = 0; i < kLo; i++) store<f64>(low + (<usize>i << 3), <f64>load<u16>(uLow + (<usize>i << 1)));
  for (let i = 0; i < kHi; i++) store<f64>(high + (<usize>i << 3), <f64>load<u16>(uHigh + (<usize>i << 1)));
}

// ---------------------------------------------------------------------------
// Classic preset, one channel (src/presets/classic.ts): over the rect,
// t = clip((x - nlo) * inv, loClip, hiClip) * W into f, every step rounded to
// float32 (JavaScript rounds each with Math.fround: the same bits), and the
// min / max of the t into mnmx[0], mnmx[1] (as float64). pmin / pmax are the
// JavaScript compares (`t < lo ? lo : t`), -0 and NaN included.

export function normWeight(
  x: usize, w: usize, f: usize, S: i32, ry0: i32, ry1: i32, rx0: i32, rx1: i32,
  nlo: f32, inv: f32, loClip: f32, hiClip: f32, mnmx: usize,
): void {
  const full = ry0 == 0 && rx0 == 0 && ry1 == S && rx1 == S;
  let mn: f32 = full ? Infinity : 0;
  let mx: f32 = full ? -Infinity : 0;
  let mnV = f32x4.splat(mn);
  let mxV = f32x4.splat(mx);
  const nloV = f32x4.splat(nlo);
  const invV = f32x4.splat(inv);
  const loV = f32x4.splat(loClip);
  const hiV = f32x4.splat(hiClip);
  for (let y = ry0; y < ry1; y++) {
    const row = <usize>(y * S) << 2;
    let i = rx0;
    for (; i + 4 <= rx1; i += 4) {
      const o = row + (<usize>i << 2);
      const t = f32x4.mul(f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(x + o), nloV), invV), loV), hiV), v128.load(w + o));
      v128.store(f + o, t);
      // pmin(mn, t) = t < mn ? t : mn and pmax(mx, t) = mx < t ? t : mx, as the JavaScript
      mnV = f32x4.pmin(mnV, t);
      mxV = f32x4.pmax(mxV, t);
    }
    for (; i < rx1; i++) {
      const o = row + (<usize>i << 2);
      let t: f32 = (load<f32>(x + o) - nlo) * inv;
      t = t < loClip ? loClip : t > hiClip ? hiClip : t;
      t *= load<f32>(w + o);
      store<f32>(f + o, t);
      if (t < mn) mn = t;
      if (t > mx) mx = t;
    }
  }
  for (let k = 0; k < 4; k++) {
    const a = f32x4.extract_lane(mnV, 0);
    const b = f32x4.extract_lane(mxV, 0);
    if (a < mn) mn = a;
    if (b > mx) mx = b;
    mnV = v128.shuffle<u32>(mnV, mnV, 1, 2, 3, 0);
    mxV = v128.shuffle<u32>(mxV, mxV, 1, 2, 3, 0);
  }
  if (full && (mn == 0 || mx == 0)) {
    // The sign of a zero extreme is that of the first zero in scan order:
    // redo the compares one value at a time (a crop whose support is all of it).
    mn = Infinity;
    mx = -Infinity;
    for (let y = ry0; y < ry1; y++) {
      for (let i = rx0; i < rx1; i++) {
        const t = load<f32>(f + (<usize>(y * S + i) << 2));
        if (t < mn) mn = t;
        if (t > mx) mx = t;
      }
    }
  }
  store<f64>(mnmx, <f64>mn);
  store<f64>(mnmx, <f64>mx, 8);
}

// ---------------------------------------------------------------------------
// float32 -> float16 (src/kernels/float16.ts and writeScaled in src/crop.ts).

/** float16 bits of the float32 whose bits are `x`, round to nearest even. */
function halfFromBits(x: u32): u32 {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x47800000) return a > 0x7f800000 ? sign | 0x7e00 : sign | 0x7c00;
  if (a < 0x38800000) {
    if (a < 0x33000000) return sign;
    const e = a >>> 23;
    const m = (a & 0x7fffff) | 0x800000;
    const shift = 126 - e;
    const q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half: u32 = 1 << (shift - 1);
    return sign | (rem > half || (rem == half && (q & 1) == 1) ? q + 1 : q);
  }
  return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
}

/** Positive normal halfs inline, below 2^-14 through adding 0.5 (see writeScaled in src/crop.ts). */
@inline function halfOf(v: f32): u32 {
  const a = reinterpret<u32>(v);
  if (a >= 0x38800000) return a < 0x477ff000 ? (a - 0x37fff001 + ((a >>> 13) & 1)) >>> 13 : halfFromBits(a);
  return reinterpret<u32>(v + 0.5) - 0x3f000000;
}

/**
 * The plane `half` (S x S float16 bits) holds `outside` everywhere but the
 * rect, where it holds the float32 f (as (f - sub) * mul, each step in
 * float32, unless `plain`), converted to float16. Eight values a step: both
 * conversions computed and selected per lane; four lanes with a negative,
 * huge or non-finite value go one at a time.
 */
export function writeScaled(
  f: usize, half: usize, S: i32, ry0: i32, ry1: i32, rx0: i32, rx1: i32,
  sub: f32, mul: f32, plain: bool, outside: u16,
): void {
  const n = S * S;
  const o16 = i16x8.splat(<i16>outside);
  let k = 0;
  for (; k + 8 <= n; k += 8) v128.store(half + (<usize>k << 1), o16);
  for (; k < n; k++) store<u16>(half + (<usize>k << 1), outside);
  const subV = f32x4.splat(sub);
  const mulV = f32x4.splat(mul);
  const normLo = i32x4.splat(0x38800000);
  const big = i32x4.splat(0x477ff000);
  const bias = i32x4.splat(0x37fff001);
  const one = i32x4.splat(1);
  const halfV = f32x4.splat(0.5);
  const sm = i32x4.splat(0x3f000000);
  for (let y = ry0; y < ry1; y++) {
    const row = y * S;
    let i = row + rx0;
    const end = row + rx1;
    for (; i + 8 <= end; i += 8) {
      const p = f + (<usize>i << 2);
      let a = v128.load(p);
      let b = v128.load(p, 16);
      if (!plain) {
        a = f32x4.mul(f32x4.sub(a, subV), mulV);
        b = f32x4.mul(f32x4.sub(b, subV), mulV);
      }
      if (v128.any_true(v128.or(i32x4.ge_u(a, big), i32x4.ge_u(b, big)))) {
        // rare: negative, >= 65520 or not finite; one at a time (f holds the scaled values, as in JS)
        v128.store(p, a);
        v128.store(p, b, 16);
        const q = half + (<usize>i << 1);
        for (let j = 0; j < 8; j++) store<u16>(q + (<usize>j << 1), <u16>halfOf(load<f32>(p + (<usize>j << 2))));
        continue;
      }
      const ha = v128.bitselect(
        i32x4.shr_u(i32x4.add(i32x4.sub(a, bias), v128.and(i32x4.shr_u(a, 13), one)), 13),
        i32x4.sub(f32x4.add(a, halfV), sm),
        i32x4.ge_u(a, normLo),
      );
      const hb = v128.bitselect(
        i32x4.shr_u(i32x4.add(i32x4.sub(b, bias), v128.and(i32x4.shr_u(b, 13), one)), 13),
        i32x4.sub(f32x4.add(b, halfV), sm),
        i32x4.ge_u(b, normLo),
      );
      v128.store(half + (<usize>i << 1), i16x8.narrow_i32x4_u(ha, hb));
    }
    for (; i < end; i++) {
      const p = f + (<usize>i << 2);
      let v = load<f32>(p);
      if (!plain) v = (v - sub) * mul;
      store<u16>(half + (<usize>i << 1), <u16>halfOf(v));
    }
  }
}

/** dst[i] = src[i] * w[i] (float32, product in float64 rounded once) over the rect: the scportrait preset's weighting. */
export function weigh(x: usize, w: usize, f: usize, S: i32, ry0: i32, ry1: i32, rx0: i32, rx1: i32): void {
  for (let y = ry0; y < ry1; y++) {
    const row = y * S;
    let i = row + rx0;
    const end = row + rx1;
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const xv = v128.load(x + o);
      const wv = v128.load(w + o);
      const lo = f64x2.mul(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(wv));
      const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<u32>(xv, xv, 2, 3, 0, 1)), f64x2.promote_low_f32x4(v128.shuffle<u32>(wv, wv, 2, 3, 0, 1)));
      v128.store(f + o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      store<f32>(f + o, <f32>(<f64>load<f32>(x + o) * <f64>load<f32>(w + o)));
    }
  }
}

/** f = clip((f - lo) * inv, 0, 1) over the rect (float32 in place): the scportrait preset's scaling. */
export function clipScale(f: usize, S: i32, ry0: i32, ry1: i32, rx0: i32, rx1: i32, lo: f64, inv: f64): void {
  const loV = f64x2.splat(lo);
  const invV = f64x2.splat(inv);
  const zero = f64x2.splat(0);
  const oneV = f64x2.splat(1);
  for (let y = ry0; y < ry1; y++) {
    const row = y * S;
    let i = row + rx0;
    const end = row + rx1;
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(f + o);
      // JS: t < 0 ? 0 : t > 1 ? 1 : t  ==  pmin(pmax(t, 0), 1)
      const a = f64x2.pmin(f64x2.pmax(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), loV), invV), zero), oneV);
      const b = f64x2.pmin(f64x2.pmax(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)), loV), invV), zero), oneV);
      v128.store(f + o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      const t = (<f64>load<f32>(f + o) - lo) * inv;
      store<f32>(f + o, <f32>(t < 0 ? 0 : t > 1 ? 1 : t));
    }
  }
}

// ---------------------------------------------------------------------------
// A channel's crop read where it lies: a band of the slide copied into this
// memory once (src/kernels/wasm.ts loadChannels), each cell's crop then read
// from it row by row here, not copied out row by row in JavaScript. A crop
// the JavaScript side copied into the stage as it is (a window held
// elsewhere) is widened here the same way.

/**
 * x (float32, S x S) over the rect r = [ry0, ry1) x [rx0, rx1): the plane at
 * `plane` (`width` pixels a row, of `kind` 0 uint16, 1 uint8, 2 float32,
 * 3 int16, 4 int8) at crop pixel (y, x) = plane pixel (y + dy, x + dx), inside
 * the valid part [vy0, vy1) x [vx0, vx1); zeros elsewhere in r.
 */
export function cropWiden(
  kind: i32, plane: usize, width: i32, dy: i32, dx: i32, x: usize, S: i32,
  ry0: i32, ry1: i32, rx0: i32, rx1: i32, vy0: i32, vy1: i32, vx0: i32, vx1: i32,
): void {
  const cx0 = max(rx0, vx0);
  const cx1 = min(rx1, vx1);
  for (let y = ry0; y < ry1; y++) {
    const row = x + (<usize>(y * S) << 2);
    if (y < vy0 || y >= vy1 || cx1 <= cx0) {
      memory.fill(row + (<usize>rx0 << 2), 0, <usize>(rx1 - rx0) << 2);
      continue;
    }
    if (cx0 > rx0) memory.fill(row + (<usize>rx0 << 2), 0, <usize>(cx0 - rx0) << 2);
    if (cx1 < rx1) memory.fill(row + (<usize>cx1 << 2), 0, <usize>(rx1 - cx1) << 2);
    const at = (y + dy) * width + dx; // plane index of crop pixel (y, 0); >= 0 from cx0 on
    let i = cx0;
    if (kind == 0) {
      const s = plane + (<usize>at << 1);
      for (; i + 8 <= cx1; i += 8) {
        const v = v128.load(s + (<usize>i << 1));
        v128.store(row + (<usize>i << 2), f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(v)));
        v128.store(row + (<usize>i << 2), f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(v)), 16);
      }
      for (; i < cx1; i++) store<f32>(row + (<usize>i << 2), <f32>load<u16>(s + (<usize>i << 1)));
    } else if (kind == 1) {
      const s = plane + <usize>at;
      for (; i + 8 <= cx1; i += 8) {
        const v = i16x8.extend_low_i8x16_u(v128.load64_zero(s + <usize>i));
        v128.store(row + (<usize>i << 2), f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(v)));
        v128.store(row + (<usize>i << 2), f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(v)), 16);
      }
      for (; i < cx1; i++) store<f32>(row + (<usize>i << 2), <f32>load<u8>(s + <usize>i));
    } else if (kind == 2) {
      memory.copy(row + (<usize>cx0 << 2), plane + (<usize>(at + cx0) << 2), <usize>(cx1 - cx0) << 2);
    } else if (kind == 3) {
      const s = plane + (<usize>at << 1);
      for (; i < cx1; i++) store<f32>(row + (<usize>i << 2), <f32>load<i16>(s + (<usize>i << 1)));
    } else {
      const s = plane + <usize>at;
      for (; i < cx1; i++) store<f32>(row + (<usize>i << 2), <f32>load<i8>(s + <usize>i));
    }
  }
}

// ---------------------------------------------------------------------------
// Binary dilation by a disk (src/kernels/dilate.ts: dilateDisk): each run of
// ones of a source row widens by the disk's half-width at every row offset.

/** dst[p .. p + n) = 1, sixteen bytes a store. */
@inline function fillOnes(p: usize, n: i32): void {
  const ones = i8x16.splat(1);
  let k = 0;
  for (; k + 16 <= n; k += 16) v128.store(p + <usize>k, ones);
  for (; k < n; k++) store<u8>(p + <usize>k, 1);
}

/**
 * The 0/1 bytes of `src` (height x width), whose ones lie in the box
 * [by0, by1) x [bx0, bx1), dilated into `dst`, written over the support
 * [sy0, sy1) x [sx0, sx1) only; `half` holds the disk's 2r + 1 half-widths (i32).
 */
export function dilateDisk(
  src: usize, dst: usize, height: i32, width: i32,
  by0: i32, by1: i32, bx0: i32, bx1: i32, sy0: i32, sy1: i32, sx0: i32, sx1: i32,
  half: usize, r: i32,
): void {
  for (let y = sy0; y < sy1; y++) memory.fill(dst + <usize>(y * width + sx0), 0, <usize>(sx1 - sx0));
  for (let i = by0; i < by1; i++) {
    const row = src + <usize>(i * width);
    let x = bx0;
    while (x < bx1) {
      if (load<u8>(row + <usize>x) == 0) {
        x++;
        continue;
      }
      const a = x;
      while (x < bx1 && load<u8>(row + <usize>x) != 0) x++;
      const ya = max(0, i - r);
      const yb = min(height, i + r + 1);
      for (let y = ya; y < yb; y++) {
        const h = load<i32>(half + (<usize>(y - i + r) << 2));
        const from = max(0, a - h);
        fillOnes(dst + <usize>(y * width + from), min(width, x + h) - from);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Hole filling (src/kernels/fill-holes.ts: fillHoles): background not
// 4-connected to the box's border becomes foreground, searched inside the box.

@inline function seedAt(mask: usize, stack: usize, sp: i32, p: i32): i32 {
  if (load<u8>(mask + <usize>p) == 0) {
    store<u8>(mask + <usize>p, 2);
    store<i32>(stack + (<usize>sp << 2), p);
    return sp + 1;
  }
  return sp;
}

/** Fills the holes of the 0/1 bytes of `mask` (`width` wide), all of whose ones lie in the box, in place; `stack` holds box-area int32. */
export function fillHoles(mask: usize, width: i32, y0: i32, y1: i32, x0: i32, x1: i32, stack: usize): void {
  if (y1 - y0 < 3 || x1 - x0 < 3) return;
  let sp = 0;
  for (let x = x0; x < x1; x++) {
    sp = seedAt(mask, stack, sp, y0 * width + x);
    sp = seedAt(mask, stack, sp, (y1 - 1) * width + x);
  }
  for (let y = y0 + 1; y < y1 - 1; y++) {
    sp = seedAt(mask, stack, sp, y * width + x0);
    sp = seedAt(mask, stack, sp, y * width + x1 - 1);
  }
  while (sp > 0) {
    const p = load<i32>(stack + (<usize>--sp << 2));
    const y = p / width;
    const x = p - y * width;
    if (x > x0) sp = seedAt(mask, stack, sp, p - 1);
    if (x < x1 - 1) sp = seedAt(mask, stack, sp, p + 1);
    if (y > y0) sp = seedAt(mask, stack, sp, p - width);
    if (y < y1 - 1) sp = seedAt(mask, stack, sp, p + width);
  }
  // unreached background (0) is a hole -> 1; reached (2) -> 0; ones stay
  for (let y = y0; y < y1; y++) {
    const row = mask + <usize>(y * width);
    for (let x = x0; x < x1; x++) {
      const v = load<u8>(row + <usize>x);
      store<u8>(row + <usize>x, v == 2 ? 0 : 1);
    }
  }
}

// ---------------------------------------------------------------------------
// The masks' scan for the plan (src/kernels/mask-runs.ts): where the pair of
// labels (nucleus, cytosol) changes along a band's rows, so the JavaScript side
// visits runs, not pixels. Masks are mostly long runs (background, the inside
// of a cell): a vector of pixels compared with the same pixels one to the left
// settles four to sixteen pixels a step.

/** Index after the last boundary maskRuns stored, where the next call resumes. */
let runsResume = 0;

export function maskRunsResume(): i32 {
  return runsResume;
}

/**
 * Stores into `out` (int32) the indices i in [from, len) of the planes `n` and
 * `c` (c == 0: none), `bytes` bytes a pixel (1, 2 or 4), rows of `width`,
 * where a run of equal (n, c) starts: every row's first pixel and every pixel
 * that differs from the one before it. At most `cap`; returns how many, and
 * maskRunsResume() the index to resume from (len when done). `from` is always
 * stored (it starts a row or a run, or resumes after one).
 */
export function maskRuns(n: usize, c: usize, bytes: i32, len: i32, width: i32, from: i32, out: usize, cap: i32): i32 {
  let k = 0;
  let i = from;
  const step = 16 / bytes;
  const shift = bytes == 4 ? 2 : bytes == 2 ? 1 : 0;
  while (i < len) {
    if (k == cap) {
      runsResume = i;
      return k;
    }
    store<i32>(out + (<usize>k << 2), i);
    k++;
    // the rest of this pixel's row, or to the next boundary
    const rowEnd = min(len, (i / width + 1) * width);
    i++;
    let found = false;
    while (!found && i < rowEnd) {
      // vectors while a whole one lies in the row: each pixel against the one before it
      while (i + step <= rowEnd) {
        const p = <usize>i << shift;
        let same = i8x16.eq(v128.load(n + p), v128.load(n + p - bytes));
        if (c != 0) same = v128.and(same, i8x16.eq(v128.load(c + p), v128.load(c + p - bytes)));
        if (!i8x16.all_true(same)) break;
        i += step;
      }
      // pixel by pixel to the first change (within the vector that had one, or the row's tail)
      const stop = min(rowEnd, i + step);
      for (; i < stop; i++) {
        const p = <usize>i << shift;
        let differs: bool;
        if (bytes == 4) differs = load<u32>(n + p) != load<u32>(n + p - 4) || (c != 0 && load<u32>(c + p) != load<u32>(c + p - 4));
        else if (bytes == 2) differs = load<u16>(n + p) != load<u16>(n + p - 2) || (c != 0 && load<u16>(c + p) != load<u16>(c + p - 2));
        else differs = load<u8>(n + p) != load<u8>(n + p - 1) || (c != 0 && load<u8>(c + p) != load<u8>(c + p - 1));
        if (differs) {
          found = true;
          break;
        }
      }
    }
    if (!found) i = rowEnd;
  }
  runsResume = len;
  return k;
}
