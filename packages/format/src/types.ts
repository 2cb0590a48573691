// The storage model every backend (HDF5, Zarr v2, Zarr v3, memory) speaks.
// The AnnData element layer (registry.ts, elements/) is written against these
// interfaces only, so the format is described once whatever the backend.
import type { H5Filter, TypedArray } from "@cellfolio/hdf5";

/** Element data types, named as numpy names them. */
export type DType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64"
  | "string";

/** The typed arrays elements are held in: hdf5's, for one list of them. */
export type { TypedArray };

/**
 * An n-dimensional array in memory, row-major (C order).
 * - float16 data is a Uint16Array of IEEE 754 half-precision bit patterns
 *   (Node 20 has no Float16Array);
 * - bool data is a Uint8Array of 0/1;
 * - int64 / uint64 data is BigInt64Array / BigUint64Array;
 * - string data is a string[] (UTF-8 on disk).
 */
export interface ReadBlockOptions {
  /**
   * Where to put the block: a typed array of the dtype's class (Uint16Array
   * for float16) with room for it, reused from block to block as a data
   * loader does; the result's `data` is a view of it. A fresh multi-MB block
   * per read costs page faults: Zarr v2 blocks read 1.15-1.4x faster into a
   * reused buffer (bench/zarr-io).
   */
  into?: TypedArray;
}

export interface NDArray {
  dtype: DType;
  shape: number[];
  data: TypedArray | string[];
}

/**
 * Attribute values. JSON-like values map as h5py / zarr-python map Python
 * values: string -> UTF-8 string, integer number -> int64, other number ->
 * float64, boolean -> bool, arrays of those -> 1-D arrays. An NDArray gives the
 * exact dtype (for instance an empty float64 array, or uint64 values).
 */
