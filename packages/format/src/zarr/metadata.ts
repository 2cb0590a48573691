// Zarr array metadata, v2 (.zarray) and v3 (zarr.json), parsed into one
// description of how a chunk is stored, and written back as zarr-python writes it.

import { itemSize, product } from "../dtype.js";
import { float16BitsToNumber as halfToFloat } from "../float16.js";
import type { ByteCodec, Compression, DType } from "../types.js";

/** Bytes -> bytes steps, in encode order. */
export type { ByteCodec } from "../types.js";

/** Array -> array steps, in encode order. `dtype` names the stored (encoded) values. */
export type ArrayCodec =
  | { id: "transpose"; order: number[] }
  | { id: "delta"; dtype: DType }
  | { id: "fixedscaleoffset"; scale: number; offset: number; astype: DType }
  | { id: "identity" };

/** How elements become bytes. */
export type Serializer =
  | { kind: "numeric"; dtype: DType; bigEndian: boolean }
  | { kind: "vlen-utf8" }
  | { kind: "vlen-bytes" }
  | { kind: "json2" }
  | { kind: "fixed-unicode"; chars: number; bigEndian: boolean }
  | { kind: "fixed-bytes"; size: number }
  | { kind: "record"; size: number; fields: RecordField[] };

export interface RecordField {
  name: string;
  dtype: DType;
  offset: number;
  /** Bytes of the field in each record. */
  size: number;
  bigEndian: boolean;
  /** Fixed-width strings: numpy "U" (UTF-32) or "S" (bytes). */
  text?: "U" | "S";
}

export interface Pipeline {
  arrayCodecs: ArrayCodec[];
  serializer: Serializer;
  byteCodecs: ByteCodec[];
}

export interface ShardSpec {
  /** Inner chunk shape. */
  chunks: number[];
  inner: Pipeline;
  /** Index codecs beyond "bytes" little endian: whether a crc32c follows the index. */
  indexCrc: boolean;
  indexLocation: "start" | "end";
}

export interface ArrayMeta {
  format: 2 | 3;
  shape: number[];
  /** Chunk shape of the key grid (for sharded arrays: the shard shape). */
  chunks: number[];
  dtype: DType;
  fields?: RecordField[];
  fill: number | bigint | string | boolean | null;
  /** Pipeline of a stored object (a chunk, or a shard's whole blob when sharded). */
  pipeline: Pipeline;
  shard?: ShardSpec;
  chunkKey: (idx: number[]) => string;
  compression: string;
  attrs: Record<string, unknown>;
}

const V3_TYPES: Record<string, DType> = {
  bool: "bool",
  int8: "int8",
  int16: "int16",
  int32: "int32",
  int64: "int64",
  uint8: "uint8",
  uint16: "uint16",
  uint32: "uint32",
  uint64: "uint64",
  float16: "float16",
  float32: "float32",
  float64: "float64",
  string: "string",
};

/** A numpy typestring (`<f2`, `|b1`, `>i8`) as a DType and byte order. */
export function parseTypestr(t: string): { dtype: DType; bigEndian: boolean } | null {
  const m = /^([<>|=]?)([biuf])(\d+)$/.exec(t);
  if (!m) return null;
  const [, order, kind, sz] = m;
  const size = Number(sz);
  let dtype: DType | null = null;
  if (kind === "b" && size === 1) dtype = "bool";
  else if (kind === "i" && [1, 2, 4, 8].includes(size)) dtype = `int${size * 8}` as DType;
  else if (kind === "u" && [1, 2, 4, 8].includes(size)) dtype = `uint${size * 8}` as DType;
  else if (kind === "f" && [2, 4, 8].includes(size)) dtype = `float${size * 8}` as DType;
  return dtype ? { dtype, bigEndian: order === ">" } : null;
}

function problem(msg: string): never {
  throw new Error(msg);
}

function v2ByteCodec(c: any): ByteCodec | null {
  switch (c.id) {
    case "gzip":
      return { id: "gzip", level: c.level ?? 5 };
    case "zlib":
      return { id: "zlib", level: c.level ?? 1 };
    case "zstd":
      return { id: "zstd", level: c.level ?? 1 };
    case "blosc":
      return { id: "blosc", cname: c.cname ?? "lz4", clevel: c.clevel ?? 5, shuffle: c.shuffle === -1 ? 1 : (c.shuffle ?? 1), typesize: c.typesize ?? 1 };
    case "lz4":
      return { id: "lz4" };
    case "shuffle":
      return { id: "shuffle", elementsize: c.elementsize ?? 4 };
    case "crc32c":
      return { id: "crc32c" };
    case "imagecodecs_lzf":
      return { id: "lzf", header: c.header !== false };
    case "fletcher32":
      return { id: "fletcher32" };
    default:
      return null;
  }
}

