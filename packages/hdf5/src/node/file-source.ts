// A local file read with positional reads (Node only).
import { readSync } from "node:fs";
import { type FileHandle, open as openFile } from "node:fs/promises";
import { type ByteSource, checkRange } from "../byte-source.js";
import { SourceError } from "../source-error.js";

/** A local file read with positional reads; nothing is read until asked. */
export class FileSource implements ByteSource {
  /** Reads up to this many bytes are synchronous preads (0: always asynchronous). */
  static syncBelow = 256 * 1024;

  private constructor(
    readonly name: string,
    private handle: FileHandle,
    private readonly fileSize: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await openFile(path, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SourceError(path, code === "ENOENT" ? "no such file" : `cannot open (${code ?? String(e)})`);
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new SourceError(path, "not a regular file");
    }
    return new FileSource(path, handle, st.size);
  }

  async size(): Promise<number> {
    return this.fileSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, this.fileSize);
    const buf = new Uint8Array(length);
    await this.readInto(offset, buf);
    return buf;
  }

  readIntoNow(offset: number, dst: Uint8Array): boolean {
    if (dst.length > FileSource.syncBelow) return false;
    this.readSmall(offset, dst);
    return true;
  }

  /** A synchronous pread loop (a cell, a B-tree node: from the page cache in microseconds). */
  private readSmall(offset: number, dst: Uint8Array): void {
    const length = dst.length;
    checkRange(this.name, offset, length, this.fileSize);
    let done = 0;
    while (done < length) {
      const n = readSync(this.handle.fd, dst, done, length - done, offset + done);
      if (n === 0) throw new SourceError(this.name, `unexpected end of file at ${offset + done}`);
      done += n;
    }
  }

  async readInto(offset: number, dst: Uint8Array): Promise<void> {
    const length = dst.length;
    checkRange(this.name, offset, length, this.fileSize);
    // Small reads (a cell, a B-tree node) are served from the page cache in
    // microseconds: a synchronous pread beats the threadpool round trip.
    if (length <= FileSource.syncBelow) return this.readSmall(offset, dst);
    let done = 0;
    // A positional read may return fewer bytes than asked (large reads).
    while (done < length) {
      const { bytesRead } = await this.handle.read(dst, done, length - done, offset + done);
      if (bytesRead === 0) throw new SourceError(this.name, `unexpected end of file at ${offset + done}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

