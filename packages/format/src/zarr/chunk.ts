// One chunk through its codec pipeline: bytes on disk <-> C-order elements.
import { kernels, lzfCompress, lzfDecode, shuffleBytes, unshuffle, utf8At, utf8Strings } from "@cellfolio/codecs";
import { checkFletcher32 } from "@cellfolio/hdf5";
import { product, strides, typedArrayFor } from "../dtype.js";
import { formatPlatform } from "../platform.js";
import type { DType, TypedArray } from "../types.js";
import {
  bloscDecode,
  bloscEncode,
  bloscEncodeSync,
  crc32c,
  gzipDecode,
  gzipEncode,
  lz4Decode,
  readU32,
  writeU32,
  zlibDecode,
  zlibEncode,
  zstdDecode,
  zstdEncode,
} from "./codecs.js";
import type { ArrayCodec, ByteCodec, Pipeline, Serializer } from "./metadata.js";

/** Decoded elements: a typed array, strings, or raw record bytes. */
export type ChunkData = TypedArray | string[];

const utf8 = new TextDecoder("utf-8");
// vlen-utf8 items that are not UTF-8 are refused (as numcodecs refuses them), not read with U+FFFD in them
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

async function decodeBytes(c: ByteCodec, b: Uint8Array): Promise<Uint8Array> {
  switch (c.id) {
    case "gzip":
      return gzipDecode(b);
    case "zlib":
      return zlibDecode(b);
    case "zstd":
      return zstdDecode(b);
    case "blosc":
      return bloscDecode(b);
    case "lz4":
      return lz4Decode(b);
    case "shuffle": {
      // numcodecs' Shuffle: the transform of HDF5's filter, one implementation
      const out = new Uint8Array(b.length);
      unshuffle(b, out, c.elementsize);
      return out;
    }
    case "lzf":
      return lzfDecodeSized(c, b);
    case "fletcher32":
      return checkFletcher32(b);
    case "crc32c": {
      if (b.length < 4) throw new Error("crc32c: chunk shorter than its checksum");
      const body = b.subarray(0, b.length - 4);
      if (crc32c(body) !== readU32(b, b.length - 4)) throw new Error("crc32c checksum mismatch");
      return body;
    }
  }
}

export async function encodeBytes(c: ByteCodec, b: Uint8Array): Promise<Uint8Array> {
  switch (c.id) {
    case "gzip":
      return gzipEncode(b, c.level);
    case "zlib":
      return zlibEncode(b, c.level);
    case "zstd":
      return zstdEncode(b, c.level);
    case "blosc":
      return bloscEncode(b, c);
    default:
      return encodeBytesSync(c, b) as Uint8Array; // (every other codec encodes synchronously)
  }
}

/**
 * A byte codec's encoding on the calling thread; null for those that encode
 * asynchronously (gzip, zlib, zstd, blosc with zstd or zlib inside). Lets a
 * worker that made a chunk encode it where it is (extraction workers).
 * `into`: where blosc's frame goes when it fits (the result is then a view of it).
 */
export function encodeBytesSync(c: ByteCodec, b: Uint8Array, into?: Uint8Array): Uint8Array | null {
  if (!encodesSync(c)) return null;
  switch (c.id) {
    case "gzip":
    case "zlib":
    case "zstd":
      return null;
    case "blosc":
      return bloscEncodeSync(b, c, into);
    case "shuffle":
      return shuffleBytes(b, c.elementsize);
    case "crc32c": {
      const out = new Uint8Array(b.length + 4);
      out.set(b);
      writeU32(out, b.length, crc32c(b));
      return out;
    }
    case "lz4":
      throw new Error("writing lz4 is not supported");
    case "lzf":
      return lzfEncode(c, b);
    case "fletcher32":
      throw new Error("writing fletcher32 is not supported");
  }
}

/** Whether encodeBytesSync can run a codec: gzip, zlib and zstd (also inside blosc) go through the platform's asynchronous compressors. */
export function encodesSync(c: ByteCodec): boolean {
  if (c.id === "blosc") return c.cname !== "zstd" && c.cname !== "zlib";
  return c.id !== "gzip" && c.id !== "zlib" && c.id !== "zstd";
}

/**
 * A chunk's bytes through every byte codec on the calling thread; null if one
 * of them encodes only asynchronously. `into`: where the last codec's output
 * goes when it can write there (blosc), the result then a view of it: for a
 * caller that copies each chunk's bytes at once, chunk after chunk.
 */
export function encodeByteCodecsSync(codecs: ByteCodec[], raw: Uint8Array, into?: Uint8Array): Uint8Array | null {
  let b: Uint8Array | null = raw;
  for (let k = 0; k < codecs.length && b; k++) b = encodeBytesSync(codecs[k], b, k === codecs.length - 1 ? into : undefined);
  return b;
}

/** An lzf back reference copies up to 264 bytes and takes 3: no stream decodes to more than 88 times its size. */
const LZF_MAX_RATIO = 88;

