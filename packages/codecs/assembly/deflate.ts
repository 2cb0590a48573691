// Deflate (RFC 1951) in a zlib wrapper (RFC 1950) with zlib's run-length
// parse (Z_RLE): a byte repeating the one before it for 3 to 258 bytes is a
// match at distance 1, anything else a literal. That is what masked float16
// cell planes need (most of each plane is zeros, the rest noisy low bytes no
// longer match would find), and it needs no hash table or window set up for
// each 32 KiB plane (zlib's cost a zero plane 2x ours). Each block
// (up to MAX_SYMS symbols) is written with its own Huffman codes, the fixed
// codes, or stored, whichever is smallest, so the output is never more than
// the input plus a few bytes a block.

import { DEFLATE_SYMS } from "./layout";

/** Symbols a block: literals (0-255) and matches (256 + length), u16 each at DEFLATE_SYMS. */
const MAX_SYMS: u32 = 32768;
const MAX_BITS: i32 = 15;
const MAX_CL_BITS: i32 = 7;
/** Alphabets this small (distances, code lengths) are sorted by insertion, not radix. */
const SMALL_ALPHABET: i32 = 32;

const LIT_FREQ = memory.data(288 * 4, 16);
const DIST_FREQ = memory.data(32 * 4, 16);
const CL_FREQ = memory.data(20 * 4, 16);
const LIT_LEN = memory.data(288, 16);
const DIST_LEN = memory.data(32, 16);
const CL_LEN = memory.data(20, 16);
const LIT_CODE = memory.data(288 * 2, 16);
/** The codes a block is written with, as code | length << 16: one load a symbol. */
const LIT_CL = memory.data(288 * 4, 16);
const DIST_CODE = memory.data(32 * 2, 16);
const CL_CODE = memory.data(20 * 2, 16);
const FIX_LIT_LEN = memory.data(288, 16);
const FIX_DIST_LEN = memory.data(32, 16);
const FIX_LIT_CODE = memory.data(288 * 2, 16);
const FIX_DIST_CODE = memory.data(32 * 2, 16);
/** Match length (3-258) -> its length code (0-28, symbol 257 + code). */
const LEN_SYM = memory.data(260, 16);
/** Code-length symbols of the header: (symbol | extra value << 8) as u16. */
const CL_SEQ = memory.data(320 * 2, 16);
/** Huffman construction: (freq << 9 | symbol) keys, sorted through SORTED with RADIX's counts; the in-place algorithm's array. */
const KEYS = memory.data(288 * 4, 16);
const SORTED = memory.data(288 * 4, 16);
const RADIX = memory.data(2 * 256 * 4, 16);
const WORK = memory.data(288 * 4, 16);
const BL_COUNT = memory.data(16 * 4, 16);
const NEXT_CODE = memory.data(16 * 4, 16);

const LEN_BASE: StaticArray<u16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** The order the code-length code lengths are sent in. */
const CL_ORDER: StaticArray<u8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

let ready = false;

// The bit writer: bits go in from the low end; after each put 8 bytes are
// stored and the whole bytes among them kept, so fewer than 8 bits stay held
// and no branch decides when to write (a flush on a test of the count
// mispredicted every few symbols and cost 2x). The output has room for the
// 8-byte stores past its end.
let bitBuf: u64 = 0;
let bitCnt: u64 = 0;
let out: usize = 0;

/** Puts `n` bits (at most 56 with the 7 held). */
// @ts-ignore: decorator
@inline function putBits(value: u64, n: u64): void {
  bitBuf |= value << bitCnt;
  bitCnt += n;
  store<u64>(out, bitBuf);
  out += <usize>(bitCnt >> 3);
  bitBuf >>= bitCnt & ~7;
  bitCnt &= 7;
}

/** Pads to a byte boundary: the bits held go out as one last byte. */
function flushBytes(): void {
  if (bitCnt > 0) store<u8>(out++, <u8>bitBuf);
  bitBuf = 0;
  bitCnt = 0;
}

