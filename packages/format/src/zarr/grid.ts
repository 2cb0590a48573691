// Boxes over a chunk grid, for the reader and the writer: the chunks a box
// touches, a chunk's overlap with it, the fill value over part of it.
import { copyBlock, product } from "../dtype.js";
import { toFloat16Bits as floatToHalf } from "../float16.js";
import type { TypedArray } from "../types.js";
import type { ArrayMeta } from "./metadata.js";

/** How many chunks of `grid` the box start/shape touches. */
export function countChunks(start: number[], shape: number[], grid: number[]): number {
  let n = 1;
  for (let i = 0; i < grid.length; i++) n *= shape[i] === 0 ? 0 : Math.floor((start[i] + shape[i] - 1) / grid[i]) - Math.floor(start[i] / grid[i]) + 1;
  return n;
}

/** Calls `fn` with the index of every chunk of `grid` the box start/shape touches. */
export function forEachChunk(start: number[], shape: number[], grid: number[], fn: (idx: number[]) => void): void {
  const rank = grid.length;
  if (shape.some((s) => s === 0)) return;
  const lo = start.map((s, i) => Math.floor(s / grid[i]));
  const hi = start.map((s, i) => Math.floor((s + shape[i] - 1) / grid[i]));
  const idx = lo.slice();
  for (;;) {
    fn(idx.slice());
    let a = rank - 1;
    while (a >= 0) {
      if (++idx[a] <= hi[a]) break;
      idx[a] = lo[a];
      a--;
    }
    if (a < 0) return;
  }
}

export function overlap(origin: number[], chunk: number[], start: number[], shape: number[], arrayShape: number[]) {
  const srcStart: number[] = [];
  const dstStart: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < origin.length; i++) {
    const lo = Math.max(origin[i], start[i]);
    const hi = Math.min(origin[i] + chunk[i], start[i] + shape[i], arrayShape[i]);
    srcStart.push(lo - origin[i]);
    dstStart.push(lo - start[i]);
    count.push(Math.max(0, hi - lo));
  }
  return { srcStart, dstStart, count };
}

/** The fill value over a box of `dst`; `zeroed`: `dst` came from allocate() (zeros), not uninitialised memory. */
export function fillBox(dst: TypedArray | string[], shape: number[], at: number[], count: number[], m: ArrayMeta, zeroed = true): void {
  const f = m.fill;
  const zero = f === null || f === 0 || f === false || f === "" || f === 0n;
  if (zero && zeroed) return;
  let v: unknown = zero ? 0 : f;
  if (m.dtype === "float16") v = floatToHalf(Number(f));
  else if (m.dtype === "bool") v = f ? 1 : 0;
  else if (m.dtype === "int64" || m.dtype === "uint64") v = BigInt(f as any);
  else if (m.dtype !== "string") v = Number(f);
  const n = product(count);
  const src: any = Array.isArray(dst) ? new Array(n).fill(v) : new (dst.constructor as any)(n).fill(v);
  copyBlock(src, count, count.map(() => 0), dst, shape, at, count);
}
