// Keeps chunk encodings in flight in parallel, but appends their results to
// the file one at a time in submission order, so the file layout is
// deterministic; at most `limit` chunks and `maxBytes` raw bytes are held at
// once.

import type { EncodedChunk } from "../filters/registry.js";
import type { Sink } from "../platform.js";

export class ChunkQueue {
  private readonly steps: Promise<void>[] = [];
  private readonly sizes: number[] = [];
  private held = 0;
  private tail: Promise<void> = Promise.resolve();
  private error: unknown = null;

  constructor(
    private readonly sink: Sink,
    private readonly limit: number,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Queues an encoding; `placed` gets the chunk's address once it is appended. */
  async push(encoded: Promise<EncodedChunk>, placed: (address: number, chunk: EncodedChunk) => void, rawBytes = 0): Promise<void> {
    if (this.error) throw this.error;
    encoded.catch(() => {}); // reported through the chain below
    const step = this.tail.then(async () => {
      if (this.error) return;
      try {
        const chunk = await encoded;
        placed(this.sink.append(chunk.bytes), chunk);
        await this.sink.backpressure();
      } catch (e) {
        this.error ??= e;
      }
    });
    this.tail = step;
    this.steps.push(step);
    this.sizes.push(rawBytes);
    this.held += rawBytes;
    // at a limit, wait until half have been written: chunks are then submitted
    // in bursts, which the worker pool sends as one message per worker
    if (this.steps.length >= this.limit || this.held >= this.maxBytes) {
      while (this.steps.length > this.limit >> 1 || this.held > this.maxBytes >> 1) {
        await this.steps.shift();
        this.held -= this.sizes.shift() ?? 0;
      }
    }
    if (this.error) throw this.error;
  }

  /** Resolves once every queued chunk is appended (then an append goes after them). */
  async idle(): Promise<void> {
    await this.tail;
    if (this.error) throw this.error;
  }

  async drain(): Promise<void> {
    await this.tail;
    this.steps.length = 0;
    this.sizes.length = 0;
    this.held = 0;
    if (this.error) throw this.error;
  }
}
