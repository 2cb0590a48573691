// LZF compression (h5py's filter 32000), written from the LZF stream format:
//   000LLLLL                 : a run of L+1 literal bytes follows
//   LLLooooo oooooooo        : back reference, length L+2 (L in 1..6), distance o+1
//   111ooooo LLLLLLLL oooooooo: back reference, length L+9, distance o+1
// Distances reach 8192 bytes, lengths 264. A hash of the next 3 bytes finds
// candidate matches; every candidate is verified, so the tables need no reset.
// Beside each position the table keeps the 3 bytes that were there: most
// candidates (on noisy cells nearly all) are refused by one compare with
// them instead of three loads at a random place of the chunk (160 -> 230 MB/s
// on the bench's cells, same output).

const TABLE = new Int32Array(1 << 14);
const VALUES = new Int32Array(1 << 14).fill(-1);

/**
 * Compresses `src` into `dst`; returns the compressed length, or 0 when the
 * output does not fit in `dst` (h5py then stores the chunk raw, with the
 * filter's bit set in the chunk's filter mask).
 */
export function lzfCompress(src: Uint8Array, dst: Uint8Array): number {
  return lzfCompressWith(src, dst, TABLE, VALUES);
}

/**
 * The compressor itself, self-contained (no outer references) so the worker
 * pool can run its source text; `table` is a 2^14 hash table of positions,
 * `values` the 3 bytes at each (-1 for none).
 */
export function lzfCompressWith(src: Uint8Array, dst: Uint8Array, table: Int32Array, values: Int32Array): number {
  const HASH_LOG = 14;
  const MAX_DISTANCE = 8192;
  const MAX_MATCH = 264;
  const n = src.length;
  if (n === 0) return 0;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const limit = dst.length - 4; // room for one back reference plus a control byte
  let op = 1; // dst[0] is the control byte of the first literal run
  let run = 0;
  let ip = 0;
  let v = n > 1 ? (src[0] << 8) | src[1] : 0; // the next 3 bytes, rolled one byte at a time
  while (ip + 2 < n) {
    if (op >= limit) return 0;
    v = ((v << 8) | src[ip + 2]) & 0xffffff;
    const h = Math.imul(v, 0x9e3779b1) >>> (32 - HASH_LOG);
    const ref = table[h];
    const same = values[h] === v;
    table[h] = ip;
    values[h] = v;
    const dist = ip - ref;
    // (the bytes are still checked: an entry left by another chunk may point at other bytes now)
    if (same && dist > 0 && dist <= MAX_DISTANCE && src[ref] === src[ip] && src[ref + 1] === src[ip + 1] && src[ref + 2] === src[ip + 2]) {
      let len = 3;
      const maxLen = Math.min(MAX_MATCH, n - ip);
      // 4 bytes per step while it can (long runs, e.g. the zeros around a cell)
      while (len + 4 <= maxLen && view.getUint32(ref + len, true) === view.getUint32(ip + len, true)) len += 4;
      while (len < maxLen && src[ref + len] === src[ip + len]) len++;
      if (run > 0) dst[op - run - 1] = run - 1;
      else op--; // the reserved control byte is not needed
      const l = len - 2;
      const off = dist - 1;
      if (l < 7) dst[op++] = (l << 5) | (off >> 8);
      else {
        dst[op++] = (7 << 5) | (off >> 8);
        dst[op++] = l - 7;
      }
      dst[op++] = off & 0xff;
      op++; // control byte of the next literal run
      run = 0;
      ip += len;
      // index the match's last position so the next one can chain onto it
      if (ip + 2 < n) {
        const p = ip - 1;
        const pv = (src[p] << 16) | (src[p + 1] << 8) | src[p + 2];
        const ph = Math.imul(pv, 0x9e3779b1) >>> (32 - HASH_LOG);
        table[ph] = p;
        values[ph] = pv;
      }
      v = ip + 1 < n ? (src[ip] << 8) | src[ip + 1] : 0;
      continue;
    }
    dst[op++] = src[ip++];
    if (++run === 32) {
      dst[op - 33] = 31;
      op++;
      run = 0;
    }
  }
  while (ip < n) {
    if (op >= limit + 3) return 0;
    dst[op++] = src[ip++];
    if (++run === 32) {
      dst[op - 33] = 31;
      op++;
      run = 0;
    }
  }
  if (run > 0) dst[op - run - 1] = run - 1;
  else op--;
  return op;
}