export type AttrValue = string | number | boolean | bigint | null | NDArray | AttrValue[] | { [key: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

/** A byte codec of a Zarr chunk as configured (metadata.ts reads and writes them). */
export type ByteCodec =
  | { id: "gzip"; level: number }
  | { id: "zlib"; level: number }
  | { id: "zstd"; level: number; checksum?: boolean }
  | { id: "blosc"; cname: "lz4" | "lz4hc" | "zstd" | "zlib" | "blosclz"; clevel: number; shuffle: 0 | 1 | 2; typesize: number }
  | { id: "lz4" }
  | { id: "shuffle"; elementsize: number }
  | { id: "crc32c" }
  /**
   * LZF (HDF5's filter 32000), as imagecodecs' numcodecs codec names it: `header`
   * true puts the decoded size in 4 bytes before the stream; HDF5 chunks have
   * none, and `size` (the decoded bytes, known from the chunk shape) sizes the output.
   */
  | { id: "lzf"; header: boolean; size?: number }
  /** HDF5's fletcher32 checksum (filter 3): 4 bytes after the data, as numcodecs' Fletcher32 has it. */
  | { id: "fletcher32" };

/** Compression of chunks. `shuffle` is the byte shuffle filter applied first. */
export type Compression =
  | { codec: "none" }
  | { codec: "gzip"; level?: number; shuffle?: boolean }
  | { codec: "zstd"; level?: number; shuffle?: boolean }
  | { codec: "blosc"; cname?: "lz4" | "lz4hc" | "zstd" | "zlib" | "blosclz"; clevel?: number; shuffle?: "none" | "byte" | "bit" }
  | { codec: "lzf"; shuffle?: boolean };

export interface GroupInfo {
  kind: "group";
  path: string;
  attrs: Attrs;
}

/**
 * How a string field of a compound (structured) array is stored: variable
 * length (HDF5 vlen, numpy object), fixed bytes (numpy "S<size>", HDF5 fixed
 * string) or fixed UTF-32 (numpy "U<chars>", Zarr only).
 */
export type FieldText = { kind: "vlen" } | { kind: "bytes"; size: number } | { kind: "utf32"; chars: number };

/** One field of a compound array; `text` is set for string fields. */
export interface FieldInfo {
  name: string;
  dtype: DType;
  text?: FieldText;
}

export interface ArrayInfo {
  kind: "array";
  path: string;
  shape: number[];
  dtype: DType;
  /** Chunk shape; null for contiguous (unchunked) HDF5 datasets. */
  chunks: number[] | null;
  /** Shard shape for sharded Zarr v3 arrays. */
  shards?: number[] | null;
  /** Human-readable codec pipeline, e.g. "shuffle+gzip(4)", "zstd(0)", "lzf". */
  compression: string;
  attrs: Attrs;
  /**
   * Set for compound (structured) arrays, as legacy h5ad files and rec-arrays
   * hold: the fields in order. `dtype` is then that of the first field, and
   * the array is read with `readRecords`, not `readArray`.
   */
  fields?: FieldInfo[];
}

export type NodeInfo = GroupInfo | ArrayInfo;

/** Read side of a backend. Paths are "/"-separated, relative to the root ("" is the root). */
export interface StoreReader {
  readonly backend: "hdf5" | "zarr" | "memory";
  /** The file path or URL, for error messages. */
  readonly source: string;
  readonly zarrFormat?: 2 | 3;
  /** The node at `path`, or null if there is none. */
  get(path: string): Promise<NodeInfo | null>;
  /** Names of the children of the group at `path`, sorted. */
  list(path: string): Promise<string[]>;
  /** The whole array. */
  readArray(path: string): Promise<NDArray>;
  /** One hyperslab: `shape[i]` elements from `start[i]` on every axis. */
  readBlock(path: string, start: number[], shape: number[], options?: ReadBlockOptions): Promise<NDArray>;
  /**
   * Rows of axis 0 in the order given (a shuffled batch), each the box
   * start / shape of the other axes, as one (rows.length, ...shape) array.
   * Zarr only; elsewhere read row by row with readBlock.
   */
  readRows?(path: string, rows: ArrayLike<number>, start: number[], shape: number[], options?: ReadBlockOptions): Promise<NDArray>;
  /** A compound array (ArrayInfo.fields set) as one 1-D array per field. */
  readRecords?(path: string): Promise<Record<string, NDArray>>;
  close(): Promise<void>;
}

export interface CreateArrayOptions {
  shape: number[];
  dtype: DType;
  /** Chunk shape; defaults chosen by the backend. */
  chunks?: number[];
  /** Zarr v3 only: shard shape (a multiple of chunks); null disables sharding. */
  shards?: number[] | null;
  compression?: Compression;
  attrs?: Attrs;
}

/**
 * Streaming writer of one array. Blocks must start on write-unit boundaries
 * (the chunk, or for sharded arrays the shard) and span whole units, except
 * where they end at the array's edge. Use `RowAppender` (streaming.ts) to
 * write rows in order without caring about units.
 */
export interface ArrayWriter {
  readonly info: ArrayInfo;
  /** The write unit: chunks, or shards where the array is sharded. */
  readonly unit: number[];
  setBlock(start: number[], block: NDArray): Promise<void>;
  /**
   * Optional capability, for callers that encode chunks themselves (the
   * extraction workers, where the stacks are made): the filters every chunk
   * goes through (@cellfolio/hdf5's encodeChunkSync takes them). The HDF5
   * writer has it; with it comes setEncodedBlock.
   */
  readonly chunkFilters?: H5Filter[];
  /**
   * The Zarr writer's counterpart: a chunk's byte codecs when the caller can
   * run them itself (encodeByteCodecsSync: no gzip / zstd inside), null
   * otherwise. A chunk's raw bytes are its elements, little-endian, C order.
   */
  readonly chunkCodecs?: ByteCodec[] | null;
  /** A block whose chunks are encoded, back to back in C order; sizes / masks (HDF5's filter masks; 0 for Zarr) per chunk. `bytes` must stay unchanged. */
  setEncodedBlock?(start: number[], shape: number[], bytes: Uint8Array, sizes: ArrayLike<number>, masks: ArrayLike<number>): Promise<void>;
  /** Flushes everything of this array; metadata may still be written at the store's close. */
  close(): Promise<void>;
}

/** Write side of a backend. Output appears under its final name only at `close()`. */
export interface StoreWriter {
  readonly backend: "hdf5" | "zarr" | "memory";
  readonly target: string;
  readonly zarrFormat?: 2 | 3;
  createGroup(path: string, attrs?: Attrs): Promise<void>;
  createArray(path: string, options: CreateArrayOptions): Promise<ArrayWriter>;
  /** Convenience: create an array and write all of `data`. */
  writeArray(path: string, data: NDArray, options?: Omit<CreateArrayOptions, "shape" | "dtype">): Promise<void>;
  /**
   * Writes a 1-D compound (structured) array whole, packed as numpy packs it
   * (aligned=False): one column per field, in order, every string field with
   * its `text` storage. Absent where the backend stores no compound arrays.
   */
  writeRecords?(path: string, fields: FieldInfo[], columns: NDArray[], attrs?: Attrs): Promise<void>;
  /** Adds or replaces attributes of an existing group or array. */
  setAttrs(path: string, attrs: Attrs): Promise<void>;
  /** Finishes: metadata, consolidated metadata, rename from the temporary name. */
  close(): Promise<void>;
  /** Gives up: removes the temporary output; the target is left as it was. */
  abort(): Promise<void>;
}