function lzfDecodeSized(c: Extract<ByteCodec, { id: "lzf" }>, b: Uint8Array): Uint8Array {
  const stream = c.header ? b.subarray(4) : b;
  const size = c.header ? readU32(b, 0) : (c.size ?? LZF_MAX_RATIO * b.length + 8);
  const out = new Uint8Array(size);
  const n = lzfDecode(stream, out);
  if (n === 0 && size > 0) throw new Error(`lzf: corrupt stream or more than ${size} bytes decoded`);
  return n === size ? out : out.subarray(0, n);
}

/** LZF as HDF5's filter writes it (no header), or with imagecodecs' 4-byte size header. */
function lzfEncode(c: Extract<ByteCodec, { id: "lzf" }>, b: Uint8Array): Uint8Array {
  const at = c.header ? 4 : 0;
  const out = new Uint8Array(at + b.length + Math.ceil(b.length / 16) + 64);
  const n = lzfCompress(b, out.subarray(at));
  if (n === 0) throw new Error("lzf: compression failed");
  if (c.header) writeU32(out, 0, b.length);
  return out.slice(0, at + n);
}

/** Elements from bytes, little endian and aligned (copied when needed). */
export function viewNumeric(b: Uint8Array, dtype: DType, n: number, bigEndian: boolean): TypedArray {
  const T = typedArrayFor(dtype as Exclude<DType, "string">);
  const size = T.BYTES_PER_ELEMENT;
  if (b.length !== n * size) throw new Error(`decoded ${b.length} bytes, expected ${n * size} (${n} x ${dtype})`);
  let bytes = b;
  if (bigEndian && size > 1) {
    bytes = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i += size) for (let k = 0; k < size; k++) bytes[i + k] = b[i + size - 1 - k];
  } else if (b.byteOffset % size !== 0) {
    bytes = new Uint8Array(b); // a copy (a Buffer's slice would be a view)
  }
  return new T(bytes.buffer, bytes.byteOffset, n);
}

function deserialize(s: Serializer, b: Uint8Array, n: number): ChunkData {
  switch (s.kind) {
    case "numeric":
      return viewNumeric(b, s.dtype, n, s.bigEndian);
    case "vlen-utf8":
    case "vlen-bytes": {
      if (b.length < 4) throw new Error("vlen chunk shorter than its 4-byte header");
      const count = readU32(b, 0);
      if (count !== n) throw new Error(`vlen chunk holds ${count} items, expected ${n}`);
      const out = new Array<string>(n);
      let pos = 4;
      for (let i = 0; i < n; i++) {
        if (pos + 4 > b.length) throw new Error("vlen chunk truncated");
        const len = readU32(b, pos);
        pos += 4;
        if (pos + len > b.length) throw new Error("vlen chunk truncated");
        out[i] = (s.kind === "vlen-utf8" ? utf8Strict : utf8).decode(b.subarray(pos, pos + len));
        pos += len;
      }
      return out;
    }
    case "json2": {
      const items = JSON.parse(utf8.decode(b)) as unknown[];
      const values = items.slice(0, -2);
      if (values.length !== n) throw new Error(`json2 chunk holds ${values.length} items, expected ${n}`);
      return values.map((v) => (typeof v === "string" ? v : v === null ? "" : JSON.stringify(v)));
    }
    case "fixed-unicode": {
      const w = s.chars * 4;
      if (b.length !== n * w) throw new Error(`decoded ${b.length} bytes, expected ${n * w}`);
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        let str = "";
        for (let k = 0; k < s.chars; k++) {
          const cp = dv.getUint32(i * w + k * 4, !s.bigEndian);
          if (cp === 0) break;
          str += String.fromCodePoint(cp);
        }
        out[i] = str;
      }
      return out;
    }
    case "fixed-bytes": {
      if (b.length !== n * s.size) throw new Error(`decoded ${b.length} bytes, expected ${n * s.size}`);
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        let end = (i + 1) * s.size;
        while (end > i * s.size && b[end - 1] === 0) end--;
        out[i] = utf8.decode(b.subarray(i * s.size, end));
      }
      return out;
    }
    case "record": {
      if (b.length !== n * s.size) throw new Error(`decoded ${b.length} bytes, expected ${n * s.size}`);
      return new Uint8Array(b);
    }
  }
}

/** Reorders an array of shape `shape` so that output axis i is input axis perm[i]. */
export function permute<T extends ChunkData>(src: T, shape: number[], perm: number[]): T {
  const rank = shape.length;
  const n = product(shape);
  const out: any = Array.isArray(src) ? new Array(n) : new (src.constructor as any)(n);
  const outShape = perm.map((a) => shape[a]);
  const inStr = strides(shape);
  const step = perm.map((a) => inStr[a]); // input stride of each output axis
  const idx = new Array(rank).fill(0);
  let inOff = 0;
  for (let o = 0; o < n; o++) {
    out[o] = (src as any)[inOff];
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      inOff += step[a];
      if (idx[a] < outShape[a]) break;
      inOff -= step[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return out;
}

function decodeArray(c: ArrayCodec, data: ChunkData, shapeAfter: number[], dtypeBefore: DType): ChunkData {
  switch (c.id) {
    case "transpose": {
      const inv = new Array(c.order.length);
      c.order.forEach((a, i) => {
        inv[a] = i;
      });
      return permute(data, shapeAfter, inv);
    }
    case "delta": {
      const a = data as any;
      if (typeof a[0] === "bigint") for (let i = 1; i < a.length; i++) a[i] = a[i - 1] + a[i];
      else for (let i = 1; i < a.length; i++) a[i] = a[i - 1] + a[i];
      return a;
    }
    case "fixedscaleoffset": {
      const T = typedArrayFor(dtypeBefore as Exclude<DType, "string">);
      const src = data as any;
      const out = new T(src.length) as any;
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]) / c.scale + c.offset;
      return out;
    }
    case "identity":
      return data;
  }
}

