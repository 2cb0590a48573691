// Decoding chunks on worker threads: the zlib convenience calls cost as much
// in setup as in inflating a 32 KB chunk, so a group of adjacent chunks goes
// to one worker (decode-worker.ts: the calling thread's pipeline) that
// decodes them all synchronously and sends back one buffer.
import { availableParallelism } from "node:os";
import { ChunkDecodeError, type DecodeJob, type DecodePool } from "../platform.js";
import type { DecodeAnswer } from "./decode-worker.js";
import { WorkerPool, workerFile } from "./worker-pool.js";

export class WorkerDecodePool implements DecodePool {
  readonly pool: WorkerPool<DecodeJob, DecodeAnswer>;

  constructor(size: number) {
    this.pool = new WorkerPool(workerFile("node/decode-worker", import.meta.url), size);
  }

  /** Decodes every chunk of the job; resolves to their raw bytes, one after the other. */
  async decode(job: DecodeJob): Promise<Uint8Array> {
    // Transfer when the bytes own their whole buffer; else copy.
    const b = job.bytes;
    const bytes = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b : b.slice();
    const a = await this.pool.run({ ...job, bytes }, [bytes.buffer as ArrayBuffer], job.chunks.length);
    if ("error" in a) throw new ChunkDecodeError(a.error, a.chunk);
    return a.out;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: WorkerDecodePool | undefined;

/** The process-wide pool: `workers` threads when given, else one per core (at most 4). */
export function sharedDecodePool(workers?: number): WorkerDecodePool {
  shared ??= new WorkerDecodePool(workers && workers > 0 ? workers : Math.min(4, availableParallelism()));
  return shared;
}