/**
 * The decoded size of each lzf step whose input is the raw chunk after
 * size-keeping steps only (shuffle, checksums): then it is the chunk's bytes.
 */
export function sizeLzf(codecs: ByteCodec[], chunkBytes: number): ByteCodec[] {
  let keeps = true;
  return codecs.map((c) => {
    if (c.id === "lzf" && keeps && !c.header) {
      keeps = false;
      return { ...c, size: chunkBytes };
    }
    if (c.id !== "shuffle") keeps = false;
    return c;
  });
}

/** Dimensions an array may have (NumPy allows 64; AnnData uses up to 4). */
const MAX_RANK = 32;
/** Elements of one chunk (it is allocated whole): 2 GiB of float64. */
const MAX_CHUNK_ELEMENTS = 2 ** 28;

/**
 * The one check of an array's geometry from JSON, before anything is sized
 * from it: shape and chunk shape are lists of the same length of integers
 * (a dimension >= 0, a chunk >= 1) that JavaScript holds exactly, the element
 * count too, and a chunk fits in memory. A sharded array's `inner` chunk
 * shape divides its shard shape.
 */
export function checkGeometry(shape: unknown, chunks: unknown, inner?: unknown): void {
  const dims = (v: unknown, what: string, min: number): number[] => {
    if (!Array.isArray(v)) problem(`${what} must be a list of integers, got ${JSON.stringify(v)}`);
    if (v.length > MAX_RANK) problem(`${what} has ${v.length} dimensions, more than ${MAX_RANK}`);
    v.forEach((d, i) => {
      if (typeof d !== "number" || !Number.isSafeInteger(d) || d < min) {
        problem(`${what}[${i}] is ${JSON.stringify(d)}: expected an integer from ${min} to 2^53 - 1`);
      }
    });
    return v;
  };
  const s = dims(shape, "shape", 0);
  const c = dims(chunks, "the chunk shape", 1);
  if (c.length !== s.length) problem(`the chunk shape [${c.join(", ")}] and the shape [${s.join(", ")}] differ in length`);
  if (!Number.isSafeInteger(s.reduce((a, b) => a * b, 1))) problem(`shape [${s.join(", ")}] holds more than 2^53 elements`);
  let decoded = c;
  if (inner !== undefined) {
    decoded = dims(inner, "the inner chunk shape", 1);
    if (decoded.length !== c.length || decoded.some((x, i) => c[i] % x !== 0)) {
      problem(`the inner chunk shape [${decoded.join(", ")}] does not divide the shard shape [${c.join(", ")}]`);
    }
    // every shard's index holds an entry (16 bytes) per inner chunk
    const perShard = c.reduce((a, b, i) => a * (b / decoded[i]), 1);
    if (perShard > 2 ** 24) problem(`a shard of [${c.join(", ")}] holds ${perShard} inner chunks, more than 2^24`);
  }
  const elements = decoded.reduce((a, b) => a * b, 1);
  if (elements > MAX_CHUNK_ELEMENTS) problem(`a chunk of [${decoded.join(", ")}] holds ${elements} elements, more than 2^28`);
}

