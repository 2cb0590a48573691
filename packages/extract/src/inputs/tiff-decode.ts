// Decoding a TIFF page's chunks (tiles or strips) into windows of its
// samples, as functions over bytes (no file): decompress (deflate and LZW
// through @cellfolio/codecs, JPEG 2000 through tiff-jpeg2000.ts), undo the
// predictor and the byte order, then copy the part of the chunk a window
// needs into its planes. tiff.ts drives them over a file.
import { inflate, inflateSync, kernels } from "@cellfolio/codecs";
import type { PixelType } from "./source.js";
import { type TiffPage, TiffUnsupported } from "./tiff-format.js";
import { decodeJpeg2000, JPEG2000_CODES, loadJpeg2000 } from "./tiff-jpeg2000.js";

/** Whether a page's chunks are JPEG 2000 codestreams (decoded samples come little-endian). */
export function isJpeg2000(p: TiffPage): boolean {
  return JPEG2000_CODES.includes(p.compression);
}

/** Whether a page's codec runs on the calling thread (LZW, JPEG 2000: WebAssembly), so its chunks are worth decoding on the reader's threads (tile-pool.ts); deflate runs on libuv's. */
export function decodesOnCallingThread(p: TiffPage): boolean {
  return p.compression === 5 || isJpeg2000(p);
}

/** The pixel type of a page, or TiffUnsupported for what this decoder leaves to another reader. */
export function pagePixelType(p: TiffPage): PixelType {
  if (isJpeg2000(p)) {
    // one integer sample of 8 or 16 bits a chunk (OpenJPEG and imagecodecs both lose 32-bit samples)
    if (chunkSamples(p) !== 1 || p.predictor !== 1 || p.format === 3 || p.bits > 16) {
      throw new TiffUnsupported(`page ${p.index}: JPEG 2000 chunks of ${chunkSamples(p)} interleaved ${p.bits}-bit sample(s), predictor ${p.predictor}, sample format ${p.format}`);
    }
  } else if (![1, 5, 8, 32946].includes(p.compression)) throw new TiffUnsupported(`page ${p.index}: compression ${p.compression}`);
  if (![1, 2, 3].includes(p.predictor)) throw new TiffUnsupported(`page ${p.index}: predictor ${p.predictor}`);
  if (p.predictor === 3 && p.format !== 3) throw new TiffUnsupported(`page ${p.index}: floating-point predictor on integers`);
  if (p.planar !== 1 && p.planar !== 2) throw new TiffUnsupported(`page ${p.index}: planar configuration ${p.planar}`);
  const { bits, format } = p;
  if (format === 3 && bits === 32) return "float32";
  if (format === 3 && bits === 64) return "float64";
  if (format === 1 || format === 2) {
    const signed = format === 2;
    if (bits === 8) return signed ? "int8" : "uint8";
    if (bits === 16) return signed ? "int16" : "uint16";
    if (bits === 32) return signed ? "int32" : "uint32";
    // numpy's default integer, so often a label mask's: read as float64 (finishChunk),
    // exact below 2^53, as ZarrSource reads int64. Not differenced (predictor 2):
    // tifffile does not write that, and geotiff's reader then says what to do.
    if (bits === 64 && p.predictor === 1) return "float64";
  }
  throw new TiffUnsupported(`page ${p.index}: ${bits}-bit samples of format ${format}`);
}

/** Whether a page holds 64-bit integers (read as float64). */
function isInt64(p: TiffPage): boolean {
  return p.bits === 64 && (p.format === 1 || p.format === 2);
}

/** The type a page stores, as numpy names it (its 64-bit integers are int64 / uint64, read as float64): pages of one channel set must agree. */
export function pageStoredType(p: TiffPage): string {
  const read = pagePixelType(p); // TiffUnsupported for what this decoder leaves to geotiff
  return isInt64(p) ? (p.format === 2 ? "int64" : "uint64") : read;
}

/** Chunks across and down one sample plane (strips: one across). */
export function chunkGrid(p: TiffPage): { across: number; down: number } {
  return { across: Math.ceil(p.width / p.chunkWidth), down: Math.ceil(p.height / p.chunkHeight) };
}

/** Samples interleaved in one chunk: all of them (chunky) or one (planar). */
export function chunkSamples(p: TiffPage): number {
  return p.planar === 2 ? 1 : p.samples;
}

/** Rows a chunk holds: tiles are whole (padded at the edges), the last strip may be shorter. */
export function chunkRows(p: TiffPage, row: number): number {
  return p.tiled ? p.chunkHeight : Math.min(p.chunkHeight, p.height - row * p.chunkHeight);
}

/** Bytes of one decoded row of a chunk. */
export function chunkRowBytes(p: TiffPage): number {
  return p.chunkWidth * chunkSamples(p) * (p.bits / 8);
}

