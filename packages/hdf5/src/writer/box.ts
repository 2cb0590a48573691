// The writer's box copies, over the shared run iterator (../box.ts).
import { forEachRun } from "../box.js";

export { product, stridesOf } from "../box.js";

/** Box copy of elements of `size` bytes. */
export function copyBytesBox(
  src: Uint8Array,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: Uint8Array,
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
  size: number,
): void {
  const box = { srcShape: [...srcShape], srcStart: [...srcStart], dstShape: [...dstShape], dstStart: [...dstStart], count: [...count] };
  forEachRun(box, size, (s, d, len) => dst.set(src.subarray(s, s + len), d));
}

/** Box copy of array elements (strings). */
export function copyItemsBox<T>(
  src: readonly T[],
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: T[],
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
): void {
  const box = { srcShape: [...srcShape], srcStart: [...srcStart], dstShape: [...dstShape], dstStart: [...dstStart], count: [...count] };
  forEachRun(box, 1, (s, d, len) => {
    for (let i = 0; i < len; i++) dst[d + i] = src[s + i];
  });
}

/** The runs (element offset in the array, offset in the block, length) of a block of a C-order array. */
export function blockRuns(shape: readonly number[], start: readonly number[], count: readonly number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  const box = { srcShape: [...shape], srcStart: [...start], dstShape: [...count], dstStart: count.map(() => 0), count: [...count] };
  forEachRun(box, 1, (s, d, len) => out.push([s, d, len]));
  return out;
}
