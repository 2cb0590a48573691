// What the reader and writer need from the host beyond plain JavaScript: local
// files, worker threads, the core count. The core runs anywhere (a browser
// page, a worker, Node) with the defaults below: HTTP and in-memory sources,
// in-memory sinks, filters on the calling thread. Node's entry (node.ts)
// installs file sources and sinks and worker pools.

import { CellfolioError } from "@cellfolio/codecs";
import type { ByteSource } from "./byte-source.js";
import type { EncodedChunk, H5Filter } from "./filters/registry.js";
import type { Filter } from "./reader/messages.js";

/** Where the writer puts the file's bytes: appended, reserved and filled in later, committed at close. */
export interface Sink {
  /** The final name (a path, or a label for an in-memory file), for messages. */
  readonly path: string;
  /** Where the bytes go until commit (a temporary file), or the same as `path`. */
  readonly tmpPath: string;
  /** Address of the next appended byte. */
  readonly end: number;
  /** Appends `bytes` (copied, or written before they could change); returns their address. */
  append(bytes: Uint8Array): number;
  /** Reserves `size` bytes (read as zeros unless written) to be written with `writeAt`. */
  reserve(size: number): number;
  /** Writes into a reserved region. */
  writeAt(address: number, bytes: Uint8Array): void;
  /** Writes into a reserved region; resolves once `bytes` may be reused. */
  writeNow(address: number, bytes: Uint8Array): Promise<void>;
  /** Waits while too many writes are in flight (keeps memory bounded). */
  backpressure(): Promise<void>;
  flush(): Promise<void>;
  /** Flushes and makes the file appear under its final name. */
  commit(): Promise<void>;
  /** Drops everything written. */
  discard(): Promise<void>;
}

/** One decode job for a pool: adjacent stored chunks, decoded one after the other. */
export interface DecodeJob {
  /** Stored bytes of adjacent chunks (its buffer may be transferred). */
  bytes: Uint8Array;
  chunks: { offset: number; size: number; mask: number }[];
  filters: Filter[];
  rawSize: number;
  elementSize: number;
}

export interface DecodePool {
  /** Groups of fewer chunks stay on the calling thread (default 16: a Node worker round trip costs more than one cell's stack). */
  readonly minChunks?: number;
  /** Every chunk of the job decoded, their raw bytes one after the other; a ChunkDecodeError names the failing one. */
  decode(job: DecodeJob): Promise<Uint8Array>;
}

export interface FilterPool {
  /** Runs the filter pipeline on `raw` elsewhere (its buffer may be transferred). */
  encode(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): Promise<EncodedChunk>;
  close(): Promise<void>;
}

/** A pool's failure on chunk `chunk` of its job. */
export class ChunkDecodeError extends CellfolioError {
  constructor(
    message: string,
    readonly chunk: number,
  ) {
    super("chunk-decode", "", undefined, message);
    this.name = "ChunkDecodeError";
  }
}

export interface Hdf5Platform {
  /** A local file by path (undefined: not on this platform). */
  openFile?(path: string): Promise<ByteSource>;
  /** A file sink at `path`, written under a temporary name until commit. */
  createFileSink?(path: string, overwrite: boolean): Promise<Sink>;
  /** The shared decode pool, if this platform has threads for it. */
  decodePool?(): DecodePool | undefined;
  /** Whether many-chunk reads go to the decode pool unless a read says otherwise. */
  decodeWorkersByDefault: boolean;
  /** A new filter pool of `workers` threads, if this platform has threads. */
  filterPool?(workers: number): FilterPool;
  /** Threads worth using for filters by default (0: filters on the calling thread). */
  filterWorkers: number;
  /** Memory that need not be zeroed (Node: Buffer.allocUnsafeSlow); default a plain ArrayBuffer. */
  allocUninitialised?(bytes: number): ArrayBuffer;
}

let platform: Hdf5Platform = { decodeWorkersByDefault: false, filterWorkers: 0 };

/** Installs the host's capabilities (Node's entry does this when it loads). */
export function setHdf5Platform(p: Partial<Hdf5Platform>): void {
  platform = { ...platform, ...p };
}

export function hdf5Platform(): Hdf5Platform {
  return platform;
}

/**
 * `bytes` of memory for a caller that writes every byte: not zeroed where the
 * platform can (zeroing a fresh multi-MB block costs ~5% of a read), a plain
 * ArrayBuffer elsewhere. The one place this is decided, for every package.
 */
export function allocUninitialised(bytes: number): ArrayBuffer {
  return platform.allocUninitialised?.(bytes) ?? new ArrayBuffer(bytes);
}

/** Lets the event loop turn (setImmediate where there is one, else a macrotask). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  return new Promise<void>((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
