// LZF (h5py's filter 32000, liblzf's stream format), written from the format:
//   000LLLLL                  a run of L+1 literal bytes follows
//   LLLooooo oooooooo         back reference, length L+2 (L in 1..6), distance o+1
//   111ooooo LLLLLLLL oooooooo back reference, length L+9, distance o+1
// Distances reach 8192 bytes, lengths 264. As in lz4.ts, buffers have SLACK
// bytes after them for 16-byte copies.

import { copyMatch } from "./copy";
import { LZF_TABLE, LZF_VALUES } from "./layout";

/**
 * Decodes a stream; returns the bytes written, or a negative code:
 * -1 output overflow, -2 input truncated in a literal run, -3 input truncated
 * in a back reference, -4 a reference before the start of the output.
 */
export function lzfDecode(src: usize, srcLen: usize, dst: usize, dstCap: usize): isize {
  let ip = src;
  let op = dst;
  const inEnd = src + srcLen;
  const outEnd = dst + dstCap;
  while (ip < inEnd) {
    let ctrl = <usize>load<u8>(ip++);
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outEnd) return -1;
      if (ip + ctrl > inEnd) return -2;
      v128.store(op, v128.load(ip));
      if (ctrl > 16) v128.store(op + 16, v128.load(ip + 16));
      ip += ctrl;
      op += ctrl;
    } else {
      let len = ctrl >> 5;
      if (ip >= inEnd) return -3;
      if (len == 7) {
        len += <usize>load<u8>(ip++);
        if (ip >= inEnd) return -3;
      }
      const dist = ((ctrl & 0x1f) << 8) + 1 + <usize>load<u8>(ip++);
      len += 2;
      if (op + len > outEnd) return -1;
      if (dist > op - dst) return -4;
      copyMatch(op, dist, len);
      op += len;
    }
  }
  return <isize>(op - dst);
}

const HASH_LOG = 14;
const MAX_DISTANCE: usize = 8192;
const MAX_MATCH: usize = 264;

// @ts-ignore: decorator
@inline function hash3(v: u32): usize {
  return <usize>((v * 0x9e3779b1) >> (32 - HASH_LOG));
}

/** Clears the tables (positions 0, values -1); once, before the first lzfEncode. */
export function lzfReset(): void {
  memory.fill(LZF_TABLE, 0, 4 << HASH_LOG);
  memory.fill(LZF_VALUES, 0xff, 4 << HASH_LOG);
}

/**
 * Compresses `n` bytes at `src` into `dst`; returns the compressed length, or
 * 0 when it does not fit in `dstCap` (h5py then stores the chunk raw). A hash
 * of the next 3 bytes finds a candidate; beside each position the table keeps
 * the 3 bytes that were there, so most candidates are refused by one compare.
 * Candidates are verified, so the tables need no reset between calls.
 */
export function lzfEncode(src: usize, n: usize, dst: usize, dstCap: usize): usize {
  if (n == 0 || dstCap < 4) return 0;
  const limit = dst + dstCap - 4; // room for one back reference plus a control byte
  const end = src + n;
  let op = dst + 1; // the control byte of the first literal run
  let run: usize = 0;
  let ip = src;
  let v: u32 = n > 1 ? (<u32>load<u8>(src) << 8) | <u32>load<u8>(src + 1) : 0;
  while (ip + 2 < end) {
    if (op >= limit) return 0;
    v = ((v << 8) | <u32>load<u8>(ip + 2)) & 0xffffff;
    const h = hash3(v) << 2;
    const pos = ip - src;
    const ref = <usize>load<i32>(LZF_TABLE + h);
    const same = load<i32>(LZF_VALUES + h) == <i32>v;
    store<i32>(LZF_TABLE + h, <i32>pos);
    store<i32>(LZF_VALUES + h, <i32>v);
    if (same && ref < pos && pos - ref <= MAX_DISTANCE) {
      const r = src + ref;
      const dist = pos - ref;
      let len: usize = 3;
      const maxLen = min(MAX_MATCH, end - ip);
      // the value may come from an earlier chunk: the 3 bytes are checked too
      if (load<u16>(r) == load<u16>(ip) && load<u8>(r + 2) == load<u8>(ip + 2)) {
        while (len + 8 <= maxLen) {
          const x = load<u64>(r + len) ^ load<u64>(ip + len);
          if (x != 0) {
            len += <usize>(ctz(x) >> 3);
            break;
          }
          len += 8;
        }
        if (len + 8 > maxLen) while (len < maxLen && load<u8>(r + len) == load<u8>(ip + len)) len++;
        if (run > 0) store<u8>(op - run - 1, <u8>(run - 1));
        else op--; // the reserved control byte is not needed
        const l = len - 2;
        const off = dist - 1;
        if (l < 7) store<u8>(op++, <u8>((l << 5) | (off >> 8)));
        else {
          store<u8>(op++, <u8>((7 << 5) | (off >> 8)));
          store<u8>(op++, <u8>(l - 7));
        }
        store<u8>(op++, <u8>off);
        op++; // control byte of the next literal run
        run = 0;
        ip += len;
        // index the match's last position so the next one can chain onto it
        if (ip + 2 < end) {
          const p = ip - 1;
          const pv = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p + 1) << 8) | <u32>load<u8>(p + 2);
          const ph = hash3(pv) << 2;
          store<i32>(LZF_TABLE + ph, <i32>(p - src));
          store<i32>(LZF_VALUES + ph, <i32>pv);
        }
        v = ip + 1 < end ? (<u32>load<u8>(ip) << 8) | <u32>load<u8>(ip + 1) : 0;
        continue;
      }
    }
    store<u8>(op++, load<u8>(ip++));
    if (++run == 32) {
      store<u8>(op - 33, 31);
      op++;
      run = 0;
    }
  }
  while (ip < end) {
    if (op >= limit + 3) return 0;
    store<u8>(op++, load<u8>(ip++));
    if (++run == 32) {
      store<u8>(op - 33, 31);
      op++;
      run = 0;
    }
  }
  if (run > 0) store<u8>(op - run - 1, <u8>(run - 1));
  else op--;
  return op - dst;
}
