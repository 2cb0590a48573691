// Decoding chunks on worker threads: the zlib convenience calls cost as much
// in setup as in inflating a 32 KB chunk, so a group of adjacent chunks goes
// to one worker (decode-worker.ts: the calling thread's pipeline) that
// decodes them all synchronously and sends back one buffer. Workers are
// started lazily and do not keep the process alive when idle.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ChunkDecodeError, type DecodeJob, type DecodePool } from "../platform.js";
import { workerFile } from "./worker-file.js";

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>;
}

export class WorkerDecodePool implements DecodePool {
  private slots: Slot[] = [];
  private next = 0;
  private ids = 0;

  constructor(readonly size: number) {}

  private slot(): Slot {
    if (this.slots.length < this.size) {
      const worker = new Worker(workerFile("decode-worker", import.meta.url));
      const slot: Slot = { worker, pending: new Map() };
      worker.on("message", (m: { id: number; out?: Uint8Array; error?: string; chunk?: number }) => {
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (slot.pending.size === 0) worker.unref();
        if (m.error !== undefined) p.reject(new ChunkDecodeError(m.error, m.chunk ?? 0));
        else p.resolve(m.out!);
      });
      worker.on("error", (e) => {
        for (const p of slot.pending.values()) p.reject(e);
        slot.pending.clear();
        this.slots = this.slots.filter((s) => s !== slot);
      });
      worker.unref();
      this.slots.push(slot);
      return slot;
    }
    // The least busy worker.
    let best = this.slots[this.next++ % this.slots.length];
    for (const s of this.slots) if (s.pending.size < best.pending.size) best = s;
    return best;
  }

  /** Decodes every chunk of the job; resolves to their raw bytes, one after the other. */
  decode(job: DecodeJob): Promise<Uint8Array> {
    const slot = this.slot();
    const id = this.ids++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      const b = job.bytes;
      // Transfer when the bytes own their whole buffer; else copy.
      const own = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
      const buf = own ? b : b.slice();
      slot.worker.postMessage(
        {
          id,
          buffer: buf.buffer,
          byteOffset: buf.byteOffset,
          byteLength: buf.byteLength,
          chunks: job.chunks,
          filters: job.filters.map((f) => ({ id: f.id, values: f.values })),
          rawSize: job.rawSize,
          elementSize: job.elementSize,
        },
        [buf.buffer as ArrayBuffer],
      );
    });
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

let shared: WorkerDecodePool | undefined;

/** The process-wide pool: `workers` threads when given, else one per core (at most 4). */
export function sharedDecodePool(workers?: number): WorkerDecodePool {
  shared ??= new WorkerDecodePool(workers && workers > 0 ? workers : Math.min(4, availableParallelism()));
  return shared;
}
