// The HDF5 StoreWriter over @cellfolio/hdf5's streaming writer. Files come out
// as h5py writes them (superblock v0, symbol-table groups, v1 B-tree chunk
// index), so h5py / anndata 0.8 / h5dump / h5wasm read them.
import {
  type AttributeValue,
  type CompoundMember,
  type DatasetWriter,
  guessChunks,
  type H5Filter,
  type H5Type,
  Hdf5Writer,
  packedCompound,
  type Sink,
} from "@cellfolio/hdf5";
import { itemSize, product } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { ArrayInfo, ArrayWriter, Attrs, AttrValue, Compression, CreateArrayOptions, DType, FieldInfo, NDArray, StoreWriter } from "../types.js";

export interface CreateHdf5Options {
  /** Replace an existing output (only at close; until then it is left alone). */
  overwrite?: boolean;
  /** Chunks compressed in parallel at most (bounds memory to that many chunks). */
  concurrency?: number;
}

/** The codecs an HDF5 output takes: those stock h5py reads (its gzip and lzf filters). */
export const HDF5_CODECS: readonly Compression["codec"][] = ["gzip", "lzf", "none"];

/** Arrays up to this size are stored contiguous unless chunks or compression are asked for. */
const CONTIGUOUS_MAX_BYTES = 4 << 20;

/** Creates an HDF5 file at `path`, written under a temporary name until `close()`. */
/** An HDF5 file at a local path (Node), or into any Sink (a MemorySink in a browser: its bytes() after close). */
export async function createHdf5(target: string | Sink, options: CreateHdf5Options = {}): Promise<StoreWriter> {
  const path = typeof target === "string" ? target : target.path;
  let file: Hdf5Writer;
  try {
    file = await Hdf5Writer.create(target, { overwrite: options.overwrite, concurrency: options.concurrency });
  } catch (e) {
    // the file sink's messages start with the path, which FormatError states
    throw new FormatError(path, "", (e as Error).message.replace(`${path}: `, ""), { cause: e });
  }
  return new Hdf5StoreWriter(path, file);
}

function h5type(dtype: DType): H5Type {
  switch (dtype) {
    case "bool":
      return { class: "bool" };
    case "string":
      return { class: "vlen-string" };
    case "float16":
    case "float32":
    case "float64":
      return { class: "float", size: itemSize(dtype) as 2 | 4 | 8 };
    default:
      return { class: "int", size: itemSize(dtype) as 1 | 2 | 4 | 8, signed: dtype.startsWith("int") };
  }
}

/** A compound member's type, as h5py stores numpy's: fixed strings null-padded ASCII ("S<n>"), vlen strings UTF-8. */
function memberType(f: FieldInfo): CompoundMember["type"] {
  if (f.dtype !== "string") return h5type(f.dtype) as CompoundMember["type"];
  const text = f.text ?? { kind: "vlen" };
  if (text.kind === "bytes") return { class: "fixed-string", size: text.size, pad: "nullpad", charset: "ascii" };
  if (text.kind === "vlen") return { class: "vlen-string" };
  throw new Error(`field ${f.name}: HDF5 has no UTF-32 strings; store it as variable-length or fixed bytes`);
}

function describe(filters: H5Filter[]): string {
  if (filters.length === 0) return "none";
  return filters.map((f) => (f.id === "deflate" ? `gzip(${f.level})` : f.id)).join("+");
}

class Hdf5StoreWriter implements StoreWriter {
  readonly backend = "hdf5" as const;

  constructor(
    readonly target: string,
    private readonly file: Hdf5Writer,
  ) {}

  private fail(path: string, e: unknown): never {
    if (e instanceof FormatError) throw e;
    throw new FormatError(this.target, path, (e as Error).message, { cause: e });
  }

  async createGroup(path: string, attrs?: Attrs): Promise<void> {
    try {
      this.file.createGroup(path);
    } catch (e) {
      this.fail(path, e);
    }
    if (attrs) await this.setAttrs(path, attrs);
  }