/** Parses a v2 `.zarray` document. */
export function parseV2(meta: any, attrs: Record<string, unknown>): ArrayMeta {
  const shape: number[] = meta.shape;
  const chunks: number[] = meta.chunks;
  checkGeometry(shape, chunks);
  const filters: any[] = meta.filters ?? [];
  const arrayCodecs: ArrayCodec[] = [];
  const byteCodecs: ByteCodec[] = [];
  let serializer: Serializer | null = null;
  let dtype: DType;
  let fields: RecordField[] | undefined;
  const t = meta.dtype;
  if (Array.isArray(t)) {
    fields = [];
    let offset = 0;
    for (const f of t) {
      if (f.length > 2) problem(`record field ${f[0]} with a sub-array shape is not supported`);
      const txt = /^([<>|=]?)([US])(\d+)$/.exec(f[1]);
      if (txt) {
        const size = Number(txt[3]) * (txt[2] === "U" ? 4 : 1);
        fields.push({ name: f[0], dtype: "string", offset, size, bigEndian: txt[1] === ">", text: txt[2] as "U" | "S" });
        offset += size;
        continue;
      }
      const p = parseTypestr(f[1]);
      if (!p) problem(`record field ${f[0]} has unsupported dtype ${f[1]}`);
      fields.push({ name: f[0], dtype: p.dtype, offset, size: itemSize(p.dtype), bigEndian: p.bigEndian });
      offset += itemSize(p.dtype);
    }
    serializer = { kind: "record", size: offset, fields };
    dtype = fields[0]?.dtype ?? "uint8";
  } else if (t === "|O") {
    dtype = "string";
  } else if (/^[<>|]U\d+$/.test(t)) {
    dtype = "string";
    serializer = { kind: "fixed-unicode", chars: Number(t.slice(2)), bigEndian: t[0] === ">" };
  } else if (/^\|S\d+$/.test(t)) {
    dtype = "string";
    serializer = { kind: "fixed-bytes", size: Number(t.slice(2)) };
  } else {
    const p = parseTypestr(t) ?? problem(`unsupported dtype ${JSON.stringify(t)}`);
    dtype = p.dtype;
    serializer = { kind: "numeric", dtype: p.dtype, bigEndian: p.bigEndian };
  }
  let storedDtype = dtype;
  for (const f of filters) {
    if (f.id === "vlen-utf8" || f.id === "json2" || f.id === "vlen-bytes") {
      serializer = { kind: f.id };
    } else if (f.id === "delta") {
      const p = parseTypestr(f.astype ?? f.dtype);
      if (p) storedDtype = p.dtype;
      arrayCodecs.push({ id: "delta", dtype: storedDtype });
    } else if (f.id === "fixedscaleoffset") {
      const p = parseTypestr(f.astype ?? f.dtype) ?? problem(`fixedscaleoffset astype ${f.astype}`);
      storedDtype = p.dtype;
      arrayCodecs.push({ id: "fixedscaleoffset", scale: f.scale, offset: f.offset, astype: p.dtype });
    } else if (f.id === "bitround" || f.id === "quantize") {
      arrayCodecs.push({ id: "identity" }); // lossy on encode only; decoding is the identity
    } else {
      const b = v2ByteCodec(f) ?? problem(`unsupported filter ${JSON.stringify(f.id)}`);
      byteCodecs.push(b);
    }
  }
  if (serializer?.kind === "numeric" && storedDtype !== dtype) serializer = { ...serializer, dtype: storedDtype };
  if (!serializer) problem(`object dtype |O without a vlen-utf8, vlen-bytes or json2 filter`);
  if (meta.compressor) byteCodecs.push(v2ByteCodec(meta.compressor) ?? problem(`unsupported compressor ${JSON.stringify(meta.compressor.id)}`));
  if (serializer.kind === "numeric" && arrayCodecs.length === 0) {
    byteCodecs.splice(0, byteCodecs.length, ...sizeLzf(byteCodecs, product(chunks) * itemSize(serializer.dtype)));
  }
  if (meta.order === "F" && shape.length > 1) arrayCodecs.unshift({ id: "transpose", order: shape.map((_, i) => shape.length - 1 - i) });
  const sep = meta.dimension_separator ?? ".";
  return {
    format: 2,
    shape,
    chunks,
    dtype,
    fields,
    fill: parseFill(meta.fill_value, dtype),
    pipeline: { arrayCodecs, serializer, byteCodecs },
    chunkKey: (idx) => (idx.length === 0 ? "0" : idx.join(sep)),
    compression: describe(byteCodecs),
    attrs,
  };
}

