// A sink that keeps the file in memory (a page writing a file with no server,
// a test): one growing buffer; bytes() is the file once committed.
import type { Sink } from "../platform.js";

export class MemorySink implements Sink {
  end = 0;
  private buf = new Uint8Array(1 << 16);
  private committed = false;

  constructor(readonly path = "(memory)") {}

  get tmpPath(): string {
    return this.path;
  }

  private ensure(size: number): void {
    if (size <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(size, 2 * this.buf.length));
    grown.set(this.buf.subarray(0, this.end));
    this.buf = grown;
  }

  append(bytes: Uint8Array): number {
    const at = this.end;
    this.ensure(at + bytes.length);
    this.buf.set(bytes, at);
    this.end += bytes.length;
    return at;
  }

  reserve(size: number): number {
    const at = this.end;
    this.ensure(at + size);
    this.buf.fill(0, at, at + size);
    this.end += size;
    return at;
  }

  writeAt(address: number, bytes: Uint8Array): void {
    if (address + bytes.length > this.end) throw new Error(`${this.path}: write of ${bytes.length} bytes at ${address} passes the reserved end (${this.end})`);
    this.buf.set(bytes, address);
  }

  async writeNow(address: number, bytes: Uint8Array): Promise<void> {
    this.writeAt(address, bytes);
  }

  async backpressure(): Promise<void> {}
  async flush(): Promise<void> {}

  async commit(): Promise<void> {
    this.committed = true;
  }

  async discard(): Promise<void> {
    this.buf = new Uint8Array(0);
    this.end = 0;
  }

  /** The whole file (a view of this sink's buffer), once the writer has closed. */
  bytes(): Uint8Array {
    if (!this.committed) throw new Error(`${this.path}: the file is not complete until the writer is closed`);
    return this.buf.subarray(0, this.end);
  }
}