  private filtersFor(path: string, c: Compression | undefined): H5Filter[] {
    if (!c || c.codec === "none") return [];
    const shuffle: H5Filter[] = "shuffle" in c && c.shuffle === true ? [{ id: "shuffle" }] : [];
    if (c.codec === "gzip") return [...shuffle, { id: "deflate", level: c.level ?? 4 }];
    if (c.codec === "lzf") return [...shuffle, { id: "lzf" }];
    throw new FormatError(this.target, path, `${c.codec} compression cannot be written to HDF5 (stock h5py cannot read it); use ${HDF5_CODECS.join(", ")}`);
  }

  async createArray(path: string, options: CreateArrayOptions): Promise<ArrayWriter> {
    const { shape, dtype } = options;
    const filters = this.filtersFor(path, options.compression);
    const type = h5type(dtype);
    const elementSize = dtype === "string" ? 16 : itemSize(dtype);
    const n = product(shape);
    let chunks: number[] | null = null;
    // zero-size and 0-d arrays are contiguous (HDF5 chunks must fit fixed dims)
    if (n > 0 && shape.length > 0) {
      if (options.chunks) chunks = options.chunks.map((c, i) => Math.max(1, Math.min(c, shape[i])));
      else if (filters.length > 0 || n * elementSize > CONTIGUOUS_MAX_BYTES) chunks = guessChunks(shape, elementSize);
    }
    let dataset: DatasetWriter;
    try {
      dataset = this.file.createDataset(path, { shape, type, chunks, filters: chunks ? filters : [] });
    } catch (e) {
      this.fail(path, e);
    }
    const info: ArrayInfo = {
      kind: "array",
      path: path.replace(/^\/+/, ""),
      shape: shape.slice(),
      dtype,
      chunks: chunks ? chunks.slice() : null,
      compression: describe(chunks ? filters : []),
      attrs: { ...(options.attrs ?? {}) },
    };
    if (options.attrs) await this.setAttrs(path, options.attrs);
    return new Hdf5ArrayWriter(this, info, dataset);
  }

  async writeArray(path: string, data: NDArray, options: Omit<CreateArrayOptions, "shape" | "dtype"> = {}): Promise<void> {
    const w = await this.createArray(path, { ...options, shape: data.shape, dtype: data.dtype });
    await w.setBlock(
      data.shape.map(() => 0),
      data,
    );
    await w.close();
  }

  async writeRecords(path: string, fields: FieldInfo[], columns: NDArray[], attrs?: Attrs): Promise<void> {
    try {
      if (fields.length === 0 || fields.length !== columns.length) throw new Error(`${columns.length} columns for ${fields.length} fields`);
      const n = columns[0].shape[0] ?? 0;
      if (columns.some((c, i) => c.shape.length !== 1 || c.shape[0] !== n || c.dtype !== fields[i].dtype))
        throw new Error("record columns must be 1-D, of equal length and of their field's dtype");
      const type = packedCompound(fields.map((f) => ({ name: f.name, type: memberType(f) })));
      const bytes = n * (type as { size: number }).size;
      // small, as rec-arrays are: contiguous as h5py stores them; chunked (unfiltered) beyond that
      const chunks = n > 0 && bytes > CONTIGUOUS_MAX_BYTES ? guessChunks([n], (type as { size: number }).size) : null;
      const dataset = this.file.createDataset(path, { shape: [n], type, chunks });
      if (n > 0) await dataset.write([0], [n], dataset.packRecords(columns.map((c) => c.data as ArrayBufferView | string[])));
    } catch (e) {
      this.fail(path, e);
    }
    if (attrs) await this.setAttrs(path, attrs);
  }

  async setAttrs(path: string, attrs: Attrs): Promise<void> {
    for (const [name, value] of Object.entries(attrs)) {
      let v: AttributeValue;
      try {
        v = attributeValue(value);
      } catch (e) {
        this.fail(path, new Error(`attribute ${name}: ${(e as Error).message}`));
      }
      try {
        this.file.setAttribute(path, name, v);
      } catch (e) {
        this.fail(path, e);
      }
    }
  }

