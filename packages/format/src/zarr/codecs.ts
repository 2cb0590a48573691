// Byte-level codecs of Zarr chunks: compressors (gzip, zlib, zstd, blosc, lz4),
// the byte shuffle, crc32c. Deflate through @cellfolio/codecs (node:zlib
// under Node, on the libuv threadpool; Compression Streams elsewhere). zstd
// (zarr-python 3's default) decodes natively where the platform has it, else
// with fzstd (65 KB of JavaScript). What is left to numcodecs' wasm builds,
// an optional peer loaded on first use (1.4 MB, most of an install's size):
// zstd encoding without native zstd (Node < 22.15, browsers), and blosc
// frames of blosclz / snappy / bit shuffle. Blosc is framed here: numcodecs'
// wasm blosc always writes typesize 4, which shuffles float16 and 8-byte data
// badly.
import { bloscHeader, deflate, inflate, kernels, shuffleBytes, unshuffle } from "@cellfolio/codecs";
import { decompress as fzstdDecompress } from "fzstd";
import { formatPlatform } from "../platform.js";
import { lz4DecodeFramed, lz4EncodeFramed } from "./lz4.js";

type WasmCodec = { encode(d: Uint8Array): Uint8Array | Promise<Uint8Array>; decode(d: Uint8Array): Uint8Array | Promise<Uint8Array> };

const wasmCache = new Map<string, Promise<WasmCodec>>();
function wasm(name: "zstd" | "blosc", config: Record<string, unknown>, what: string): Promise<WasmCodec> {
  const key = `${name}:${JSON.stringify(config)}`;
  let c = wasmCache.get(key);
  if (!c) {
    c = (async () => {
      // (the name in a variable: bundlers leave an optional package that is not installed alone)
      const specifier = name === "zstd" ? "numcodecs/zstd" : "numcodecs/blosc";
      let mod: any;
      try {
        mod = await import(/* @vite-ignore */ specifier);
      } catch (e) {
        throw new Error(`${what} needs the optional package numcodecs: npm install numcodecs (${(e as Error)?.message ?? e})`, { cause: e });
      }
      return mod.default.fromConfig({ id: name, ...config }) as WasmCodec;
    })();
    c.catch(() => wasmCache.delete(key));
    wasmCache.set(key, c);
  }
  return c;
}

/** A gzip stream starts 1f 8b; some writers label zlib streams gzip (and the reverse), so both are read either way. */
const isGzip = (data: Uint8Array): boolean => data[0] === 0x1f && data[1] === 0x8b;

export async function gzipEncode(data: Uint8Array, level: number): Promise<Uint8Array> {
  return deflate(data, "gzip", { level });
}
export async function gzipDecode(data: Uint8Array): Promise<Uint8Array> {
  return inflate(data, isGzip(data) ? "gzip" : "zlib");
}
export async function zlibEncode(data: Uint8Array, level: number): Promise<Uint8Array> {
  return deflate(data, "zlib", { level });
}
export async function zlibDecode(data: Uint8Array): Promise<Uint8Array> {
  return inflate(data, isGzip(data) ? "gzip" : "zlib");
}

export async function zstdEncode(data: Uint8Array, level: number): Promise<Uint8Array> {
  const native = formatPlatform().zstd;
  if (native) return native.compress(data, level);
  return (await wasm("zstd", { level }, "zstd compression on this platform (Node < 22.15 or a browser)")).encode(data);
}
export async function zstdDecode(data: Uint8Array): Promise<Uint8Array> {
  const native = formatPlatform().zstd;
  if (native) return native.decompress(data);
  return fzstdDecompress(data);
}

export async function lz4Decode(data: Uint8Array): Promise<Uint8Array> {
  return lz4DecodeFramed(data);
}
export async function lz4Encode(data: Uint8Array): Promise<Uint8Array> {
  return lz4EncodeFramed(data);
}