export interface ChunkLayout {
  pipeline: Pipeline;
  dtype: DType;
  shape: number[];
}

/** The byte codecs of a pipeline, undone last to first. */
export async function decodeByteCodecs(codecs: ByteCodec[], raw: Uint8Array): Promise<Uint8Array> {
  let b = raw;
  for (let i = codecs.length - 1; i >= 0; i--) b = await decodeBytes(codecs[i], b);
  return b;
}

/**
 * The byte codecs undone straight into `into`, which must come out exactly
 * full: blosc lz4 (zarr-python's default) in one WebAssembly call with no
 * intermediate buffer, anything else decoded and copied. `raw` may be a
 * reused buffer: it is copied before any await.
 */
export async function decodeByteCodecsInto(codecs: ByteCodec[], raw: Uint8Array, into: Uint8Array): Promise<void> {
  if (codecs.length === 1 && codecs[0].id === "blosc" && kernels().bloscDecodeInto(raw, into)) return;
  const b = await decodeByteCodecs(codecs, raw.slice());
  if (b.length !== into.length) throw new Error(`decoded ${b.length} bytes, expected ${into.length}`);
  into.set(b);
}

/** The byte codecs of a pipeline, first to last. */
export async function encodeByteCodecs(codecs: ByteCodec[], raw: Uint8Array): Promise<Uint8Array> {
  let b = raw;
  for (const c of codecs) b = await encodeBytes(c, b);
  return b;
}

/**
 * Bytes of one stored chunk -> its elements in C order (`shape`). `here`:
 * decode on this thread (a lone small read, where a worker round trip costs
 * more than it saves).
 */
export async function decodeChunk(raw: Uint8Array, { pipeline, dtype, shape }: ChunkLayout, here = false): Promise<ChunkData> {
  const b = await ((here ? null : (formatPlatform().codecPool?.run("decode", pipeline.byteCodecs, raw) ?? null)) ?? decodeByteCodecs(pipeline.byteCodecs, raw));
  return chunkElements(b, { pipeline, dtype, shape });
}

/** A chunk's bytes after its byte codecs -> its elements (serializer and array codecs undone). */
export function chunkElements(b: Uint8Array, { pipeline, dtype, shape }: ChunkLayout): ChunkData {
  const shapes = [shape];
  const dtypes = [dtype];
  for (const c of pipeline.arrayCodecs) {
    const s = shapes[shapes.length - 1];
    shapes.push(c.id === "transpose" ? c.order.map((a) => s[a]) : s);
    dtypes.push(c.id === "fixedscaleoffset" ? c.astype : c.id === "delta" ? c.dtype : dtypes[dtypes.length - 1]);
  }
  let data = deserialize(pipeline.serializer, b, product(shape));
  for (let i = pipeline.arrayCodecs.length - 1; i >= 0; i--) data = decodeArray(pipeline.arrayCodecs[i], data, shapes[i + 1], dtypes[i]);
  if (!Array.isArray(data) && pipeline.serializer.kind !== "record" && dtype !== "string") {
    const T = typedArrayFor(dtype);
    if (!(data instanceof T)) {
      const src = data as any;
      const conv = new T(src.length) as any;
      const big = dtype === "int64" || dtype === "uint64";
      for (let i = 0; i < src.length; i++) conv[i] = big ? BigInt(src[i]) : Number(src[i]);
      data = conv as TypedArray;
    }
  }
  return data;
}

/** C-order elements of one full chunk -> the bytes to store (our writer's pipelines: no array codecs). */
export async function encodeChunk(data: ChunkData, codecs: ByteCodec[]): Promise<Uint8Array> {
  let b: Uint8Array;
  if (Array.isArray(data)) {
    // vlen-utf8: the count, then each item's length and bytes
    const strings = utf8Strings(data);
    b = new Uint8Array(4 + 4 * data.length + strings.bytes.length);
    writeU32(b, 0, data.length);
    let pos = 4;
    for (let i = 0; i < data.length; i++) {
      const item = utf8At(strings, i);
      writeU32(b, pos, item.length);
      b.set(item, pos + 4);
      pos += 4 + item.length;
    }
  } else {
    b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return formatPlatform().codecPool?.run("encode", codecs, b) ?? encodeByteCodecs(codecs, b);
}