/** The low `len` bits of `code` in reverse order (deflate sends Huffman codes from their top bit). */
// @ts-ignore: decorator
@inline function reverse(code: u32, len: u32): u32 {
  let r = ((code & 0x5555) << 1) | ((code >> 1) & 0x5555);
  r = ((r & 0x3333) << 2) | ((r >> 2) & 0x3333);
  r = ((r & 0x0f0f) << 4) | ((r >> 4) & 0x0f0f);
  r = ((r & 0x00ff) << 8) | ((r >> 8) & 0x00ff);
  return r >> (16 - len);
}

/** Canonical codes (bit-reversed, as deflate sends them) for `n` code lengths. */
function assignCodes(lens: usize, codes: usize, n: i32): void {
  memory.fill(BL_COUNT, 0, 16 * 4);
  for (let s = 0; s < n; s++) {
    const l = <usize>load<u8>(lens + s);
    store<u32>(BL_COUNT + 4 * l, load<u32>(BL_COUNT + 4 * l) + 1);
  }
  store<u32>(BL_COUNT, 0);
  let code: u32 = 0;
  for (let bits: usize = 1; bits <= 15; bits++) {
    code = (code + load<u32>(BL_COUNT + 4 * (bits - 1))) << 1;
    store<u32>(NEXT_CODE + 4 * bits, code);
  }
  for (let s = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + s);
    if (l == 0) continue;
    const c = load<u32>(NEXT_CODE + 4 * l);
    store<u32>(NEXT_CODE + 4 * l, c + 1);
    store<u16>(codes + 2 * s, <u16>reverse(c, l));
  }
}

/**
 * Huffman code lengths of at most `limit` bits for `n` frequencies (below
 * 2^16; at least two non-zero: the callers see to it). The used symbols are
 * sorted by frequency (two radix passes, stable: ties stay in symbol order;
 * a small alphabet by insertion, to the same order),
 * Moffat and Katajainen's in-place algorithm gives the optimal lengths, and
 * when the longest is too long the count of codes per length is brought
 * under the limit (the deepest codes move up, a shorter code splits) and the
 * lengths are dealt again, shortest to the most frequent.
 */
function buildLengths(freq: usize, n: i32, lens: usize, limit: i32): void {
  memory.fill(lens, 0, n);
  let m = 0;
  if (n <= SMALL_ALPHABET) {
    // the distance and code-length trees (30 and 19 symbols, a few used):
    // an insertion sort of the keys gives the radix passes' order (keys are
    // unique, ties by symbol) without their 2 x 256 counters
    for (let s = 0; s < n; s++) {
      const f = load<u32>(freq + 4 * s);
      if (f == 0) continue;
      const k = (f << 9) | <u32>s;
      let j = m++;
      while (j > 0 && load<u32>(KEYS + 4 * (j - 1)) > k) {
        store<u32>(KEYS + 4 * j, load<u32>(KEYS + 4 * (j - 1)));
        j--;
      }
      store<u32>(KEYS + 4 * j, k);
    }
  } else {
    m = radixSortKeys(freq, n);
  }
  huffmanLengths(m, lens, limit);
}

/** The used symbols' keys (freq << 9 | symbol) into KEYS, sorted (two stable radix passes over the frequency's bytes); returns how many. */
function radixSortKeys(freq: usize, n: i32): i32 {
  memory.fill(RADIX, 0, 2 * 256 * 4);
  let m = 0;
  for (let s = 0; s < n; s++) {
    const f = load<u32>(freq + 4 * s);
    if (f == 0) continue;
    store<u32>(KEYS + 4 * m++, (f << 9) | <u32>s);
    const lo = RADIX + 4 * <usize>(f & 0xff);
    store<u32>(lo, load<u32>(lo) + 1);
    const hi = RADIX + 1024 + 4 * <usize>((f >> 8) & 0xff);
    store<u32>(hi, load<u32>(hi) + 1);
  }
  // counts to start offsets, then scatter by the low byte and back by the high one
  let lo: u32 = 0;
  let hi: u32 = 0;
  for (let d: usize = 0; d < 256; d++) {
    const c0 = load<u32>(RADIX + 4 * d);
    store<u32>(RADIX + 4 * d, lo);
    lo += c0;
    const c1 = load<u32>(RADIX + 1024 + 4 * d);
    store<u32>(RADIX + 1024 + 4 * d, hi);
    hi += c1;
  }
  for (let i = 0; i < m; i++) {
    const k = load<u32>(KEYS + 4 * i);
    const at = RADIX + 4 * <usize>((k >> 9) & 0xff);
    const j = load<u32>(at);
    store<u32>(at, j + 1);
    store<u32>(SORTED + 4 * <usize>j, k);
  }
  for (let i = 0; i < m; i++) {
    const k = load<u32>(SORTED + 4 * i);
    const at = RADIX + 1024 + 4 * <usize>((k >> 17) & 0xff);
    const j = load<u32>(at);
    store<u32>(at, j + 1);
    store<u32>(KEYS + 4 * <usize>j, k);
  }
  return m;
}