export async function bloscDecode(data: Uint8Array): Promise<Uint8Array> {
  const { nbytes } = bloscHeader(data);
  // lz4 frames (zarr-python's default) in one WebAssembly call; corrupt ones throw there
  const lz4 = kernels().bloscDecode(data);
  if (lz4) return lz4;
  const fast = await bloscDecodeJs(data);
  if (fast) return fast;
  const out = await (await wasm("blosc", { cname: "lz4", clevel: 5, shuffle: 1 }, "a blosc frame of blosclz, snappy or bit shuffle")).decode(data);
  if (out.length !== nbytes) throw new Error(`blosc: decoded ${out.length} bytes, header says ${nbytes}`);
  return out;
}

/**
 * Blosc 1 frames of zlib / zstd streams with byte shuffle, decoded here:
 * numcodecs' wasm blosc copies in and out of its heap and runs at a fraction
 * of their speed. Returns null for what it leaves to the wasm build
 * (blosclz, snappy, bit shuffle).
 */
async function bloscDecodeJs(src: Uint8Array): Promise<Uint8Array | null> {
  const flags = src[2];
  const typesize = src[3];
  const nbytes = readU32(src, 4);
  const blocksize = readU32(src, 8);
  const code = flags >> 5;
  // (memcpyed and lz4 frames are decoded by the WebAssembly kernels before this)
  if (flags & 0x02 || flags & 0x04 || (code !== 3 && code !== 4) || blocksize === 0) return null;
  const out = new Uint8Array(nbytes);
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  const dontSplit = (flags & 0x10) !== 0;
  const tmp = new Uint8Array(blocksize);
  for (let b = 0; b < nblocks; b++) {
    const last = b === nblocks - 1 && leftover > 0;
    const bsize = last ? leftover : blocksize;
    const nsplits = !dontSplit && typesize <= 16 && blocksize / typesize >= 128 && !last ? typesize : 1;
    const neblock = bsize / nsplits;
    let pos = readU32(src, 16 + 4 * b);
    const shuffled = (flags & 0x01) !== 0 && typesize > 1;
    const dst = shuffled ? tmp : out.subarray(b * blocksize, b * blocksize + bsize);
    for (let j = 0; j < nsplits; j++) {
      if (pos + 4 > src.length) throw new Error("blosc: truncated");
      const csize = readU32(src, pos);
      pos += 4;
      if (pos + csize > src.length) throw new Error("blosc: truncated");
      const stream = src.subarray(pos, pos + csize);
      const target = dst.subarray(j * neblock, (j + 1) * neblock);
      if (csize === neblock) target.set(stream);
      else {
        const d = code === 3 ? await zlibDecode(stream) : await zstdDecode(stream);
        if (d.length !== neblock) throw new Error("blosc: stream size mismatch");
        target.set(d);
      }
      pos += csize;
    }
    if (shuffled) unshuffle(tmp.subarray(0, bsize), out.subarray(b * blocksize, b * blocksize + bsize), typesize);
  }
  return out;
}

export interface BloscOptions {
  cname: "lz4" | "lz4hc" | "zstd" | "zlib" | "blosclz";
  clevel: number;
  /** 0 none, 1 byte shuffle, 2 bit shuffle. */
  shuffle: 0 | 1 | 2;
  typesize: number;
}

// Blosc 1 frame: 16-byte header, block starts, then per block one stream
// (the "don't split" flag is set) of int32 size + compressed bytes, or the raw
// block when compressing does not make it smaller.
const BLOSC_BLOCK = 256 * 1024;
function bloscBlocksize(nbytes: number, typesize: number): number {
  const b = Math.min(BLOSC_BLOCK, nbytes);
  return b - (b % typesize) || nbytes;
}

/**
 * Blosc frames of lz4 (and lz4hc / blosclz, which go out as lz4) encoded on
 * the calling thread, in WebAssembly; null for the compressors that encode
 * asynchronously (zstd, zlib).
 */