/**
 * TIFF's LZW (MSB-first codes of 9 to 12 bits, Clear 256, End 257, the code
 * width growing one code early) into `size` bytes; stops at End, at the end of
 * the input, or once `size` bytes are out. Typed arrays only: the table keeps
 * each code's prefix, last byte and length, and a string is written backwards.
 */
export function lzwDecode(src: Uint8Array, size: number): Uint8Array {
  // Room for one string past `size`, so a write never checks bounds.
  const out = new Uint8Array(size + 4097);
  const prefix = new Uint16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    length[i] = 1;
  }
  const n = src.length;
  // Bits not yet used, the oldest highest: at most 12 + 7 of them.
  let acc = 0;
  let held = 0;
  let at = 0;
  let width = 9;
  let next = 258;
  let old = -1;
  let pos = 0;
  while (pos < size) {
    while (held < width && at < n) {
      acc = (acc << 8) | src[at++];
      held += 8;
    }
    if (held < width) break;
    held -= width;
    const code = (acc >>> held) & ((1 << width) - 1);
    acc &= (1 << held) - 1;
    if (code === 257) break;
    if (code === 256) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new Error(`LZW: code ${code} right after a clear; expected a byte`);
      out[pos++] = code;
      old = code;
      continue;
    }
    let len: number;
    if (code < 256) {
      len = 1;
      out[pos] = code;
    } else if (code < next) {
      len = length[code];
      let c = code;
      for (let k = len - 1; k >= 0; k--) {
        out[pos + k] = suffix[c];
        c = prefix[c];
      }
    } else if (code === next) {
      // The string of `old` and its own first byte (the KwKwK case).
      len = length[old] + 1;
      let c = old;
      for (let k = len - 2; k >= 0; k--) {
        out[pos + k] = suffix[c];
        c = prefix[c];
      }
      out[pos + len - 1] = out[pos];
    } else {
      throw new Error(`LZW: code ${code} beyond the table (${next} codes)`);
    }
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = out[pos];
      length[next] = length[old] + 1;
      next++;
      if (next + 1 >= 1 << width && width < 12) width++;
    }
    pos += len;
    old = code;
  }
  return out.subarray(0, size);
}

/**
 * The chunk's bytes as stored, decompressed (to `size` bytes, or fewer for a
 * short stream). LZW goes through @cellfolio/codecs' WebAssembly decoder
 * (lzwDecode above is the reference it is tested against: same bytes,
 * bench/codecs.mjs times both against imagecodecs).
 */
export function decompressSync(p: TiffPage, bytes: Uint8Array, size: number): Uint8Array {
  if (p.compression === 1) return bytes;
  if (p.compression === 5) {
    const out = new Uint8Array(size);
    kernels().lzwDecode(bytes, out);
    return out;
  }
  if (isJpeg2000(p)) return decodeJpeg2000(bytes, size, p.chunkWidth, size / chunkRowBytes(p), p.bits);
  return inflateSync(bytes, "zlib", size);
}

/**
 * decompressSync, with deflate off the calling thread where the platform can
 * (Node: libuv's threadpool, so chunks inflate in parallel) and the JPEG 2000
 * decoder loaded first.
 */
export async function decompress(p: TiffPage, bytes: Uint8Array, size: number): Promise<Uint8Array> {
  if (p.compression === 8 || p.compression === 32946) return inflate(bytes, "zlib", size);
  if (isJpeg2000(p)) await loadJpeg2000();
  return decompressSync(p, bytes, size);
}

const littleEndianPlatform = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Decompressed rows of a chunk -> samples in this platform's byte order, the
 * predictor undone, 64-bit integers made float64 (pagePixelType), `rows`
 * rows of `chunkRowBytes(p)` bytes, aligned for a typed view. Works in place
 * when it can; returns the bytes to read.
 */
export function finishChunk(p: TiffPage, raw: Uint8Array, rows: number): Uint8Array {
  const bytes = p.bits / 8;
  const need = rows * chunkRowBytes(p);
  let data = raw;
  // A short stream (some writers end the last tile early) reads as zeros; an aligned copy for typed views.
  if (data.length < need || data.byteOffset % bytes !== 0) {
    const copy = new Uint8Array(need);
    copy.set(data.subarray(0, Math.min(need, data.length)));
    data = copy;
  } else if (data.length > need) data = data.subarray(0, need);
  if (p.predictor === 3) return undoFloatPredictor(p, data, rows);
  // JPEG 2000 samples come out of its decoder little-endian, whatever the file's order
  const littleEndian = isJpeg2000(p) || p.littleEndian;
  if (bytes > 1 && littleEndian !== littleEndianPlatform) swapBytes(data, bytes);
  if (p.predictor === 2) undoDifferencing(p, data, rows);
  if (isInt64(p)) int64ToFloat64(data, p.format === 2);
  return data;
}

/** Where the low and the high 32-bit half of a 64-bit sample lie, in this platform's order. */
const LO = littleEndianPlatform ? 0 : 1;
const HI = 1 - LO;

