// copyBlock with whole trailing axes merged: a chunk that spans every axis
// after the first is one contiguous run, copied with a single `set` instead of
// one per innermost row (640 for a (1, 5, 128, 128) chunk).
import { copyBlock, product } from "../dtype.js";
import type { TypedArray } from "../types.js";

export function copyBox(
  src: TypedArray | string[],
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: TypedArray | string[],
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
): void {
  const rank = count.length;
  let k = rank - 1;
  // Axes after k are whole in source, destination and box.
  while (k > 0 && count[k] === srcShape[k] && count[k] === dstShape[k]) k--;
  if (k >= rank - 2) {
    copyBlock(src, srcShape, srcStart, dst, dstShape, dstStart, count);
    return;
  }
  const whole = product(srcShape.slice(k + 1));
  const merge = (v: readonly number[]) => [...v.slice(0, k), v[k] * whole];
  copyBlock(src, merge(srcShape), merge(srcStart), dst, merge(dstShape), merge(dstStart), merge(count));
}
