// What the HDF5 reader reads through: a byte-range source (a file, a URL, a
// Blob, bytes in memory; the sources are source.ts and node/file-source.ts),
// and the block cache its metadata reads go through.
import { SourceError } from "./source-error.js";

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

/** Throws unless `length` bytes at `offset` lie inside a file of `size` bytes. */
export function checkRange(name: string, offset: number, length: number, size: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new SourceError(name, `read of ${length} bytes at ${offset} passes the end of the file (${size} bytes)`);
  }
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
