// Byte-range sources: the reader never needs a whole file, only ranges of it,
// so the same code reads a local file (positional reads on a FileHandle) and a
// remote one (HTTP Range requests), a Blob or bytes in memory. Local files
// are Node's (node/file-source.ts).

import { type ByteSource, checkRange } from "./byte-source.js";
import { CORS_REQUIREMENTS, HttpClient, type HttpOptions } from "./http.js";
import { hdf5Platform } from "./platform.js";
import { endOfFileFromHead } from "./reader/superblock.js";
import { SourceError } from "./source-error.js";

export { SourceError };

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

/** Options of a remote file: those of the HTTP client (time limits, retries, bounds, fetch options). */
export interface HttpSourceOptions extends HttpOptions {
  /**
   * The file size from the file's first bytes, when the server's answers do
   * not show it (default: an HDF5 superblock's end-of-file address).
   */
  sizeFromHead?: (head: Uint8Array) => number | undefined;
}

/** The first read of a remote file: its first bytes, which also tell its size where no header does. */
const HEAD_BYTES = 16 * 1024;

/**
 * A remote file read with HTTP Range requests (through HttpClient: time
 * limits, retries, bounds); counts requests and bytes. The size comes from
 * the first answer's Content-Range; where a browser hides it (another origin,
 * not exposed), from an HDF5 superblock, a short first answer, or a HEAD's
 * Content-Length. A server that ignores Range is used when the file is small
 * (within maxWholeFileBytes: the client then keeps it in memory and serves
 * every later read from it), else refused.
 */
export class HttpSource implements ByteSource {
  readonly client: HttpClient;
  private fileSize: Promise<number> | undefined;
  /** The first bytes of the file (the first answer). */
  private head: Uint8Array = new Uint8Array(0);

  constructor(
    readonly name: string,
    private readonly options: HttpSourceOptions = {},
  ) {
    this.client = HttpClient.for(options);
  }

  /** HTTP requests sent. */
  get requests(): number {
    return this.client.requests;
  }

  /** Body bytes received from the server. */
  get bytesRead(): number {
    return this.client.bytesReceived;
  }

  size(): Promise<number> {
    this.fileSize ??= (async () => {
      const first = await this.client.range(this.name, 0, HEAD_BYTES);
      if (!first) throw new SourceError(this.name, "no file at this URL");
      this.head = first.bytes;
      if (first.size !== undefined) return first.size;
      // No Content-Range to be seen: a first answer shorter than asked ended at the end of the file.
      if (first.bytes.length < HEAD_BYTES) return first.bytes.length;
      const stated = (this.options.sizeFromHead ?? endOfFileFromHead)(first.bytes);
      if (stated !== undefined) return stated;
      const h = await this.client.head(this.name);
      if (h?.size !== undefined) return h.size;
      throw new SourceError(
        this.name,
        `cannot tell the file size: the server's 206 answer shows no Content-Range and its HEAD no Content-Length (from another origin, a browser shows them only when the server sends ${CORS_REQUIREMENTS})`,
      );
    })();
    return this.fileSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const total = await this.size();
    checkRange(this.name, offset, length, total);
    if (length === 0) return new Uint8Array(0);
    if (offset + length <= this.head.length) return this.head.slice(offset, offset + length);
    // (a whole file the server sent is kept by the client, which answers from it)
    const got = await this.client.range(this.name, offset, length);
    if (!got) throw new SourceError(this.name, "no file at this URL");
    if (got.bytes.length !== length) {
      throw new SourceError(this.name, `asked ${length} bytes at ${offset} (the file has ${total}), the server sent ${got.bytes.length}`);
    }
    return got.bytes;
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
