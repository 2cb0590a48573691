// What a Zarr store is to the reader and the writer: keys read (KeyStore,
// FileKeyStore when its chunks are local files) and keys written (KeySink,
// KeyFile). The stores themselves are in stores.ts and node/stores.ts.

export interface KeyStore {
  readonly source: string;
  get(key: string): Promise<Uint8Array | undefined>;
  /** `length` bytes from `offset`; a negative offset counts from the end. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined>;
  /** Child names under a prefix ("" for the root), or null when the store cannot list. */
  listDir(prefix: string): Promise<string[] | null>;
  close(): Promise<void>;
}

/**
 * A store whose chunks are files another thread can read by itself (a local
 * directory): block reads then share the decoding with codec workers.
 */
export interface FileKeyStore extends KeyStore {
  /** The file that holds `key`. */
  file(key: string): string;
  /** A chunk's bytes in a buffer the store reuses (valid until the next call); undefined when absent. */
  readNow(src: ChunkSource): Uint8Array | undefined;
  /** Closes what readNow keeps open. */
  release(): void;
}

export function hasFiles(store: KeyStore): store is FileKeyStore {
  return typeof (store as Partial<FileKeyStore>).readNow === "function";
}

/** A key written in place, piece by piece (a shard: inner chunks, then its index). */
export interface KeyFile {
  writev(parts: Uint8Array[], at: number): Promise<void>;
  write(bytes: Uint8Array, at: number): Promise<void>;
  close(): Promise<void>;
}

/** Where a Zarr writer puts its keys; nothing appears under the final name before commit. */
export interface KeySink {
  /** The final name, for messages. */
  readonly target: string;
  put(key: string, bytes: Uint8Array): Promise<void>;
  open(key: string): Promise<KeyFile>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where a chunk's bytes are in a local store: a whole file, or `length` bytes at `offset` (an inner chunk of a shard). */
export interface ChunkSource {
  file: string;
  offset?: number;
  length?: number;
}
