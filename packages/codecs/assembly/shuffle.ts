// The byte shuffle (HDF5 filter 2, numcodecs' Shuffle, blosc's byte shuffle):
// byte k of every element goes to plane k, so that similar high bytes sit
// together for the compressor after it. `n` whole elements of `size` bytes;
// the caller copies a tail shorter than one element as it is. float16 and
// 4-byte elements go 16 elements a step through SIMD lane shuffles.

export function shuffle(src: usize, dst: usize, n: usize, size: usize): void {
  let i: usize = 0;
  if (size == 2) {
    const hi = dst + n;
    for (; i + 16 <= n; i += 16) {
      const a = v128.load(src + 2 * i);
      const b = v128.load(src + 2 * i + 16);
      v128.store(dst + i, v128.shuffle<u8>(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
      v128.store(hi + i, v128.shuffle<u8>(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
    }
  } else if (size == 4) {
    for (; i + 16 <= n; i += 16) {
      const s = src + 4 * i;
      // within each vector: bytes grouped by plane (4 lanes of 4 bytes)
      const v0 = v128.shuffle<u8>(v128.load(s), v128.load(s), 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const v1 = v128.shuffle<u8>(v128.load(s + 16), v128.load(s + 16), 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const v2 = v128.shuffle<u8>(v128.load(s + 32), v128.load(s + 32), 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const v3 = v128.shuffle<u8>(v128.load(s + 48), v128.load(s + 48), 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      // then a 4 x 4 transpose of 32-bit lanes
      const t0 = v128.shuffle<u32>(v0, v1, 0, 4, 1, 5);
      const t1 = v128.shuffle<u32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<u32>(v0, v1, 2, 6, 3, 7);
      const t3 = v128.shuffle<u32>(v2, v3, 2, 6, 3, 7);
      v128.store(dst + i, v128.shuffle<u64>(t0, t1, 0, 2));
      v128.store(dst + n + i, v128.shuffle<u64>(t0, t1, 1, 3));
      v128.store(dst + 2 * n + i, v128.shuffle<u64>(t2, t3, 0, 2));
      v128.store(dst + 3 * n + i, v128.shuffle<u64>(t2, t3, 1, 3));
    }
  }
  for (let k: usize = 0; k < size; k++) {
    const plane = dst + k * n;
    for (let j = i; j < n; j++) store<u8>(plane + j, load<u8>(src + j * size + k));
  }
}

export function unshuffle(src: usize, dst: usize, n: usize, size: usize): void {
  let i: usize = 0;
  if (size == 2) {
    const hi = src + n;
    for (; i + 16 <= n; i += 16) {
      const a = v128.load(src + i);
      const b = v128.load(hi + i);
      v128.store(dst + 2 * i, v128.shuffle<u8>(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      v128.store(dst + 2 * i + 16, v128.shuffle<u8>(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
  } else if (size == 4) {
    for (; i + 16 <= n; i += 16) {
      const p0 = v128.load(src + i);
      const p1 = v128.load(src + n + i);
      const p2 = v128.load(src + 2 * n + i);
      const p3 = v128.load(src + 3 * n + i);
      // bytes 0,1 and 2,3 of each element side by side, then the two halves
      const a0 = v128.shuffle<u8>(p0, p1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const a1 = v128.shuffle<u8>(p0, p1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const b0 = v128.shuffle<u8>(p2, p3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const b1 = v128.shuffle<u8>(p2, p3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const o = dst + 4 * i;
      v128.store(o, v128.shuffle<u16>(a0, b0, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(o + 16, v128.shuffle<u16>(a0, b0, 4, 12, 5, 13, 6, 14, 7, 15));
      v128.store(o + 32, v128.shuffle<u16>(a1, b1, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(o + 48, v128.shuffle<u16>(a1, b1, 4, 12, 5, 13, 6, 14, 7, 15));
    }
  }
  for (let k: usize = 0; k < size; k++) {
    const plane = src + k * n;
    for (let j = i; j < n; j++) store<u8>(dst + j * size + k, load<u8>(plane + j));
  }
}