/** Code lengths of at most `limit` bits into `lens` for the m sorted keys of KEYS. */
function huffmanLengths(m: i32, lens: usize, limit: i32): void {
  // phase 1: internal nodes' weights, parents as indices
  const A = WORK;
  for (let i = 0; i < m; i++) store<u32>(A + 4 * i, load<u32>(KEYS + 4 * i) >> 9);
  let root = 0;
  let leaf = 0;
  for (let next = 0; next < m - 1; next++) {
    if (leaf >= m || (root < next && load<u32>(A + 4 * root) < load<u32>(A + 4 * leaf))) {
      store<u32>(A + 4 * next, load<u32>(A + 4 * root));
      store<u32>(A + 4 * root++, next);
    } else store<u32>(A + 4 * next, load<u32>(A + 4 * leaf++));
    if (leaf >= m || (root < next && load<u32>(A + 4 * root) < load<u32>(A + 4 * leaf))) {
      store<u32>(A + 4 * next, load<u32>(A + 4 * next) + load<u32>(A + 4 * root));
      store<u32>(A + 4 * root++, next);
    } else store<u32>(A + 4 * next, load<u32>(A + 4 * next) + load<u32>(A + 4 * leaf++));
  }
  // phase 2: depths of the internal nodes
  store<u32>(A + 4 * (m - 2), 0);
  for (let next = m - 3; next >= 0; next--) store<u32>(A + 4 * next, load<u32>(A + 4 * load<u32>(A + 4 * next)) + 1);
  // phase 3: depths of the leaves, longest first (A[0], the rarest symbol)
  let avail = 1;
  let used = 0;
  let depth: u32 = 0;
  let r = m - 2;
  let nx = m - 1;
  while (avail > 0) {
    while (r >= 0 && load<u32>(A + 4 * r) == depth) {
      used++;
      r--;
    }
    while (avail > used) {
      store<u32>(A + 4 * nx--, depth);
      avail--;
    }
    avail = 2 * used;
    depth++;
    used = 0;
  }
  if (<i32>load<u32>(A) > limit) {
    // codes per length, the too long ones counted at the limit; then, while
    // the lengths claim more than the whole code space (Kraft's sum over 1),
    // one code at the limit goes and a shorter one splits into two
    memory.fill(BL_COUNT, 0, 16 * 4);
    for (let i = 0; i < m; i++) {
      const l = <usize>min(<i32>load<u32>(A + 4 * i), limit);
      store<u32>(BL_COUNT + 4 * l, load<u32>(BL_COUNT + 4 * l) + 1);
    }
    let total: u32 = 0;
    for (let l = 1; l <= limit; l++) total += load<u32>(BL_COUNT + 4 * l) << <u32>(limit - l);
    while (total != <u32>1 << <u32>limit) {
      store<u32>(BL_COUNT + 4 * limit, load<u32>(BL_COUNT + 4 * limit) - 1);
      for (let l = limit - 1; l > 0; l--) {
        const c = load<u32>(BL_COUNT + 4 * l);
        if (c != 0) {
          store<u32>(BL_COUNT + 4 * l, c - 1);
          store<u32>(BL_COUNT + 4 * (l + 1), load<u32>(BL_COUNT + 4 * (l + 1)) + 2);
          break;
        }
      }
      total--;
    }
    let j = m;
    for (let l = 1; l <= limit; l++) for (let c = load<u32>(BL_COUNT + 4 * l); c > 0; c--) store<u32>(A + 4 * --j, l);
  }
  for (let i = 0; i < m; i++) store<u8>(lens + <usize>(load<u32>(KEYS + 4 * i) & 511), <u8>load<u32>(A + 4 * i));
}

