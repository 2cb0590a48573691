// float32 -> float16 bits, round to nearest even (as numpy's astype(float16)),
// on the float32's bit pattern: a few integer ops per value, no Math.fround.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits of the float32 whose bits are `x`. */
export function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x47800000) {
    // >= 65536 (or inf / nan): inf, or a quiet nan
    if (a > 0x7f800000) return sign | 0x7e00;
    // values in [65520, 65536) round to inf as well; handled below by the normal path
    return sign | 0x7c00;
  }
  if (a < 0x38800000) {
    // below 2^-14: a subnormal half (or zero); value * 2^24 rounded half to even
    if (a < 0x33000000) return sign; // < 2^-25: rounds to 0 (2^-25 itself is a tie to even 0)
    const e = a >>> 23;
    const m = (a & 0x7fffff) | 0x800000;
    const shift = 126 - e; // so that m >> shift = value * 2^24 truncated
    const q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    const r = rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
    return sign | r;
  }
  // normal: rebias the exponent, round the 13 dropped mantissa bits half to even;
  // a carry into the exponent is the correct result (up to inf).
  const odd = (a >>> 13) & 1;
  return sign | ((a - 0x38000000 + 0xfff + odd) >>> 13);
}

/** float16 bits of a number (rounded to float32 first, as numpy's float32 data is). */
export function toHalf(v: number): number {
  f32[0] = v;
  return halfFromBits(u32[0]);
}

/** The number a float16 bit pattern stands for. */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** out[i] = half(bits[i]) for i in [start, end): converts a float32 buffer read through its Uint32Array view. */
export function halfsFromBits(bits: Uint32Array, start: number, end: number, out: Uint16Array, outStart: number): void {
  let o = outStart;
  for (let i = start; i < end; i++) out[o++] = halfFromBits(bits[i]);
}
