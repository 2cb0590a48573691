// The copy loops of cell reads: chunks and blocks as read, into the output
// (float32, or float16 bits), converting on the way. Typed-array loops, nothing
// allocated per pixel: they are most of a read's time once the bytes are in.
import { float16Table, type NDArray, type TypedArray } from "@cellfolio/format";

/** The part of `chunk` (at chunk coordinates `coords` of a grid of `chunks`) inside the crop window into the output slots of its rows. */
export function copyChunk(chunk: NDArray, coords: number[], chunks: readonly number[], slotsOfRow: Map<number, number[]>, chans: number[], cy0: number, cx0: number, s: number, out: Float32Array | Uint16Array): void {
  const [bn, bc, by, bx] = chunk.shape;
  const r0 = coords[0] * chunks[0];
  const c0 = coords[1] * chunks[1];
  const y0 = coords[2] * chunks[2];
  const x0 = coords[3] * chunks[3];
  // The part of the crop window inside this chunk.
  const ya = Math.max(y0, cy0);
  const yb = Math.min(y0 + by, cy0 + s);
  const xa = Math.max(x0, cx0);
  const xb = Math.min(x0 + bx, cx0 + s);
  if (ya >= yb || xa >= xb) return;
  const src = chunk.data as TypedArray;
  const nc = chans.length;
  const plane = s * s;
  for (let rr = 0; rr < bn; rr++) {
    const slots = slotsOfRow.get(r0 + rr);
    if (!slots) continue;
    for (let j = 0; j < nc; j++) {
      const cc = chans[j] - c0;
      if (cc < 0 || cc >= bc) continue;
      const si = (rr * bc + cc) * by * bx + (ya - y0) * bx + (xa - x0);
      for (const slot of slots) {
        const di = (slot * nc + j) * plane + (ya - cy0) * s + (xa - cx0);
        copyRect(src, chunk.dtype, out, si, bx, di, s, yb - ya, xb - xa);
      }
    }
  }
}

/**
 * One row's channels [c0, c1) (s x s planes from `at` in `block`) into the
 * output slots of that row, for the channels asked for among them.
 */
export function copyRun(block: NDArray, at: number, c0: number, c1: number, chans: number[], slots: number[], s: number, out: Float32Array | Uint16Array): void {
  const src = block.data as TypedArray;
  const plane = s * s;
  const nc = chans.length;
  for (let j = 0; j < nc; j++) {
    const c = chans[j];
    if (c < c0 || c >= c1) continue;
    for (const slot of slots) copyRect(src, block.dtype, out, at + (c - c0) * plane, s, (slot * nc + j) * plane, s, s, s);
  }
}

/**
 * Copies a rect of `rows` x `len` values (source row stride `sStride`,
 * destination `dStride`), converting to the destination's type. One small
 * monomorphic loop per case, so that V8 keeps each tight.
 */
function copyRect(src: TypedArray, dtype: string, out: Float32Array | Uint16Array, si: number, sStride: number, di: number, dStride: number, rows: number, len: number): void {
  if (len === sStride && len === dStride) {
    // whole rows in both (no crop): one run
    len *= rows;
    rows = 1;
  }
  if (out instanceof Uint16Array) {
    // float16 out of float16: the bits as they are
    sameRect(src as Uint16Array, out, si, sStride, di, dStride, rows, len);
  } else if (dtype === "float16") {
    halfRect(src as Uint16Array, float16Table(), out, si, sStride, di, dStride, rows, len);
  } else if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let y = 0; y < rows; y++) for (let x = 0; x < len; x++) out[di + y * dStride + x] = Number(src[si + y * sStride + x]);
  } else if (src instanceof Float32Array) {
    sameRect(src, out as Float32Array, si, sStride, di, dStride, rows, len);
  } else {
    for (let y = 0; y < rows; y++) out.set(src.subarray(si + y * sStride, si + y * sStride + len), di + y * dStride);
  }
}

/** Same-type rows: long ones by `set`, short ones (a crop's) by a loop (a subarray per row costs more). */
function sameRect<T extends Uint16Array | Float32Array>(src: T, out: T, si: number, sStride: number, di: number, dStride: number, rows: number, len: number): void {
  if (len >= 256) {
    for (let y = 0; y < rows; y++) out.set(src.subarray(si + y * sStride, si + y * sStride + len), di + y * dStride);
    return;
  }
  for (let y = 0; y < rows; y++) {
    let a = si + y * sStride;
    let b = di + y * dStride;
    const end = b + len;
    while (b < end) out[b++] = src[a++];
  }
}

/**
 * float16 bits -> float32 through the 64 K table. Measured on crops that are
 * mostly zeros (masked) and values in [0, 1]: 1.4 ns a value, against 5.4 for
 * bit shifts with a branch for zeros and subnormals (the branch mispredicts).
 */
function halfRect(src: Uint16Array, lut: Float32Array, out: Float32Array, si: number, sStride: number, di: number, dStride: number, rows: number, len: number): void {
  if (rows === 1 && ((src.byteOffset >> 1) + si) % 2 === 0 && len % 2 === 0) {
    // One run (a whole plane): two halves per 32-bit load, and a pair of
    // zeros (a masked cell's background) without the table.
    const pairs = new Uint32Array(src.buffer, src.byteOffset + si * 2, len >> 1);
    for (let k = 0, b = di; k < pairs.length; k++, b += 2) {
      const w = pairs[k];
      if (w === 0) {
        out[b] = 0;
        out[b + 1] = 0;
      } else {
        out[b] = lut[w & 0xffff];
        out[b + 1] = lut[w >>> 16];
      }
    }
    return;
  }
  for (let y = 0; y < rows; y++) {
    let a = si + y * sStride;
    let b = di + y * dStride;
    const end = b + len;
    while (b < end) out[b++] = lut[src[a++]];
  }
}

