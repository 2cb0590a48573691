// Byte-range sources: the reader never needs a whole file, only ranges of it,
// so the same code reads a local file (positional reads on a FileHandle) and a
// remote one (HTTP Range requests), a Blob or bytes in memory. Local files
// are Node's (node/file-source.ts).
import { hdf5Platform } from "./platform.js";

export interface ByteSource {
  /** Exactly `length` bytes from `offset`; rejects if the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Optional: reads `dst.length` bytes at `offset` straight into `dst` (no copy). */
  readInto?(offset: number, dst: Uint8Array): Promise<void>;
  /**
   * Optional: the same, done synchronously when the source can (a small read
   * of a local file); false when it cannot, and nothing was read.
   */
  readIntoNow?(offset: number, dst: Uint8Array): boolean;
  size(): Promise<number>;
  close?(): Promise<void>;
  /** The file path or URL, for error messages. */
  readonly name: string;
}

/** Thrown when a source cannot give the bytes asked for. */
export class SourceError extends Error {
  constructor(
    readonly sourceName: string,
    message: string,
  ) {
    super(`${sourceName}: ${message}`);
    this.name = "SourceError";
  }
}

/** A file already in memory (an ArrayBuffer, a fetched or generated file). */
export class MemorySource implements ByteSource {
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = "(memory)",
  ) {}
  async size(): Promise<number> {
    return this.bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, this.bytes.length);
    return this.bytes.slice(offset, offset + length);
  }
  async readInto(offset: number, dst: Uint8Array): Promise<void> {
    this.readIntoNow(offset, dst);
  }
  readIntoNow(offset: number, dst: Uint8Array): boolean {
    checkRange(this.name, offset, dst.length, this.bytes.length);
    dst.set(this.bytes.subarray(offset, offset + dst.length));
    return true;
  }
}

/** A Blob or a browser File (a dropped or picked file): read by slices, never whole. */
export class BlobSource implements ByteSource {
  constructor(
    private readonly blob: Blob,
    readonly name = (blob as { name?: string }).name ?? "(blob)",
  ) {}
  async size(): Promise<number> {
    return this.blob.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, this.blob.size);
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
}

/** Throws unless `length` bytes at `offset` lie inside a file of `size` bytes. */
export function checkRange(name: string, offset: number, length: number, size: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new SourceError(name, `read of ${length} bytes at ${offset} passes the end of the file (${size} bytes)`);
  }
}

export interface HttpSourceOptions {
  /** Extra fetch options (headers, credentials). */
  fetchInit?: RequestInit;
}

/** A remote file read with HTTP Range requests; counts requests and bytes. */
export class HttpSource implements ByteSource {
  requests = 0;
  bytesRead = 0;
  private fileSize: Promise<number> | undefined;

  constructor(
    readonly name: string,
    private readonly options: HttpSourceOptions = {},
  ) {}

  private async get(range: string): Promise<Response> {
    this.requests++;
    const headers = new Headers(this.options.fetchInit?.headers);
    headers.set("Range", range);
    let res: Response;
    try {
      res = await fetch(this.name, { ...this.options.fetchInit, headers });
    } catch (e) {
      throw new SourceError(this.name, `request failed: ${(e as Error).message}`);
    }
    if (res.status === 404) throw new SourceError(this.name, "not found (HTTP 404)");
    if (res.status === 416) throw new SourceError(this.name, `range ${range} not satisfiable (HTTP 416)`);
    if (!res.ok) throw new SourceError(this.name, `HTTP ${res.status} ${res.statusText}`);
    if (res.status !== 206) {
      // A 200 would send the whole file: refuse rather than download it.
      await res.body?.cancel();
      throw new SourceError(this.name, `the server ignores Range requests (HTTP ${res.status} instead of 206)`);
    }
    return res;
  }

  size(): Promise<number> {
    // One ranged GET of the first byte tells the size (Content-Range) without a HEAD.
    this.fileSize ??= (async () => {
      const res = await this.get("bytes=0-0");
      await res.arrayBuffer();
      const m = /\/(\d+)\s*$/.exec(res.headers.get("content-range") ?? "");
      if (!m) throw new SourceError(this.name, "the server gave no Content-Range with the file size");
      return Number(m[1]);
    })();
    return this.fileSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const total = await this.size();
    checkRange(this.name, offset, length, total);
    if (length === 0) return new Uint8Array(0);
    const res = await this.get(`bytes=${offset}-${offset + length - 1}`);
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length !== length) {
      throw new SourceError(this.name, `asked ${length} bytes at ${offset}, the server sent ${buf.length}`);
    }
    this.bytesRead += length;
    return buf;
  }
}

/** A source for an http(s) URL, or a local path where the platform has files (Node). */
export async function openSource(pathOrUrl: string, options: HttpSourceOptions = {}): Promise<ByteSource> {
  if (/^https?:\/\//i.test(pathOrUrl)) return new HttpSource(pathOrUrl, options);
  const { openFile } = hdf5Platform();
  if (!openFile) {
    throw new SourceError(pathOrUrl, "local paths are read only under Node; in a browser pass an http(s) URL, a Blob (BlobSource) or bytes (MemorySource)");
  }
  return openFile(pathOrUrl);
}

/**
 * Metadata reads through fixed-size aligned blocks kept in a small LRU, so the
 * many small reads of object headers, heaps and B-tree nodes become a few
 * large reads (few HTTP requests). Concurrent reads of one block share it.
 */
export class BlockCache {
  private readonly blocks = new Map<number, Promise<Uint8Array>>();

  constructor(
    private readonly source: ByteSource,
    private readonly fileSize: number,
    private readonly blockSize = 64 * 1024,
    private readonly maxBlocks = 128,
  ) {}

  private block(index: number): Promise<Uint8Array> {
    let p = this.blocks.get(index);
    if (p) {
      // Most recently used goes last.
      this.blocks.delete(index);
      this.blocks.set(index, p);
      return p;
    }
    const start = index * this.blockSize;
    const len = Math.min(this.blockSize, this.fileSize - start);
    p = this.source.read(start, len);
    p.catch(() => this.blocks.delete(index));
    this.blocks.set(index, p);
    if (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return p;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.source.name, offset, length, this.fileSize);
    if (length > 4 * this.blockSize) return this.source.read(offset, length);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    if (length === 0) return new Uint8Array(0);
    if (first === last) {
      const b = await this.block(first);
      const o = offset - first * this.blockSize;
      return b.subarray(o, o + length);
    }
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(first + i)));
    const out = new Uint8Array(length);
    let pos = 0;
    for (let i = 0; i < parts.length; i++) {
      const bStart = (first + i) * this.blockSize;
      const from = Math.max(offset, bStart) - bStart;
      const to = Math.min(offset + length, bStart + parts[i].length) - bStart;
      out.set(parts[i].subarray(from, to), pos);
      pos += to - from;
    }
    return out;
  }
}
