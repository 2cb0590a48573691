// What AnnData reading and writing needs from the host beyond plain
// JavaScript: local files and directories, worker threads, native codecs, the
// h5wasm fallback. The core runs anywhere (a browser page, a worker, Node)
// with HTTP, in-memory and Blob stores; Node's entry (node.ts) installs the
// rest when it loads.
import type { DType, TypedArray } from "./types.js";
import type { ChunkSource, KeySink, KeyStore } from "./zarr/key-store.js";
import type { ByteCodec } from "./zarr/metadata.js";
import type { ReadReport, SharedTarget } from "./zarr/shared-read.js";

/** Byte codecs on other threads (Node: worker_threads). Each call may return null: "do it on this thread". */
export interface CodecPool {
  /** Runs `codecs` over `data` elsewhere; `data` may be transferred. */
  run(op: "encode" | "decode", codecs: ByteCodec[], data: Uint8Array): Promise<Uint8Array> | null;
  /** Reads and decodes local chunks into shared memory beside the calling thread (see shared-read.ts). */
  readChunks(codecs: ByteCodec[], sources: ChunkSource[], chunkBytes: number, target: SharedTarget): Promise<ReadReport> | null;
  /** Threads to share a block read with (0: not worth it for these codecs). */
  helpers(codecs: ByteCodec[]): number;
}

/** A file opened by h5wasm (lazily: its first read loads the module). */
export interface H5wasmFile {
  /** A block of a dataset: typed values (float16 and bool as their raw bits), or strings. */
  read(path: string, start: number[], shape: number[], dtype: DType): Promise<TypedArray | string[]>;
  close(): Promise<void>;
}

/** What a local path holds. */
export type LocalKind = "directory" | "hdf5" | "zip" | "other";

export interface FormatPlatform {
  /** What a local path is; throws a FormatError naming the path when it cannot be read. */
  localKind?(path: string): Promise<LocalKind>;
  /** Bytes a local file holds, or all files under a local directory (for the size check of `plausibleSize`). */
  storedBytes?(path: string): Promise<number>;
  /** The key store of a local directory or zip file. */
  openLocalKeyStore?(path: string): Promise<KeyStore>;
  /** A directory written under a temporary name, renamed onto `path` at commit. */
  createDirectorySink?(path: string, overwrite: boolean): Promise<KeySink>;
  /** A local HDF5 file opened by h5wasm, for datasets whose filters we do not decode (zstd, blosc). */
  openH5wasm?(path: string): H5wasmFile;
  codecPool?: CodecPool;
  /** Native zstd (Node >= 22.15's zlib). */
  zstd?: { compress(data: Uint8Array, level: number): Promise<Uint8Array>; decompress(data: Uint8Array): Promise<Uint8Array> };
}

let platform: FormatPlatform = {};

/** Installs the host's capabilities (Node's entry does this when it loads). */
export function setFormatPlatform(p: Partial<FormatPlatform>): void {
  platform = { ...platform, ...p };
}

export function formatPlatform(): FormatPlatform {
  return platform;
}

/** The problem with a local path where the platform has no files. */
export const NO_LOCAL_FILES =
  "local paths are read and written only under Node; in a browser open an http(s) URL, or pass bytes, a Blob or a store";