/** The header's code-length symbols for `n` lengths (zlib's scan of runs), counted into CL_FREQ; returns the new end of CL_SEQ. */
function scanLengths(lens: usize, n: i32, seq: usize): usize {
  let prev: i32 = -1;
  let nextLen = <i32>load<u8>(lens);
  let count = 0;
  let maxCount = nextLen == 0 ? 138 : 7;
  let minCount = nextLen == 0 ? 3 : 4;
  for (let i = 0; i < n; i++) {
    const cur = nextLen;
    nextLen = i + 1 < n ? <i32>load<u8>(lens + i + 1) : -1;
    if (++count < maxCount && cur == nextLen) continue;
    if (count < minCount) {
      for (let k = 0; k < count; k++) seq = emitCl(seq, cur, 0);
    } else if (cur != 0) {
      if (cur != prev) {
        seq = emitCl(seq, cur, 0);
        count--;
      }
      seq = emitCl(seq, 16, count - 3);
    } else if (count <= 10) seq = emitCl(seq, 17, count - 3);
    else seq = emitCl(seq, 18, count - 11);
    count = 0;
    prev = cur;
    if (nextLen == 0) {
      maxCount = 138;
      minCount = 3;
    } else if (cur == nextLen) {
      maxCount = 6;
      minCount = 3;
    } else {
      maxCount = 7;
      minCount = 4;
    }
  }
  return seq;
}

function emitCl(seq: usize, sym: i32, extra: i32): usize {
  store<u16>(seq, <u16>(sym | (extra << 8)));
  store<u32>(CL_FREQ + 4 * sym, load<u32>(CL_FREQ + 4 * sym) + 1);
  return seq + 2;
}

