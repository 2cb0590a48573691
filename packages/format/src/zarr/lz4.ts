// LZ4 blocks (the raw block format, no frame): what blosc's lz4 streams and
// numcodecs' LZ4 codec hold. Written from the format description: a sequence
// is a token (literal length, match length - 4), the literals, a 2-byte
// offset and the match; the last 5 bytes are always literals and the last
// match starts at least 12 bytes before the end.
//
// The encoder is ours rather than numcodecs' wasm build: copying a chunk into
// the wasm heap through embind cost more than compressing it (convert h5ad ->
// Zarr spent 16% of each codec worker in toWireType, 11% in the compressor).

/** Decodes one raw LZ4 block into `dst`; returns the bytes written. */
export function lz4DecodeBlock(src: Uint8Array, dst: Uint8Array): number {
  let s = 0;
  let d = 0;
  const sEnd = src.length;
  const dEnd = dst.length;
  while (s < sEnd) {
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        b = src[s++];
        lit += b;
      } while (b === 255 && s < sEnd);
    }
    if (s + lit > sEnd || d + lit > dEnd) throw new Error("lz4: corrupt block");
    if (lit < 16) for (let i = 0; i < lit; i++) dst[d++] = src[s++];
    else {
      dst.set(src.subarray(s, s + lit), d);
      s += lit;
      d += lit;
    }
    if (s >= sEnd) break;
    const off = src[s] | (src[s + 1] << 8);
    s += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        b = src[s++];
        ml += b;
      } while (b === 255 && s < sEnd);
    }
    ml += 4;
    let m = d - off;
    if (off === 0 || m < 0 || d + ml > dEnd) throw new Error("lz4: corrupt block");
    const end = d + ml;
    if (ml < 16) {
      while (d < end) dst[d++] = dst[m++];
    } else if (off === 1) {
      // a run of one byte (zeros outside the cell, after the byte shuffle)
      dst.fill(dst[m], d, end);
      d = end;
    } else {
      // Native copies; an overlapping match repeats its `off`-byte pattern,
      // copied in doubling runs (the runs of one float16 value: offset 2).
      // Measured on cell chunks: 1.8x faster than byte by byte.
      while (d < end) {
        const n = Math.min(d - m, end - d);
        dst.copyWithin(d, m, m + n);
        d += n;
      }
    }
  }
  return d;
}

const HASH_LOG = 12;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
/** After this many misses in a row the search steps over more bytes (incompressible data passes quickly). */
const SKIP_TRIGGER = 6;

const table = new Int32Array(1 << HASH_LOG);

/** The worst-case compressed size of `n` bytes. */
export function lz4Bound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Compresses `src` into `dst` as one LZ4 block (greedy, one hash probe, as
 * lz4's fast mode); returns the compressed length, or 0 when it does not fit
 * in `dst` (blosc then stores the block raw). `acceleration` as lz4's: after
 * a miss the search steps that many bytes (blosc uses 10 - clevel).
 */
export function lz4EncodeBlock(src: Uint8Array, dst: Uint8Array, acceleration = 1): number {
  const n = src.length;
  let op = 0;
  let anchor = 0;
  if (n >= MF_LIMIT + 1) {
    const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const t = table;
    t.fill(0); // positions are stored + 1: 0 is empty
    const ipLimit = n - MF_LIMIT;
    const matchLimit = n - LAST_LITERALS;
    let ip = 1;
    t[Math.imul(dv.getUint32(0, true), 2654435761) >>> (32 - HASH_LOG)] = 1;
    for (;;) {
      // Find a match of 4 bytes at ip.
      let ref = -1;
      let step = 1;
      let misses = Math.max(1, acceleration) << SKIP_TRIGGER;
      while (ip <= ipLimit) {
        const seq = dv.getUint32(ip, true);
        const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
        const cand = t[h] - 1;
        t[h] = ip + 1;
        if (cand >= 0 && ip - cand <= 65535 && dv.getUint32(cand, true) === seq) {
          ref = cand;
          break;
        }
        ip += step;
        step = misses++ >> SKIP_TRIGGER;
      }
      if (ref < 0) break;
      // Extend backwards over literals that also match.
      while (ip > anchor && ref > 0 && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }
      const lit = ip - anchor;
      if (op + lit + Math.floor(lit / 255) + 8 > dst.length) return 0;
      const token = op;
      op = putLiterals(src, anchor, lit, dst, op);
      const off = ip - ref;
      dst[op++] = off & 0xff;
      dst[op++] = off >>> 8;
      // Extend forwards, 4 bytes at a time while it can.
      let p = ip + MIN_MATCH;
      let q = ref + MIN_MATCH;
      while (p + 4 <= matchLimit && dv.getUint32(p, true) === dv.getUint32(q, true)) {
        p += 4;
        q += 4;
      }
      while (p < matchLimit && src[p] === src[q]) {
        p++;
        q++;
      }
      let ml = p - ip - MIN_MATCH;
      if (ml >= 15) {
        dst[token] |= 15;
        ml -= 15;
        while (ml >= 255) {
          if (op >= dst.length) return 0;
          dst[op++] = 255;
          ml -= 255;
        }
        if (op >= dst.length) return 0;
        dst[op++] = ml;
      } else dst[token] |= ml;
      ip = p;
      anchor = ip;
      if (ip > ipLimit) break;
      // Index a position inside the match, so the next search can chain on.
      t[Math.imul(dv.getUint32(ip - 2, true), 2654435761) >>> (32 - HASH_LOG)] = ip - 2 + 1;
    }
  }
  // The last literals.
  const lit = n - anchor;
  if (op + lit + Math.floor(lit / 255) + 2 > dst.length) return 0;
  return putLiterals(src, anchor, lit, dst, op);
}

/** A sequence's token (literal length; the match length is or-ed in after), its length bytes and literals; returns the next output position. */
function putLiterals(src: Uint8Array, from: number, lit: number, dst: Uint8Array, op: number): number {
  if (lit >= 15) {
    dst[op++] = 0xf0;
    let l = lit - 15;
    while (l >= 255) {
      dst[op++] = 255;
      l -= 255;
    }
    dst[op++] = l;
  } else dst[op++] = lit << 4;
  if (lit > 16) dst.set(src.subarray(from, from + lit), op);
  else for (let i = 0; i < lit; i++) dst[op + i] = src[from + i];
  return op + lit;
}

/** numcodecs' LZ4 codec: the decoded size (4 bytes, little endian), then one block. */
export function lz4EncodeFramed(src: Uint8Array, acceleration = 1): Uint8Array {
  const out = new Uint8Array(4 + lz4Bound(src.length));
  const n = lz4EncodeBlock(src, out.subarray(4), acceleration);
  out[0] = src.length & 0xff;
  out[1] = (src.length >>> 8) & 0xff;
  out[2] = (src.length >>> 16) & 0xff;
  out[3] = (src.length >>> 24) & 0xff;
  return out.slice(0, 4 + n);
}

/** numcodecs' LZ4 codec, decoded. */
export function lz4DecodeFramed(src: Uint8Array): Uint8Array {
  if (src.length < 4) throw new Error("lz4: shorter than its 4-byte size header");
  const size = (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0;
  const out = new Uint8Array(size);
  const n = lz4DecodeBlock(src.subarray(4), out);
  if (n !== size) throw new Error(`lz4: decoded ${n} bytes, header says ${size}`);
  return out;
}
