// LZ4 blocks (the raw block format: what blosc's lz4 streams and numcodecs'
// LZ4 codec hold), written from the format description: a sequence is a
// token (literal length, match length - 4), the literals, a 2-byte offset
// and the match; the last 5 bytes are always literals and the last match
// starts at least 12 bytes before the end.
//
// Pointers are offsets into this module's memory. The caller leaves at least
// SLACK bytes after both the input and the output: copies go 16 bytes at a
// time and may run past a sequence's end (and are overwritten by the next).

import { copyMatch } from "./copy";
import { LZ4_TABLE } from "./layout";

/** Decodes one block; returns the bytes written, or -1 for a corrupt block. */
export function lz4Decode(src: usize, srcLen: usize, dst: usize, dstCap: usize): isize {
  let s = src;
  let d = dst;
  const sEnd = src + srcLen;
  const dEnd = dst + dstCap;
  while (s < sEnd) {
    const token = <usize>load<u8>(s++);
    let lit = token >> 4;
    if (lit == 15) {
      let b: usize;
      do {
        b = <usize>load<u8>(s++);
        lit += b;
      } while (b == 255 && s < sEnd);
    }
    if (s + lit > sEnd || d + lit > dEnd) return -1;
    if (lit <= 16) v128.store(d, v128.load(s));
    else memory.copy(d, s, lit);
    s += lit;
    d += lit;
    if (s >= sEnd) break;
    if (s + 2 > sEnd) return -1;
    const off = <usize>load<u16>(s);
    s += 2;
    let ml = token & 15;
    if (ml == 15) {
      let b: usize;
      do {
        b = <usize>load<u8>(s++);
        ml += b;
      } while (b == 255 && s < sEnd);
    }
    ml += 4;
    if (off == 0 || off > d - dst || d + ml > dEnd) return -1;
    copyMatch(d, off, ml);
    d += ml;
  }
  return <isize>(d - dst);
}

const HASH_LOG = 12;
const MIN_MATCH: usize = 4;
const LAST_LITERALS: usize = 5;
const MF_LIMIT: usize = 12;
/** After this many misses in a row the search steps over more bytes (incompressible data passes quickly). */
const SKIP_TRIGGER = 6;

// @ts-ignore: decorator
@inline function hash4(v: u32): usize {
  return <usize>((v * 2654435761) >> (32 - HASH_LOG));
}

// @ts-ignore: decorator
@inline function putLiterals(from: usize, lit: usize, op: usize): usize {
  if (lit >= 15) {
    store<u8>(op++, 0xf0);
    let l = lit - 15;
    while (l >= 255) {
      store<u8>(op++, 255);
      l -= 255;
    }
    store<u8>(op++, <u8>l);
  } else store<u8>(op++, <u8>(lit << 4));
  if (lit <= 16) v128.store(op, v128.load(from));
  else memory.copy(op, from, lit);
  return op + lit;
}

/**
 * Compresses `n` bytes at `src` into one block at `dst` (greedy, one hash
 * probe, as lz4's fast mode); returns the compressed length, or 0 when it
 * does not fit in `dstCap`. `acceleration` as lz4's (blosc uses 10 - clevel).
 */
export function lz4Encode(src: usize, n: usize, dst: usize, dstCap: usize, acceleration: i32): usize {
  let op = dst;
  const opEnd = dst + dstCap;
  let anchor = src;
  if (n >= MF_LIMIT + 1) {
    const t = LZ4_TABLE;
    memory.fill(t, 0, 4 << HASH_LOG); // positions are stored + 1: 0 is empty
    const ipLimit = src + n - MF_LIMIT;
    const matchLimit = src + n - LAST_LITERALS;
    let ip = src + 1;
    store<u32>(t + (hash4(load<u32>(src)) << 2), 1);
    for (;;) {
      let ref: usize = 0;
      let found = false;
      let step: usize = 1;
      let misses = <usize>(max(1, acceleration) << SKIP_TRIGGER);
      while (ip <= ipLimit) {
        const seq = load<u32>(ip);
        const slot = t + (hash4(seq) << 2);
        const cand = <usize>load<u32>(slot);
        store<u32>(slot, <u32>(ip - src + 1));
        if (cand != 0) {
          const c = src + cand - 1;
          if (ip - c <= 65535 && load<u32>(c) == seq) {
            ref = c;
            found = true;
            break;
          }
        }
        ip += step;
        step = misses++ >> SKIP_TRIGGER;
      }
      if (!found) break;
      while (ip > anchor && ref > src && load<u8>(ip - 1) == load<u8>(ref - 1)) {
        ip--;
        ref--;
      }
      const lit = ip - anchor;
      if (op + lit + lit / 255 + 8 > opEnd) return 0;
      const token = op;
      op = putLiterals(anchor, lit, op);
      store<u16>(op, <u16>(ip - ref));
      op += 2;
      let p = ip + MIN_MATCH;
      let q = ref + MIN_MATCH;
      // 16 bytes a step (masked cells are mostly zeros: matches of kilobytes), then 8
      let ended = false;
      while (p + 16 <= matchLimit) {
        const same = i8x16.bitmask(i8x16.eq(v128.load(p), v128.load(q)));
        if (same != 0xffff) {
          p += <usize>ctz(~same);
          ended = true;
          break;
        }
        p += 16;
        q += 16;
      }
      while (!ended && p + 8 <= matchLimit) {
        const x = load<u64>(p) ^ load<u64>(q);
        if (x != 0) {
          p += <usize>(ctz(x) >> 3);
          ended = true;
          break;
        }
        p += 8;
        q += 8;
      }
      if (!ended) {
        q = ref + (p - ip);
        while (p < matchLimit && load<u8>(p) == load<u8>(q)) {
          p++;
          q++;
        }
      }
      let ml = p - ip - MIN_MATCH;
      if (ml >= 15) {
        store<u8>(token, load<u8>(token) | 15);
        ml -= 15;
        while (ml >= 255) {
          if (op >= opEnd) return 0;
          store<u8>(op++, 255);
          ml -= 255;
        }
        if (op >= opEnd) return 0;
        store<u8>(op++, <u8>ml);
      } else store<u8>(token, load<u8>(token) | <u8>ml);
      ip = p;
      anchor = ip;
      if (ip > ipLimit) break;
      // index a position inside the match, so the next search can chain on
      store<u32>(t + (hash4(load<u32>(ip - 2)) << 2), <u32>(ip - 2 - src + 1));
    }
  }
  const lit = src + n - anchor;
  if (op + lit + lit / 255 + 2 > opEnd) return 0;
  return putLiterals(anchor, lit, op) - dst;
}
