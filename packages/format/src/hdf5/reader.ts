// The HDF5 StoreReader over @cellfolio/hdf5's reader (no wasm): local files
// and http(s) URLs, read by byte ranges.
//
// How HDF5 values come out:
// - attributes: scalars as plain JS values (string, number, boolean; bigint
//   for 64-bit integers beyond 2^53; float16 decoded to a number), string
//   arrays (vlen or fixed, UTF-8 or ASCII/bytes) as string[], numeric and bool
//   arrays of any rank as NDArray, h5py's Empty as null;
// - datasets: float16 as Uint16Array bit patterns, h5py's bool enum as dtype
//   "bool", other enums as their base integer type with the names in
//   `Hdf5ArrayInfo.enumMembers`, vlen and fixed strings as "string",
//   compound datasets (legacy h5ad obs/var) through `fields` + `readRecords`;
//   a null dataspace (h5py's Empty) as shape [0];
// - object references (anndata 0.7's `categories` attribute), in attributes
//   and datasets, as the absolute path of the object they point to
//   ("/obs/__categories/cell_type"), dtype "string".
//
// h5wasm is the fallback for one thing only: datasets of local files whose
// filters our reader does not decode (blosc, zstd, bitshuffle, lz4, bzip2...:
// h5wasm-plugins has them), under Node, when the optional h5wasm and
// h5wasm-plugins are installed (node/h5wasm.ts). Everything else, including
// lzf, is ours.
import {
  type Attribute,
  type ByteSource,
  type Dataset,
  type Datatype,
  describeFilters,
  FILTER_NAMES,
  Hdf5Error,
  Hdf5File,
  type HttpOptions,
  isBoolEnum,
  type Node,
  pickHttpOptions,
  SourceError,
  unsupportedFilter,
  type Values,
} from "@cellfolio/hdf5";
import { intoBuffer } from "../dtype.js";
import { FormatError } from "../errors.js";
import { float16ToFloat32 } from "../float16.js";
import { formatPlatform, type H5wasmFile } from "../platform.js";
import type { ArrayInfo, Attrs, AttrValue, DType, FieldText, NDArray, NodeInfo, ReadBlockOptions, StoreReader, TypedArray } from "../types.js";

/** HTTP only: fetch options, time limits, retries and bounds (HttpOptions of @cellfolio/hdf5). */
export interface OpenHdf5Options extends HttpOptions {
  /** Chunk groups read and decoded at once in a block read (default 4). */
  concurrency?: number;
}

/** ArrayInfo of an HDF5 dataset: for enums other than bool, the member names and values. */
export interface Hdf5ArrayInfo extends ArrayInfo {
  enumMembers?: { name: string; value: number | bigint }[];
}

/** Opens an HDF5 file (.h5ad, .h5sc) on disk or over http(s) with range requests. */
/** An HDF5 file by URL or local path (Node), or any byte source (MemorySource, BlobSource). */
export async function openHdf5(target: string | ByteSource, options: OpenHdf5Options = {}): Promise<StoreReader> {
  const source = typeof target === "string" ? target : target.name;
  let file: Hdf5File;
  try {
    file = await Hdf5File.open(target, pickHttpOptions(options));
  } catch (e) {
    throw toFormatError(source, "", e);
  }
  return new Hdf5Reader(file, source, options);
}

export function toFormatError(source: string, path: string, e: unknown): unknown {
  if (e instanceof FormatError) return e;
  if (e instanceof Hdf5Error) return new FormatError(source, e.element ?? "", e.problem, { cause: e });
  if (e instanceof SourceError) return new FormatError(source, path, e.problem, { cause: e });
  if (e instanceof Error) return new FormatError(source, path, e.message, { cause: e });
  return e;
}

/** The element dtype of an HDF5 datatype, or undefined if it has none. */
export function dtypeOf(t: Datatype): DType | undefined {
  switch (t.class) {
    case "integer":
    case "bitfield": {
      const signed = t.class === "integer" && t.signed;
      const bits = t.size * 8;
      if (![8, 16, 32, 64].includes(bits)) return undefined;
      return `${signed ? "int" : "uint"}${bits}` as DType;
    }
    case "float":
      return t.size === 2 ? "float16" : t.size === 4 ? "float32" : t.size === 8 ? "float64" : undefined;
    case "enum":
      return isBoolEnum(t) ? "bool" : dtypeOf(t.base);
    case "string":
    case "vlen-string":
      return "string";
    case "reference":
      return t.size === 8 && t.refType === 0 ? "string" : undefined;
    default:
      return undefined;
  }
}

