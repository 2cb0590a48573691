// The HDF5 shuffle filter (id 2) undone: the stored chunk holds byte 0 of
// every element, then byte 1 of every element, ...; trailing bytes that do not
// make a whole element are stored as they are.

/** Unshuffles `src` (elements of `size` bytes) into `dst` (same length). */
export function unshuffle(src: Uint8Array, dst: Uint8Array, size: number): void {
  const n = Math.floor(src.length / size);
  if (size <= 1 || n <= 1) {
    dst.set(src);
    return;
  }
  if (size === 2) {
    const hi = n;
    for (let i = 0, o = 0; i < n; i++, o += 2) {
      dst[o] = src[i];
      dst[o + 1] = src[hi + i];
    }
  } else if (size === 4) {
    const b1 = n;
    const b2 = 2 * n;
    const b3 = 3 * n;
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      dst[o] = src[i];
      dst[o + 1] = src[b1 + i];
      dst[o + 2] = src[b2 + i];
      dst[o + 3] = src[b3 + i];
    }
  } else {
    for (let b = 0; b < size; b++) {
      const base = b * n;
      for (let i = 0, o = b; i < n; i++, o += size) dst[o] = src[base + i];
    }
  }
  const tail = n * size;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
}