/** 64-bit integers (this platform's order) -> float64 in place, from their 32-bit halves: no BigInt a sample. Exact below 2^53. */
function int64ToFloat64(d: Uint8Array, signed: boolean): void {
  const u = new Uint32Array(d.buffer, d.byteOffset, d.length / 4);
  const f = new Float64Array(d.buffer, d.byteOffset, d.length / 8);
  for (let i = 0; i < f.length; i++) {
    const hi = u[2 * i + HI];
    const lo = u[2 * i + LO];
    f[i] = (signed ? hi | 0 : hi) * 4294967296 + lo;
  }
}

function swapBytes(d: Uint8Array, bytes: number): void {
  for (let i = 0; i + bytes <= d.length; i += bytes) {
    for (let a = i, b = i + bytes - 1; a < b; a++, b--) {
      const t = d[a];
      d[a] = d[b];
      d[b] = t;
    }
  }
}

/** Predictor 2: each sample was stored as the difference to the same sample of the pixel to its left (integer, wrapping). */
function undoDifferencing(p: TiffPage, d: Uint8Array, rows: number): void {
  const spp = chunkSamples(p);
  const n = p.chunkWidth * spp;
  const a = p.bits === 8 ? d : p.bits === 16 ? new Uint16Array(d.buffer, d.byteOffset, d.length / 2) : p.bits === 32 ? new Uint32Array(d.buffer, d.byteOffset, d.length / 4) : null;
  if (!a) throw new TiffUnsupported(`page ${p.index}: horizontal differencing of ${p.bits}-bit samples`);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = o + spp; i < o + n; i++) a[i] += a[i - spp];
  }
}

/**
 * Predictor 3 (floating point): each row holds its samples' bytes as planes,
 * most significant first, each byte differenced from the one `spp` before it.
 */
function undoFloatPredictor(p: TiffPage, d: Uint8Array, rows: number): Uint8Array {
  const bytes = p.bits / 8;
  const spp = chunkSamples(p);
  const n = p.chunkWidth * spp;
  const rowBytes = n * bytes;
  const out = new Uint8Array(d.length);
  for (let r = 0; r < rows; r++) {
    const o = r * rowBytes;
    for (let i = o + spp; i < o + rowBytes; i++) d[i] = (d[i] + d[i - spp]) & 255;
    for (let s = 0; s < n; s++) {
      for (let b = 0; b < bytes; b++) {
        // Plane b holds byte b counted from the most significant end.
        const dst = littleEndianPlatform ? bytes - 1 - b : b;
        out[o + s * bytes + dst] = d[o + b * n + s];
      }
    }
  }
  return out;
}

/** Typed arrays a window plane may be. */
type Plane = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * Copies the part of a finished chunk (chunk column `cx`, row `cy`; `rowOffset`
 * when `data` starts at a row after the chunk's first) inside the window
 * [y0, y0 + h) x [x0, x0 + w) into `planes` (one per sample of the chunk, of
 * the page's type, h * w row-major).
 */
export function copyChunk(
  p: TiffPage,
  data: Uint8Array,
  cy: number,
  cx: number,
  rowOffset: number,
  y0: number,
  x0: number,
  h: number,
  w: number,
  planes: Plane[],
): void {
  const spp = chunkSamples(p);
  const T = planes[0].constructor as unknown as new (b: ArrayBufferLike, o: number, n: number) => Plane;
  const view = new T(data.buffer, data.byteOffset, data.length / (p.bits / 8));
  const top = cy * p.chunkHeight + rowOffset;
  const left = cx * p.chunkWidth;
  const rows = view.length / (p.chunkWidth * spp);
  const ya = Math.max(y0, top);
  const yb = Math.min(y0 + h, top + rows, p.height);
  const xa = Math.max(x0, left);
  const xb = Math.min(x0 + w, left + p.chunkWidth, p.width);
  if (ya >= yb || xa >= xb) return;
  const run = xb - xa;
  if (spp === 1) {
    // Rows copied as bytes: V8 copies between byte views of a SharedArrayBuffer
    // (the pipeline's bands) faster than between wider ones; the same bytes.
    const b = p.bits / 8;
    const into = planes[0];
    const dstBytes = new Uint8Array(into.buffer, into.byteOffset, into.length * b);
    for (let y = ya; y < yb; y++) {
      const src = ((y - top) * p.chunkWidth + (xa - left)) * b;
      const dst = ((y - y0) * w + (xa - x0)) * b;
      dstBytes.set(data.subarray(src, src + run * b), dst);
    }
    return;
  }
  for (let y = ya; y < yb; y++) {
    const src = ((y - top) * p.chunkWidth + (xa - left)) * spp;
    const dst = (y - y0) * w + (xa - x0);
    for (let s = 0; s < spp; s++) {
      const plane = planes[s];
      for (let x = 0, i = src + s; x < run; x++, i += spp) plane[dst + x] = view[i];
    }
  }
}