function v3Pipeline(codecs: any[], dtype: DType): { pipeline: Pipeline; shard?: ShardSpec } {
  const arrayCodecs: ArrayCodec[] = [];
  const byteCodecs: ByteCodec[] = [];
  let serializer: Serializer | null = null;
  let shard: ShardSpec | undefined;
  let stored = dtype;
  for (const c of codecs) {
    const name: string = c.name;
    const cfg = c.configuration ?? {};
    switch (name) {
      case "transpose":
        arrayCodecs.push({ id: "transpose", order: cfg.order });
        break;
      case "numcodecs.delta": {
        const p = cfg.astype ? parseTypestr(cfg.astype) : null;
        if (p) stored = p.dtype;
        arrayCodecs.push({ id: "delta", dtype: stored });
        break;
      }
      case "numcodecs.fixedscaleoffset": {
        const p = parseTypestr(cfg.astype ?? cfg.dtype) ?? problem(`fixedscaleoffset astype ${cfg.astype}`);
        stored = p.dtype;
        arrayCodecs.push({ id: "fixedscaleoffset", scale: cfg.scale, offset: cfg.offset, astype: p.dtype });
        break;
      }
      case "numcodecs.bitround":
      case "numcodecs.quantize":
        arrayCodecs.push({ id: "identity" });
        break;
      case "bytes":
        serializer = { kind: "numeric", dtype: stored, bigEndian: cfg.endian === "big" };
        break;
      case "vlen-utf8":
        serializer = { kind: "vlen-utf8" };
        break;
      case "vlen-bytes":
        serializer = { kind: "vlen-bytes" };
        break;
      case "sharding_indexed": {
        const inner = v3Pipeline(cfg.codecs ?? [], dtype);
        if (inner.shard) problem("nested sharding is not supported");
        const idx: any[] = cfg.index_codecs ?? [];
        shard = {
          chunks: cfg.chunk_shape,
          inner: inner.pipeline,
          indexCrc: idx.some((x) => x.name === "crc32c"),
          indexLocation: cfg.index_location ?? "end",
        };
        serializer = { kind: "numeric", dtype: "uint8", bigEndian: false };
        break;
      }
      case "gzip":
        byteCodecs.push({ id: "gzip", level: cfg.level ?? 5 });
        break;
      case "zstd":
        byteCodecs.push({ id: "zstd", level: cfg.level ?? 0, checksum: !!cfg.checksum });
        break;
      case "blosc": {
        const sh = cfg.shuffle === "shuffle" ? 1 : cfg.shuffle === "bitshuffle" ? 2 : 0;
        byteCodecs.push({ id: "blosc", cname: cfg.cname ?? "lz4", clevel: cfg.clevel ?? 5, shuffle: sh, typesize: cfg.typesize ?? 1 });
        break;
      }
      case "crc32c":
        byteCodecs.push({ id: "crc32c" });
        break;
      case "imagecodecs_lzf":
        byteCodecs.push({ id: "lzf", header: cfg.header !== false });
        break;
      default: {
        const b = name.startsWith("numcodecs.") ? v2ByteCodec({ id: name.slice(10), ...cfg }) : null;
        if (!b) problem(`unsupported codec ${JSON.stringify(name)}`);
        byteCodecs.push(b);
      }
    }
  }
  if (!serializer) {
    serializer = dtype === "string" ? { kind: "vlen-utf8" } : { kind: "numeric", dtype: stored, bigEndian: false };
  }
  return { pipeline: { arrayCodecs, serializer, byteCodecs }, shard };
}

/** Parses a v3 array `zarr.json` document. */
export function parseV3(meta: any): ArrayMeta {
  if (meta.data_type?.name === "struct" || meta.data_type?.name === "structured") return parseV3Struct(meta);
  const dtype = V3_TYPES[meta.data_type] ?? problem(`unsupported data_type ${JSON.stringify(meta.data_type)}`);
  const shape: number[] = meta.shape;
  if (meta.chunk_grid?.name !== "regular") problem(`unsupported chunk_grid ${JSON.stringify(meta.chunk_grid?.name)}`);
  const chunks: number[] = meta.chunk_grid.configuration?.chunk_shape;
  const { pipeline, shard } = v3Pipeline(meta.codecs ?? [], dtype);
  checkGeometry(shape, chunks, shard?.chunks);
  const enc = meta.chunk_key_encoding ?? { name: "default" };
  const sep = enc.configuration?.separator ?? (enc.name === "v2" ? "." : "/");
  const chunkKey =
    enc.name === "v2" ? (idx: number[]) => (idx.length === 0 ? "0" : idx.join(sep)) : (idx: number[]) => (idx.length === 0 ? "c" : `c${sep}${idx.join(sep)}`);
  const label = shard ? `shard(${describe(shard.inner.byteCodecs)})` : describe(pipeline.byteCodecs);
  return { format: 3, shape, chunks, dtype, fill: parseFill(meta.fill_value, dtype), pipeline, shard, chunkKey, compression: label, attrs: meta.attributes ?? {} };
}