/** Values of one non-compound type as NDArray data. */
function toData(v: Values, dtype: DType): TypedArray | string[] {
  if (Array.isArray(v)) {
    if (dtype === "string") return v as string[];
    throw new Error("expected numbers, found a list");
  }
  if (!ArrayBuffer.isView(v)) throw new Error("expected an array of one type, found a record");
  // bool enums decode as int8: give them as 0/1 bytes.
  if (dtype === "bool" && !(v instanceof Uint8Array)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v as TypedArray;
}

function scalarOf(data: TypedArray | string[], dtype: DType): AttrValue {
  const x = data[0];
  if (dtype === "bool") return x !== 0;
  if (dtype === "float16") return float16ToFloat32(new Uint16Array([x as number]))[0];
  if (typeof x === "bigint") return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  return x;
}

/** Object references as the referenced objects' absolute paths ("" where none leads there). */
export async function referencePaths(file: Hdf5File, v: Values): Promise<string[]> {
  if (!(v instanceof BigUint64Array)) throw new Error("only object references are supported");
  return Promise.all(Array.from(v, async (a) => (await file.pathOf(Number(a))) ?? ""));
}

export async function attrValue(file: Hdf5File, a: Attribute): Promise<AttrValue> {
  if (a.shape === null) return null;
  const t = a.datatype;
  if (t.class === "reference") {
    const paths = await referencePaths(file, a.value);
    return a.shape.length === 0 ? paths[0] : paths;
  }
  if (t.class === "compound") {
    const out: { [k: string]: AttrValue } = {};
    const rec = a.value as Record<string, Values>;
    for (const m of t.members) {
      const dt = dtypeOf(m.type);
      if (dt) out[m.name] = { dtype: dt, shape: a.shape, data: toData(rec[m.name], dt) } as NDArray;
    }
    return out;
  }
  const dtype = dtypeOf(t);
  if (!dtype) throw new Error(`attribute type ${t.class} is not supported`);
  const data = toData(a.value, dtype);
  if (a.shape.length === 0) return scalarOf(data, dtype);
  if (dtype === "string") return data as string[];
  return { dtype, shape: a.shape, data };
}

class Hdf5Reader implements StoreReader {
  readonly backend = "hdf5" as const;

  constructor(
    private readonly file: Hdf5File,
    readonly source: string,
    private readonly options: OpenHdf5Options,
  ) {}

  private async guard<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toFormatError(this.source, path, e);
    }
  }

  private async node(path: string): Promise<Node> {
    const n = await this.file.get(path);
    if (!n) throw new FormatError(this.source, path, "no such element");
    return n;
  }

  private async dataset(path: string): Promise<Dataset> {
    const n = await this.node(path);
    if (n.kind !== "dataset") throw new FormatError(this.source, path, `is a ${n.kind === "group" ? "group" : "committed datatype"}, expected an array`);
    return n;
  }

  private async attrs(path: string, list: Attribute[]): Promise<Attrs> {
    const out: Attrs = {};
    for (const a of list) {
      try {
        out[a.name] = await attrValue(this.file, a);
      } catch (e) {
        throw new FormatError(this.source, path, `attribute ${a.name}: ${(e as Error).message}`, { cause: e });
      }
    }
    return out;
  }

  get(path: string): Promise<NodeInfo | null> {
    return this.guard(path, async () => {
      const n = await this.file.get(path);
      if (!n) return null;
      const clean = path.replace(/^\/+|\/+$/g, "");
      if (n.kind === "group") return { kind: "group", path: clean, attrs: await this.attrs(clean, await n.attributes()) };
      // AnnData has no element stored as a committed datatype (anndata cannot read one either).
      if (n.kind === "datatype") throw new FormatError(this.source, clean, "is a committed datatype, not a group or an array; expected an AnnData element");
      const t = n.datatype;
      const info: Hdf5ArrayInfo = {
        kind: "array",
        path: clean,
        shape: n.dataspace.kind === "null" ? [0] : n.shape.slice(),
        dtype: "uint8",
        chunks: n.chunks ? n.chunks.slice() : null,
        compression: describeFilters(n.filters),
        attrs: await this.attrs(clean, await n.attributes()),
      };
      if (t.class === "compound") {
        info.fields = t.members.map((m) => {
          const base = m.type.class === "array" ? m.type.base : m.type;
          const dt = dtypeOf(base);
          if (!dt) throw new FormatError(this.source, clean, `compound field ${m.name}: type ${m.type.class} is not supported`);
          const text: FieldText | undefined =
            base.class === "string" ? { kind: "bytes", size: base.size } : base.class === "vlen-string" ? { kind: "vlen" } : undefined;
          return text ? { name: m.name, dtype: dt, text } : { name: m.name, dtype: dt };
        });
        info.dtype = info.fields[0]?.dtype ?? "uint8";
      } else {
        const dt = dtypeOf(t);
        if (!dt) throw new FormatError(this.source, clean, `datatype ${t.class} (${t.size} bytes) is not supported`);
        info.dtype = dt;
        if (t.class === "enum" && dt !== "bool") info.enumMembers = t.members.map((m) => ({ name: m.name, value: m.value }));
      }
      return info;
    });
  }

  list(path: string): Promise<string[]> {
    return this.guard(path, async () => {
      const n = await this.node(path);
      if (n.kind !== "group") throw new FormatError(this.source, path, `is ${n.kind === "dataset" ? "an array" : "a committed datatype"}, expected a group`);
      return n.keys();
    });
  }

  readArray(path: string): Promise<NDArray> {
    return this.guard(path, async () => {
      const d = await this.dataset(path);
      if (d.dataspace.kind === "null") return this.read(d, path, [], [0]);
      return this.read(d, path, d.shape.map(() => 0), d.shape.slice());
    });
  }

  readBlock(path: string, start: number[], shape: number[], options: ReadBlockOptions = {}): Promise<NDArray> {
    return this.guard(path, async () => intoBuffer(await this.read(await this.dataset(path), path, start, shape), options.into, this.source, path));
  }

  private async read(d: Dataset, path: string, start: number[], shape: number[]): Promise<NDArray> {
    const t = d.datatype;
    if (t.class === "compound") throw new FormatError(this.source, path, "a compound dataset: read it with readRecords");
    const dtype = dtypeOf(t);
    if (!dtype) throw new FormatError(this.source, path, `datatype ${t.class} is not supported`);
    if (d.dataspace.kind === "null") return { dtype, shape: [0], data: dtype === "string" ? [] : toData(await d.read(), dtype) };
    if (d.layout.class === "chunked" && unsupportedFilter(d.filters) && !/^https?:/i.test(this.source)) {
      return this.readWithH5wasm(d, path, start, shape, dtype);
    }
    const v = await d.read(start, shape, { concurrency: this.options.concurrency });
    if (t.class === "reference") return { dtype, shape: shape.slice(), data: await referencePaths(this.file, v) };
    return { dtype, shape: shape.slice(), data: toData(v, dtype) };
  }

  readRecords(path: string): Promise<Record<string, NDArray>> {
    return this.guard(path, async () => {
      const d = await this.dataset(path);
      const t = d.datatype;
      if (t.class !== "compound") throw new FormatError(this.source, path, "not a compound dataset");
      const rec = (await d.read()) as Record<string, Values>;
      const out: Record<string, NDArray> = {};
      for (const m of t.members) {
        const inner = m.type.class === "array" ? m.type : undefined;
        const dt = dtypeOf(inner ? inner.base : m.type);
        if (!dt) throw new FormatError(this.source, path, `compound field ${m.name}: type ${m.type.class} is not supported`);
        out[m.name] = { dtype: dt, shape: [...d.shape, ...(inner?.dims ?? [])], data: toData(rec[m.name], dt) };
      }
      return out;
    });
  }

  private fallback?: H5wasmFile;

  /** Datasets whose filters we do not decode: Node's h5wasm fallback, opened lazily, in place. */
  private async readWithH5wasm(d: Dataset, path: string, start: number[], shape: number[], dtype: DType): Promise<NDArray> {
    const open = formatPlatform().openH5wasm;
    if (!open) throw new FormatError(this.source, path, `${unsupportedFilterMessage(d)}; this platform has no decoder for it`);
    this.fallback ??= open(this.source);
    const v = await this.fallback.read(path, start, shape, dtype);
    return { dtype, shape: shape.slice(), data: dtype === "string" ? (v as string[]) : toData(v as TypedArray, dtype) };
  }

  async close(): Promise<void> {
    await this.fallback?.close();
    await this.file.close();
  }
}

/** "filter zstd (32015) is not decoded here" for the first filter we cannot decode. */
function unsupportedFilterMessage(d: Dataset): string {
  const f = unsupportedFilter(d.filters)!;
  return `filter ${FILTER_NAMES[f.id] ?? f.name ?? "?"} (${f.id}) is not decoded by our reader`;
}