function init(): void {
  for (let c: usize = 0; c < 29; c++) {
    const base = <usize>unchecked(LEN_BASE[<i32>c]);
    const span: usize = c == 28 ? 1 : <usize>1 << <usize>unchecked(LEN_EXTRA[<i32>c]);
    for (let l = base; l < base + span && l <= 258; l++) store<u8>(LEN_SYM + l, <u8>c);
  }
  for (let s: usize = 0; s < 288; s++) store<u8>(FIX_LIT_LEN + s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  for (let s: usize = 0; s < 32; s++) store<u8>(FIX_DIST_LEN + s, 5);
  assignCodes(FIX_LIT_LEN, FIX_LIT_CODE, 288);
  assignCodes(FIX_DIST_LEN, FIX_DIST_CODE, 32);
  ready = true;
}

/** Bits of the symbols of a block under these code lengths (extra bits not counted). */
function symbolBits(litLen: usize, distLen: usize): u64 {
  let bits: u64 = 0;
  for (let s: usize = 0; s < 286; s++) bits += <u64>load<u32>(LIT_FREQ + 4 * s) * <u64>load<u8>(litLen + s);
  for (let s: usize = 0; s < 30; s++) bits += <u64>load<u32>(DIST_FREQ + 4 * s) * <u64>load<u8>(distLen + s);
  return bits;
}

/** The symbols of a block under these codes, then end of block. */
function writeSymbols(nsyms: u32, litLen: usize, litCode: usize, distLen: usize, distCode: usize): void {
  for (let s: usize = 0; s < 286; s++) store<u32>(LIT_CL + 4 * s, <u32>load<u16>(litCode + 2 * s) | (<u32>load<u8>(litLen + s) << 16));
  const dist = <u64>load<u16>(distCode);
  const distBits = <u64>load<u8>(distLen);
  let i: usize = 0;
  while (i < <usize>nsyms) {
    // three literals at once where there are three (45 bits at most): one
    // step of the bit writer's serial chain for three symbols
    const q = load<u64>(DEFLATE_SYMS + 2 * i);
    if (i + 3 <= <usize>nsyms && (q & 0xff00ff00ff00) == 0) {
      const e0 = load<u32>(LIT_CL + 4 * <usize>(q & 0xff));
      const e1 = load<u32>(LIT_CL + 4 * <usize>((q >> 16) & 0xff));
      const e2 = load<u32>(LIT_CL + 4 * <usize>((q >> 32) & 0xff));
      const n0 = <u64>(e0 >> 16);
      const n01 = n0 + <u64>(e1 >> 16);
      putBits(<u64>(e0 & 0xffff) | (<u64>(e1 & 0xffff) << n0) | (<u64>(e2 & 0xffff) << n01), n01 + <u64>(e2 >> 16));
      i += 3;
    } else {
      const s = <usize>(q & 0xffff);
      if (s < 256) {
        const e = load<u32>(LIT_CL + 4 * s);
        putBits(<u64>(e & 0xffff), <u64>(e >> 16));
      } else {
        // length code, extra bits, distance code: at most 15 + 5 + 15 bits
        const l = s - 256;
        const c = <usize>load<u8>(LEN_SYM + l);
        const e = load<u32>(LIT_CL + 4 * (257 + c));
        const n = <u64>(e >> 16);
        const extra = <u64>unchecked(LEN_EXTRA[<i32>c]);
        putBits(<u64>(e & 0xffff) | ((<u64>(l - <usize>unchecked(LEN_BASE[<i32>c]))) << n) | (dist << (n + extra)), n + extra + distBits);
      }
      i++;
    }
  }
  putBits(load<u16>(litCode + 2 * 256), load<u8>(litLen + 256));
}

/** One block of `nsyms` symbols covering src[start, end): dynamic, fixed or stored, the smallest. */
function writeBlock(src: usize, start: usize, end: usize, nsyms: u32, extraBits: u64, last: bool): void {
  store<u32>(LIT_FREQ + 4 * 256, 1); // end of block
  // at least two codes of each tree (the pkzip rule zlib keeps; inflaters expect it)
  if (load<u32>(DIST_FREQ) == 0) store<u32>(DIST_FREQ, 1);
  if (load<u32>(DIST_FREQ + 4) == 0) store<u32>(DIST_FREQ + 4, 1);
  let used = 0;
  for (let s: usize = 0; s < 286 && used < 2; s++) if (load<u32>(LIT_FREQ + 4 * s) != 0) used++;
  if (used < 2) store<u32>(LIT_FREQ, load<u32>(LIT_FREQ) + 1);
  buildLengths(LIT_FREQ, 286, LIT_LEN, MAX_BITS);
  buildLengths(DIST_FREQ, 30, DIST_LEN, MAX_BITS);
  let hlit = 286;
  while (hlit > 257 && load<u8>(LIT_LEN + hlit - 1) == 0) hlit--;
  let hdist = 30;
  while (hdist > 1 && load<u8>(DIST_LEN + hdist - 1) == 0) hdist--;
  memory.fill(CL_FREQ, 0, 20 * 4);
  let seqEnd = scanLengths(LIT_LEN, hlit, CL_SEQ);
  seqEnd = scanLengths(DIST_LEN, hdist, seqEnd);
  let clUsed = 0;
  for (let s: usize = 0; s < 19; s++) if (load<u32>(CL_FREQ + 4 * s) != 0) clUsed++;
  if (clUsed < 2) store<u32>(CL_FREQ + 4 * (load<u32>(CL_FREQ) == 0 ? 0 : 1), 1);
  buildLengths(CL_FREQ, 19, CL_LEN, MAX_CL_BITS);
  assignCodes(CL_LEN, CL_CODE, 19);
  let hclen = 19;
  while (hclen > 4 && load<u8>(CL_LEN + <usize>unchecked(CL_ORDER[hclen - 1])) == 0) hclen--;

  let dynBits: u64 = 3 + 14 + 3 * <u64>hclen + extraBits + symbolBits(LIT_LEN, DIST_LEN);
  for (let p = CL_SEQ; p < seqEnd; p += 2) {
    const v = <usize>load<u16>(p);
    const sym = v & 0xff;
    dynBits += <u64>load<u8>(CL_LEN + sym) + (sym == 16 ? 2 : sym == 17 ? 3 : sym == 18 ? 7 : 0);
  }
  const fixBits: u64 = 3 + extraBits + symbolBits(FIX_LIT_LEN, FIX_DIST_LEN);
  const bytes = end - start;
  const pieces: usize = bytes == 0 ? 1 : (bytes + 65534) / 65535;
  const storedBits: u64 = <u64>(bytes + pieces * 5) * 8 + 7;

  if (storedBits <= dynBits && storedBits <= fixBits) {
    let p = start;
    for (let k: usize = 0; k < pieces; k++) {
      const len = min(end - p, 65535);
      putBits(last && k == pieces - 1 ? 1 : 0, 3);
      flushBytes();
      store<u16>(out, <u16>len);
      store<u16>(out + 2, <u16>~len);
      out += 4;
      memory.copy(out, src + p, len);
      out += len;
      p += len;
    }
  } else if (fixBits <= dynBits) {
    putBits(last ? 3 : 2, 3);
    writeSymbols(nsyms, FIX_LIT_LEN, FIX_LIT_CODE, FIX_DIST_LEN, FIX_DIST_CODE);
  } else {
    assignCodes(LIT_LEN, LIT_CODE, 286);
    assignCodes(DIST_LEN, DIST_CODE, 30);
    putBits(last ? 5 : 4, 3);
    putBits(<u32>(hlit - 257), 5);
    putBits(<u32>(hdist - 1), 5);
    putBits(<u32>(hclen - 4), 4);
    for (let i = 0; i < hclen; i++) putBits(load<u8>(CL_LEN + <usize>unchecked(CL_ORDER[i])), 3);
    for (let p = CL_SEQ; p < seqEnd; p += 2) {
      const v = <u32>load<u16>(p);
      const sym = <usize>(v & 0xff);
      putBits(load<u16>(CL_CODE + 2 * sym), load<u8>(CL_LEN + sym));
      if (sym >= 16) putBits(v >> 8, sym == 16 ? 2 : sym == 17 ? 3 : 7);
    }
    writeSymbols(nsyms, LIT_LEN, LIT_CODE, DIST_LEN, DIST_CODE);
  }
}

/** Adler-32 of n bytes: 16 bytes a step in SIMD lanes, reduced every 5,552 bytes (zlib's NMAX) before the sums can overflow. */
export function adler32(p: usize, n: usize, start: u32): u32 {
  let a: u32 = start & 0xffff;
  let b: u32 = start >>> 16;
  const W_HI = i16x8(16, 15, 14, 13, 12, 11, 10, 9);
  const W_LO = i16x8(8, 7, 6, 5, 4, 3, 2, 1);
  while (n >= 16) {
    const k = min(n >> 4, 5552 / 16);
    let vs1 = i32x4.splat(0);
    let vs2 = i32x4.splat(0);
    let vps = i32x4.splat(0);
    for (let i: usize = 0; i < k; i++) {
      const v = v128.load(p);
      p += 16;
      vps = i32x4.add(vps, vs1);
      vs1 = i32x4.add(vs1, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
      vs2 = i32x4.add(vs2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), W_HI));
      vs2 = i32x4.add(vs2, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), W_LO));
    }
    const s1 = <u64>(i32x4.extract_lane(vs1, 0) + i32x4.extract_lane(vs1, 1) + i32x4.extract_lane(vs1, 2) + i32x4.extract_lane(vs1, 3));
    const ps = <u64>(i32x4.extract_lane(vps, 0) + i32x4.extract_lane(vps, 1) + i32x4.extract_lane(vps, 2) + i32x4.extract_lane(vps, 3));
    const s2 = <u64>(i32x4.extract_lane(vs2, 0) + i32x4.extract_lane(vs2, 1) + i32x4.extract_lane(vs2, 2) + i32x4.extract_lane(vs2, 3));
    b = <u32>((<u64>b + <u64>a * <u64>(16 * k) + 16 * ps + s2) % 65521);
    a = <u32>((<u64>a + s1) % 65521);
    n -= k << 4;
  }
  for (let i: usize = 0; i < n; i++) {
    a += <u32>load<u8>(p + i);
    b += a;
  }
  return ((b % 65521) << 16) | (a % 65521);
}