  async close(): Promise<void> {
    try {
      await this.file.close();
    } catch (e) {
      this.fail("", e);
    }
  }

  async abort(): Promise<void> {
    await this.file.abort();
  }

  /** For the array writers. */
  wrap(path: string, e: unknown): never {
    this.fail(path, e);
  }
}

class Hdf5ArrayWriter implements ArrayWriter {
  readonly unit: number[];

  constructor(
    private readonly store: Hdf5StoreWriter,
    readonly info: ArrayInfo,
    private readonly dataset: DatasetWriter,
  ) {
    this.unit = dataset.unit.slice();
  }

  async setBlock(start: number[], block: NDArray): Promise<void> {
    if (block.dtype !== this.info.dtype) this.store.wrap(this.info.path, new Error(`block of ${block.dtype} for a ${this.info.dtype} array`));
    try {
      await this.dataset.write(start, block.shape, block.data as ArrayBufferView | string[]);
    } catch (e) {
      this.store.wrap(this.info.path, e);
    }
  }

  get chunkFilters(): H5Filter[] {
    return this.dataset.filters.map((f) => ({ ...f }));
  }

  async setEncodedBlock(start: number[], shape: number[], bytes: Uint8Array, sizes: ArrayLike<number>, masks: ArrayLike<number>): Promise<void> {
    try {
      await this.dataset.writeEncoded(start, shape, bytes, sizes, masks);
    } catch (e) {
      this.store.wrap(this.info.path, e);
    }
  }

  async close(): Promise<void> {}
}

const INT64: H5Type = { class: "int", size: 8, signed: true };
const FLOAT64: H5Type = { class: "float", size: 8 };

/** h5py's mapping of Python values onto HDF5 attributes. */
function attributeValue(value: AttrValue): AttributeValue {
  if (typeof value === "string") return { type: { class: "vlen-string" }, shape: [], data: [value] };
  if (typeof value === "boolean") return { type: { class: "bool" }, shape: [], data: new Uint8Array([value ? 1 : 0]) };
  if (typeof value === "bigint") return { type: INT64, shape: [], data: new BigInt64Array([value]) };
  if (typeof value === "number") {
    if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return { type: INT64, shape: [], data: new BigInt64Array([BigInt(value)]) };
    return { type: FLOAT64, shape: [], data: new Float64Array([value]) };
  }
  if (value === null) throw new Error("null has no HDF5 attribute form");
  if (Array.isArray(value)) {
    if (value.length === 0) return { type: FLOAT64, shape: [0], data: new Float64Array(0) };
    if (value.every((v) => typeof v === "string")) return { type: { class: "vlen-string" }, shape: [value.length], data: value as string[] };
    if (value.every((v) => typeof v === "boolean")) return { type: { class: "bool" }, shape: [value.length], data: Uint8Array.from(value as boolean[], (b) => (b ? 1 : 0)) };
    if (value.every((v) => typeof v === "bigint")) return { type: INT64, shape: [value.length], data: BigInt64Array.from(value as bigint[]) };
    if (value.every((v) => typeof v === "number")) {
      const nums = value as number[];
      if (nums.every((v) => Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER))
        return { type: INT64, shape: [nums.length], data: BigInt64Array.from(nums, (v) => BigInt(v)) };
      return { type: FLOAT64, shape: [nums.length], data: Float64Array.from(nums) };
    }
    throw new Error("arrays must hold only strings, only booleans or only numbers");
  }
  if (typeof value === "object" && "dtype" in value && "shape" in value && "data" in value) {
    const nd = value as NDArray;
    return { type: h5type(nd.dtype), shape: nd.shape.slice(), data: nd.data as ArrayBufferView | string[] };
  }
  throw new Error("objects have no HDF5 attribute form (h5py cannot store a dict)");
}
