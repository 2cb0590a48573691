// The HDF5 shuffle filter (id 2), encode side: byte k of every element goes
// to plane k, so similar high bytes sit together for the compressor after it.

/** Shuffles `src` (whole elements of `size` bytes; a tail shorter than one element is copied as is). */
export function shuffleBytes(src: Uint8Array, size: number, dst: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  if (size <= 1) {
    dst.set(src);
    return dst;
  }
  const n = Math.floor(src.length / size);
  if (size === 2 && (src.byteOffset & 3) === 0 && (dst.byteOffset & 1) === 0 && n % 2 === 0) {
    // two elements per 32-bit load, two bytes per 16-bit store (little-endian hosts)
    const pairs = new Uint32Array(src.buffer, src.byteOffset, n >> 1);
    const lo = new Uint16Array(dst.buffer, dst.byteOffset, n >> 1);
    const hi = new Uint16Array(dst.buffer, dst.byteOffset + n, n >> 1);
    for (let i = 0; i < pairs.length; i++) {
      const w = pairs[i];
      lo[i] = (w & 0xff) | ((w >>> 8) & 0xff00);
      hi[i] = ((w >>> 8) & 0xff) | ((w >>> 16) & 0xff00);
    }
  } else if (size === 2 && (src.byteOffset & 1) === 0) {
    // one 16-bit load per element (little-endian hosts: low byte first)
    const words = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const w = words[i];
      dst[i] = w & 0xff;
      dst[n + i] = w >>> 8;
    }
  } else if (size === 2) {
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      dst[i] = src[j];
      dst[n + i] = src[j + 1];
    }
  } else if (size === 4) {
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      dst[i] = src[j];
      dst[n + i] = src[j + 1];
      dst[n2 + i] = src[j + 2];
      dst[n3 + i] = src[j + 3];
    }
  } else {
    for (let k = 0; k < size; k++) {
      const base = k * n;
      for (let i = 0, j = k; i < n; i++, j += size) dst[base + i] = src[j];
    }
  }
  const tail = n * size;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
  return dst;
}