/**
 * Compresses `n` bytes at `src` as a zlib stream into `dst`; returns its
 * length. `dst` has room for stored blocks at worst (n, plus 5 bytes a 65,535
 * and a block every 32,768 symbols), the header and checksum, and the bit
 * writer's 8-byte stores past the end (src/kernels.ts sizes it).
 */
export function deflateRle(src: usize, n: usize, dst: usize): usize {
  if (!ready) init();
  out = dst;
  bitBuf = 0;
  bitCnt = 0;
  store<u16>(out, 0x0178); // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest): a multiple of 31
  out += 2;
  const end = src + n;
  let i = src;
  // one block at least: an empty input is an empty final block
  do {
    memory.fill(LIT_FREQ, 0, 288 * 4);
    memory.fill(DIST_FREQ, 0, 32 * 4);
    const start = i;
    let nsyms: u32 = 0;
    let extraBits: u64 = 0;
    let matches: u32 = 0;
    while (i < end && nsyms < MAX_SYMS) {
      // A run starts where the byte before and the next three are one value.
      // 16 positions a step: where none starts, 16 literals.
      if (i > src && i + 18 <= end) {
        const b = v128.load(i);
        const c = v128.load(i + 1);
        const starts = i8x16.bitmask(v128.and(v128.and(i8x16.eq(v128.load(i - 1), b), i8x16.eq(b, c)), i8x16.eq(c, v128.load(i + 2))));
        const lits = min(<usize>(starts == 0 ? 16 : ctz(starts)), <usize>(MAX_SYMS - nsyms));
        if (lits > 0) {
          // the symbols are the bytes widened (stores may pass the block's end: the buffer has room)
          const at = DEFLATE_SYMS + 2 * <usize>nsyms;
          v128.store(at, i16x8.extend_low_i8x16_u(b));
          v128.store(at + 16, i16x8.extend_high_i8x16_u(b));
          for (let k: usize = 0; k < lits; k++) {
            const f = LIT_FREQ + 4 * <usize>load<u8>(i + k);
            store<u32>(f, load<u32>(f) + 1);
          }
          i += lits;
          nsyms += <u32>lits;
          continue;
        }
      }
      const w = i > src && i + 3 <= end ? load<u32>(i - 1) : 1;
      if (((w ^ (w >> 8)) & 0xffffff) == 0) {
        // the run's length: 8 bytes a step against the repeated byte
        const limit = min(end - i, 258);
        const pattern = <u64>(w & 0xff) * 0x0101010101010101;
        let run: usize = 3;
        while (run + 8 <= limit) {
          const x = load<u64>(i + run) ^ pattern;
          if (x != 0) {
            run += <usize>(ctz(x) >> 3);
            break;
          }
          run += 8;
        }
        if (run + 8 > limit) while (run < limit && <u32>load<u8>(i + run) == (w & 0xff)) run++;
        store<u16>(DEFLATE_SYMS + 2 * <usize>nsyms, <u16>(256 + run));
        const c = <usize>load<u8>(LEN_SYM + run);
        store<u32>(LIT_FREQ + 4 * (257 + c), load<u32>(LIT_FREQ + 4 * (257 + c)) + 1);
        extraBits += <u64>unchecked(LEN_EXTRA[<i32>c]);
        matches++;
        i += run;
      } else {
        const byte = <usize>load<u8>(i);
        store<u16>(DEFLATE_SYMS + 2 * <usize>nsyms, <u16>byte);
        store<u32>(LIT_FREQ + 4 * byte, load<u32>(LIT_FREQ + 4 * byte) + 1);
        i++;
      }
      nsyms++;
    }
    store<u32>(DIST_FREQ, matches);
    writeBlock(src, start - src, i - src, nsyms, extraBits, i >= end);
  } while (i < end);
  flushBytes();
  const adler = adler32(src, n, 1);
  store<u32>(out, bswap(adler));
  out += 4;
  return out - dst;
}