export function bloscEncodeSync(data: Uint8Array, opt: BloscOptions, into?: Uint8Array): Uint8Array | null {
  if (opt.cname === "zstd" || opt.cname === "zlib") return null;
  const typesize = Math.max(1, Math.min(255, opt.typesize));
  const blocksize = bloscBlocksize(data.length, typesize);
  // (bit shuffle is not implemented here: byte shuffle, which reads everywhere)
  const shuffle = typesize > 1 && opt.shuffle !== 0;
  // c-blosc compresses lz4 with acceleration 10 - clevel: the same speed / ratio trade as zarr-python's.
  return kernels().bloscEncodeLz4(data, typesize, shuffle, blocksize, Math.max(1, 10 - opt.clevel), into);
}

export async function bloscEncode(data: Uint8Array, opt: BloscOptions): Promise<Uint8Array> {
  const lz4 = bloscEncodeSync(data, opt);
  if (lz4) return lz4;
  const typesize = Math.max(1, Math.min(255, opt.typesize));
  const nbytes = data.length;
  const blocksize = bloscBlocksize(nbytes, typesize);
  const nblocks = nbytes === 0 ? 0 : Math.ceil(nbytes / blocksize);
  let shuffle = opt.shuffle;
  if (shuffle === 2) shuffle = 1; // bit shuffle is not implemented here; byte shuffle reads everywhere
  if (typesize === 1) shuffle = 0;
  const code = opt.cname === "zstd" ? 4 : 3;
  const compress = async (block: Uint8Array): Promise<Uint8Array> => {
    if (code === 4) return zstdEncode(block, Math.max(1, opt.clevel < 9 ? opt.clevel * 2 - 1 : 19));
    return zlibEncode(block, Math.max(1, Math.min(9, opt.clevel)));
  };
  const streams: Uint8Array[] = [];
  const tasks: Promise<void>[] = [];
  for (let b = 0; b < nblocks; b++) {
    const raw = data.subarray(b * blocksize, Math.min(nbytes, (b + 1) * blocksize));
    const src = shuffle ? shuffleBytes(raw, typesize) : raw;
    tasks.push(
      compress(src).then((c) => {
        streams[b] = c.length > 0 && c.length < src.length ? c : src;
      }),
    );
  }
  await Promise.all(tasks);
  let flags = 0x10 | (code << 5) | (shuffle ? 1 : 0);
  let total = 16 + 4 * nblocks;
  for (const s of streams) total += 4 + s.length;
  let out: Uint8Array;
  if (total >= nbytes + 16) {
    flags = 0x02 | 0x10 | (code << 5);
    out = new Uint8Array(16 + nbytes);
    out.set(data, 16);
    total = 16 + nbytes;
  } else {
    out = new Uint8Array(total);
    let pos = 16 + 4 * nblocks;
    for (let b = 0; b < nblocks; b++) {
      writeU32(out, 16 + 4 * b, pos);
      writeU32(out, pos, streams[b].length);
      out.set(streams[b], pos + 4);
      pos += 4 + streams[b].length;
    }
  }
  out[0] = 2;
  out[1] = 1;
  out[2] = flags;
  out[3] = typesize;
  writeU32(out, 4, nbytes);
  writeU32(out, 8, blocksize);
  writeU32(out, 12, total);
  return out;
}

const CRC_TABLES = new Map<number, Uint32Array>();
/** A reflected CRC-32 over `data` with the polynomial `poly` (its table made once). */
function crc32With(poly: number, data: Uint8Array): number {
  let t = CRC_TABLES.get(poly);
  if (!t) {
    t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
      t[i] = c >>> 0;
    }
    CRC_TABLES.set(poly, t);
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32C (Castagnoli), as the Zarr v3 crc32c codec stores it (little endian, after the data). */
export function crc32c(data: Uint8Array): number {
  return crc32With(0x82f63b78, data);
}

/** CRC-32 (ISO-HDLC), as a zip file stores it for every entry. */
export function crc32(data: Uint8Array): number {
  return crc32With(0xedb88320, data);
}

export function readU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