/** A v3 struct field's data_type as a RecordField at `offset` (records are packed). */
function parseV3StructField(name: string, t: unknown, offset: number): RecordField {
  if (typeof t === "string") {
    const dtype = V3_TYPES[t];
    if (!dtype || dtype === "string") throw new Error(`struct field ${name} has unsupported data_type ${JSON.stringify(t)}`);
    return { name, dtype, offset, size: itemSize(dtype), bigEndian: false };
  }
  const o = t as { name?: string; configuration?: { length_bytes?: number } };
  const size = o?.configuration?.length_bytes;
  if (typeof size !== "number" || !(size >= 0)) throw new Error(`struct field ${name}: data_type ${JSON.stringify(t)} without a length_bytes`);
  if (o.name === "fixed_length_utf32") return { name, dtype: "string", offset, size, bigEndian: false, text: "U" };
  if (o.name === "null_terminated_bytes") return { name, dtype: "string", offset, size, bigEndian: false, text: "S" };
  throw new Error(`struct field ${name} has unsupported data_type ${JSON.stringify(o.name)}`);
}

/** A v3 array of the "struct" data type (zarr-python >= 3.1, as anndata 0.13 writes rec-arrays): packed records. */
function parseV3Struct(meta: any): ArrayMeta {
  const list: any[] = meta.data_type.configuration?.fields ?? problem("struct data_type without fields");
  const fields: RecordField[] = [];
  let offset = 0;
  for (const f of list) {
    // "struct" fields are {name, data_type}; zarr-python 3.1's earlier "structured" wrote [name, data_type]
    const field = Array.isArray(f) ? parseV3StructField(String(f[0]), f[1], offset) : parseV3StructField(String(f.name), f.data_type, offset);
    fields.push(field);
    offset += field.size;
  }
  const base = parseV3({ ...meta, data_type: "uint8" });
  if (base.shard) problem("sharded struct arrays are not supported");
  if (base.pipeline.serializer.kind !== "numeric") problem("struct array without a bytes codec");
  const bigEndian = base.pipeline.serializer.bigEndian;
  if (bigEndian) for (const f of fields) f.bigEndian = !f.text || f.text === "U";
  return {
    ...base,
    dtype: fields[0]?.dtype ?? "uint8",
    fields,
    fill: null,
    pipeline: { ...base.pipeline, serializer: { kind: "record", size: offset, fields } },
  };
}

function parseFill(v: unknown, dtype: DType): ArrayMeta["fill"] {
  if (dtype === "string") return typeof v === "string" ? v : "";
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return dtype === "int64" || dtype === "uint64" ? BigInt(Math.trunc(v)) : v;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (/^0x[0-9a-f]+$/i.test(v) && dtype.startsWith("float")) {
      const n = Number.parseInt(v, 16);
      if (dtype === "float32") return new Float32Array(new Uint32Array([n]).buffer)[0];
      if (dtype === "float16") return halfToFloat(n);
      return new Float64Array(new BigUint64Array([BigInt(v)]).buffer)[0];
    }
  }
  return null;
}

export function describe(codecs: ByteCodec[]): string {
  if (codecs.length === 0) return "none";
  return codecs
    .map((c) => {
      switch (c.id) {
        case "blosc":
          return `blosc(${c.cname},${c.clevel},${["noshuffle", "shuffle", "bitshuffle"][c.shuffle]})`;
        case "gzip":
        case "zlib":
        case "zstd":
          return `${c.id}(${c.level})`;
        default:
          return c.id;
      }
    })
    .join("+");
}

// ---- writing ---------------------------------------------------------------

/** zarr-python's fill value for a fresh array (0, false, ""), as JSON. */
function defaultFill(dtype: DType, format: 2 | 3): unknown {
  if (dtype === "string") return format === 2 ? null : "";
  if (dtype === "bool") return false;
  return dtype.startsWith("float") ? 0.0 : 0;
}

