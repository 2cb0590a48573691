// TIFF's LZW (compression 5), decoding only: MSB-first codes of 9 to 12 bits,
// Clear 256, End 257, the code width growing one code early (libtiff's
// "new-style" LZW, what every current writer emits). Written from the TIFF 6.0
// specification. A code's string is not kept as a chain of prefixes: every
// string has been written to the output once already (a new code is the
// previous string plus the next string's first byte, and those two sit side
// by side in the output), so the table holds where the string is and how
// long it is (one 64-bit entry), and decoding a code is one forward copy. The 256 one-byte codes
// point into a constant table of the bytes, so they take the same path. The
// JavaScript decoder in @cellfolio/extract's tiff-decode.ts is the reference
// the tests compare with; bench/tiff-codecs.mjs times both against imagecodecs.

import { LZW_BYTES, LZW_TABLE } from "./layout";

let ready = false;

/**
 * `len` bytes from `from` to `op`, a string that does not overlap its copy
 * (from + len <= op): 16 bytes at a time, each block read only where it was
 * written already (for len <= 16 the bytes past len are never needed; past
 * that, from is 16 or more back). May write 15 bytes past the end.
 */
// @ts-ignore: decorator
@inline function copyString(op: usize, from: usize, len: usize): void {
  v128.store(op, v128.load(from));
  for (let k: usize = 16; k < len; k += 16) v128.store(op + k, v128.load(from + k));
}

/**
 * Decodes `srcLen` bytes at `src` into `dst` until End, the end of the input,
 * or `size` bytes out (a last string may run on past `size`: `dst` has room
 * for 4096 + 16 bytes more). Returns the bytes written, at most `size`, or
 * -2 for a code beyond the table (a string code right after a Clear among them).
 */
export function lzwDecode(src: usize, srcLen: usize, dst: usize, size: usize): isize {
  if (!ready) {
    for (let c: usize = 0; c < 256; c++) {
      store<u8>(LZW_BYTES + c, <u8>c);
      store<u64>(LZW_TABLE + (c << 3), <u64>(LZW_BYTES + c) | (<u64>1 << 32));
    }
    ready = true;
  }
  const end = src + srcLen;
  let ip = src;
  let op = dst;
  const opEnd = dst + size;
  let acc: u64 = 0;
  let held: u32 = 0;
  let width: u32 = 9;
  let mask: u32 = 511;
  // Right after a Clear (and at the start) there is no previous string: its
  // length is 0 and `next` is one short, so the entry the first code adds
  // lands on End's slot (257, never looked up) and no test is needed for it.
  let next: u32 = 257;
  // where the previous code's string is in the output, and its length
  let prevAt: usize = LZW_BYTES;
  let prevLen: usize = 0;
  while (op < opEnd) {
    if (held < width) {
      if (ip + 8 <= end) {
        // 48 bits more, big-endian: the bits held (< 12) and these fit in 64
        acc = (acc << 48) | (bswap<u64>(load<u64>(ip)) >> 16);
        ip += 6;
        held += 48;
      } else {
        while (held < width && ip < end) {
          acc = (acc << 8) | <u64>load<u8>(ip++);
          held += 8;
        }
        if (held < width) break;
      }
    }
    held -= width;
    // the bits above a code are masked off here, not cleared from acc
    const code = <u32>(acc >> held) & mask;
    if (code - 256 < 2) {
      if (code == 257) break;
      width = 9;
      mask = 511;
      next = 257;
      prevLen = 0;
      continue;
    }
    let len: usize;
    if (code < next) {
      const entry = load<u64>(LZW_TABLE + (<usize>code << 3));
      len = <usize>(entry >> 32);
      copyString(op, <usize>(<u32>entry), len);
    } else if (code == next) {
      // the previous string and its own first byte (KwKwK)
      copyString(op, prevAt, prevLen);
      store<u8>(op + prevLen, load<u8>(prevAt));
      len = prevLen + 1;
    } else return -2;
    // The previous string and this one's first byte, side by side in the
    // output. A full table's entry goes to the spare slot 4096 (no code
    // reaches it), so the one test a code is the width's.
    store<u64>(LZW_TABLE + (<usize>next << 3), <u64>prevAt | (<u64>(prevLen + 1) << 32));
    next++;
    if (next >= mask) {
      if (width < 12) {
        width++;
        mask = (mask << 1) | 1;
      } else if (next > 4096) next = 4096;
    }
    prevAt = op;
    prevLen = len;
    op += len;
  }
  return <isize>(min(op, opEnd) - dst);
}
