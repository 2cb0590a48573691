// What every structure reader needs: the source, the metadata block cache and
// the superblock's sizes. Addresses in the file are relative to the base address.
import { BlockCache, type ByteSource } from "../byte-source.js";
import { Cursor, UNDEFINED } from "./cursor.js";
import { Hdf5Error } from "./errors.js";

export class FileContext {
  offsetSize = 8;
  lengthSize = 8;
  base = 0;
  /** How v1 B-tree chunk indexes are used: "load" whole, "search" per read, "auto" (search remote files for the first small reads). */
  indexMode: "auto" | "load" | "search" = "auto";
  readonly meta: BlockCache;
  /** An http(s) source: metadata goes through the block cache to save requests. */
  readonly remote: boolean;

  constructor(
    readonly source: ByteSource,
    readonly fileSize: number,
    metaBlockSize?: number,
  ) {
    // Remote files: smaller blocks, since h5py interleaves metadata with data.
    const remote = /^https?:/i.test(source.name);
    this.remote = remote;
    this.meta = new BlockCache(source, fileSize, metaBlockSize ?? (remote ? 16 * 1024 : 64 * 1024));
  }

  get name(): string {
    return this.source.name;
  }

  error(path: string, problem: string, cause?: unknown): Hdf5Error {
    return new Hdf5Error(this.name, path, problem, cause === undefined ? undefined : { cause });
  }

  /** The absolute file offset of a (relative) address, checked against the file size. */
  abs(addr: number, length: number, path: string, what: string): number {
    if (addr === UNDEFINED) throw this.error(path, `${what}: undefined address`);
    const a = this.base + addr;
    if (a < 0 || a + length > this.fileSize) {
      throw this.error(
        path,
        `${what} at address ${addr} (+${length} bytes) is past the end of the file (${this.fileSize} bytes): truncated or corrupt file`,
      );
    }
    return a;
  }

  /** A cursor over `length` metadata bytes at `addr`. */
  async at(addr: number, length: number, path: string, what: string): Promise<Cursor> {
    const a = this.abs(addr, length, path, what);
    const b = await this.meta.read(a, length);
    return new Cursor(b, 0, this.offsetSize, this.lengthSize);
  }

  /**
   * A cursor over `length` bytes at `addr` read as they are, past the block
   * cache, for a local file (a B-tree node among chunks: a 64 KiB block would
   * read mostly chunk data); through the cache for a remote one (requests).
   */
  async direct(addr: number, length: number, path: string, what: string): Promise<Cursor> {
    if (this.remote) return this.at(addr, length, path, what);
    const a = this.abs(addr, length, path, what);
    return new Cursor(await this.source.read(a, length), 0, this.offsetSize, this.lengthSize);
  }

  /** A cursor over up to `length` bytes at `addr`, fewer if the file ends first (for structures whose size is read from their start). */
  async upTo(addr: number, length: number, path: string, what: string): Promise<Cursor> {
    const a = this.abs(addr, 1, path, what);
    const b = await this.meta.read(a, Math.min(length, this.fileSize - a));
    return new Cursor(b, 0, this.offsetSize, this.lengthSize);
  }

  /** Runs `fn`, turning structure errors (truncation, bad signature) into errors naming the file and object. */
  async guard<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Hdf5Error) throw e;
      if (e instanceof RangeError || e instanceof TypeError) throw this.error(path, `${what}: ${e.message}`, e);
      throw e;
    }
  }
}