/** The byte codecs a Compression option stands for. */
export function byteCodecsFor(c: Compression, dtype: DType): ByteCodec[] {
  const size = Math.max(1, itemSize(dtype));
  switch (c.codec) {
    case "none":
      return [];
    case "gzip":
      return [...(c.shuffle && size > 1 ? [{ id: "shuffle", elementsize: size } as ByteCodec] : []), { id: "gzip", level: c.level ?? 5 }];
    case "zstd":
      return [...(c.shuffle && size > 1 ? [{ id: "shuffle", elementsize: size } as ByteCodec] : []), { id: "zstd", level: c.level ?? 3 }];
    case "blosc": {
      // Our blosc encoder does byte shuffle only: "bit" is written (and declared) as byte shuffle.
      const sh = c.shuffle === "none" ? 0 : 1;
      return [{ id: "blosc", cname: c.cname ?? "lz4", clevel: c.clevel ?? 5, shuffle: sh as 0 | 1, typesize: size }];
    }
    case "lzf":
      throw new Error("lzf is an HDF5 filter; Zarr has no lzf codec");
  }
}

/** A byte codec as a Zarr v2 `.zarray` names it (numcodecs ids). */
export function v2Codec(c: ByteCodec): Record<string, unknown> {
  switch (c.id) {
    case "blosc":
      return { id: "blosc", cname: c.cname, clevel: c.clevel, shuffle: c.shuffle, blocksize: 0 };
    case "zstd":
      return { id: "zstd", level: c.level };
    case "shuffle":
      return { id: "shuffle", elementsize: c.elementsize };
    case "gzip":
    case "zlib":
      return { id: c.id, level: c.level };
    case "lzf":
      return { id: "imagecodecs_lzf", header: c.header };
    default:
      return { id: c.id };
  }
}

function v3Codec(c: ByteCodec): Record<string, unknown> {
  switch (c.id) {
    case "blosc":
      return {
        name: "blosc",
        configuration: { typesize: c.typesize, cname: c.cname, clevel: c.clevel, shuffle: ["noshuffle", "shuffle", "bitshuffle"][c.shuffle], blocksize: 0 },
      };
    case "zstd":
      return { name: "zstd", configuration: { level: c.level, checksum: false } };
    case "gzip":
      return { name: "gzip", configuration: { level: c.level } };
    case "crc32c":
      return { name: "crc32c" };
    case "shuffle":
      return { name: "numcodecs.shuffle", configuration: { elementsize: c.elementsize } };
    default:
      return { name: `numcodecs.${c.id}`, configuration: {} };
  }
}

export function numpyV2Typestr(dtype: DType): string {
  if (dtype === "string") return "|O";
  if (dtype === "bool") return "|b1";
  if (dtype === "int8") return "|i1";
  if (dtype === "uint8") return "|u1";
  const kind = dtype.startsWith("float") ? "f" : dtype.startsWith("uint") ? "u" : "i";
  return `<${kind}${itemSize(dtype)}`;
}

/** A `.zarray` document as zarr-python 2 writes it. */
export function v2ArrayJson(shape: number[], chunks: number[], dtype: DType, codecs: ByteCodec[]): Record<string, unknown> {
  const shuffle = codecs.filter((c) => c.id === "shuffle");
  const compressors = codecs.filter((c) => c.id !== "shuffle");
  if (compressors.length > 1) throw new Error("Zarr v2 takes one compressor");
  const filters = [...(dtype === "string" ? [{ id: "vlen-utf8" }] : []), ...shuffle.map(v2Codec)];
  return {
    chunks,
    compressor: compressors[0] ? v2Codec(compressors[0]) : null,
    dimension_separator: ".",
    dtype: numpyV2Typestr(dtype),
    fill_value: defaultFill(dtype, 2),
    filters: filters.length ? filters : null,
    order: "C",
    shape,
    zarr_format: 2,
  };
}

/** A v3 array `zarr.json` document as zarr-python 3 writes it. */
export function v3ArrayJson(
  shape: number[],
  chunks: number[],
  shards: number[] | null,
  dtype: DType,
  codecs: ByteCodec[],
  attributes: Record<string, unknown>,
): Record<string, unknown> {
  const serializer = dtype === "string" ? { name: "vlen-utf8", configuration: {} } : { name: "bytes", configuration: { endian: "little" } };
  const inner = [serializer, ...codecs.map(v3Codec)];
  const pipeline = shards
    ? [
        {
          name: "sharding_indexed",
          configuration: {
            chunk_shape: chunks,
            codecs: inner,
            index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
            index_location: "end",
          },
        },
      ]
    : inner;
  return {
    shape,
    data_type: dtype,
    chunk_grid: { name: "regular", configuration: { chunk_shape: shards ?? chunks } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: defaultFill(dtype, 3),
    codecs: pipeline,
    attributes,
    zarr_format: 3,
    node_type: "array",
    storage_transformers: [],
  };
}
