// The 64 synthetic float16 cells (5 x 128 x 128) that bench/zarr-io.mjs
// writes and bench/codecs.mjs codes: smooth blobs per channel plus noise, in
// [0, 1], as normalised crops look (channels 0-1 a masked disc; with
// `masked`, every channel, as an extraction's stacks are).

export const POOL = 64;
export const CELL_ELEMS = 5 * 128 * 128;

function halfBits(v) {
  const x = new Uint32Array(new Float32Array([v]).buffer)[0];
  const e = ((x >>> 23) & 0xff) - 112;
  if (e <= 0) return (x >>> 16) & 0x8000;
  return ((x >>> 16) & 0x8000) | (e << 10) | ((x >>> 13) & 0x3ff);
}

/**
 * The cells one after another: POOL x CELL_ELEMS float16 bit patterns (the
 * same every call). `masked`: every channel zero outside the cell's disc, as
 * an extraction writes them (most of each plane zeros).
 */
export function cellPool({ masked = false } = {}) {
  const pool = new Uint16Array(POOL * CELL_ELEMS);
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let p = 0; p < POOL; p++) {
    const cx = 48 + rnd() * 32;
    const cy = 48 + rnd() * 32;
    const r = 15 + rnd() * 25;
    for (let c = 0; c < 5; c++) {
      const amp = 0.3 + rnd() * 0.7;
      for (let y = 0; y < 128; y++)
        for (let x = 0; x < 128; x++) {
          const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r);
          const v = c < 2 ? (d2 < 1 ? 1 : 0) * (0.5 + 0.5 * Math.exp(-d2)) : amp * Math.exp(-d2) + 0.02 * rnd();
          pool[p * CELL_ELEMS + c * 128 * 128 + y * 128 + x] = halfBits(masked && d2 >= 1 ? 0 : v);
        }
    }
  }
  return pool;
}
