// worker_threads for the filters (shuffle and lzf in WebAssembly, deflate in
// node:zlib): chunks go to the least busy worker with their buffer
// transferred, not copied. The workers (filter-worker.ts) run the calling
// thread's own pipeline, encodeChunkSync.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FilterPool } from "../platform.js";
import type { EncodedChunk, H5Filter } from "../filters/registry.js";
import { workerFile } from "./worker-file.js";

interface Job {
  resolve: (c: EncodedChunk) => void;
  reject: (e: Error) => void;
}

interface Pending {
  id: number;
  buffer: ArrayBuffer;
  filters: readonly H5Filter[];
  size: number;
}

type Result = { id: number; buffer?: ArrayBuffer; offset?: number; length?: number; mask?: number; error?: string };

export class WorkerFilterPool implements FilterPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  /** Chunks submitted in the current turn of the event loop, sent as one message per worker. */
  private batch: Pending[] = [];
  private scheduled = false;

  constructor(size = availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(workerFile("filter-worker", import.meta.url));
      const slot = { worker, busy: 0 };
      worker.on("message", (results: Result[]) => {
        slot.busy -= results.length;
        if (slot.busy === 0) worker.unref(); // an idle pool does not keep the process alive
        for (const m of results) {
          const job = this.jobs.get(m.id)!;
          this.jobs.delete(m.id);
          if (m.error) job.reject(new Error(`filter worker: ${m.error}`));
          else job.resolve({ bytes: new Uint8Array(m.buffer!, m.offset, m.length), mask: m.mask! });
        }
      });
      worker.on("error", (e) => {
        for (const j of this.jobs.values()) j.reject(e);
        this.jobs.clear();
      });
      worker.unref();
      this.workers.push(slot);
    }
  }

  /** Runs the pipeline on `raw` in a worker; `raw`'s buffer is transferred when it owns it whole. */
  encode(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): Promise<EncodedChunk> {
    const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const buffer = (own ? raw.buffer : raw.slice().buffer) as ArrayBuffer;
    const id = this.nextId++;
    this.batch.push({ id, buffer, filters, size: elementSize });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.jobs.set(id, { resolve, reject }));
  }

  /** Splits the batch over the workers, the least busy first. */
  private flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = [];
    const slots = [...this.workers].sort((a, b) => a.busy - b.busy);
    const per = Math.ceil(batch.length / slots.length);
    slots.forEach((slot, k) => {
      const part = batch.slice(k * per, (k + 1) * per);
      if (part.length === 0) return;
      if (slot.busy === 0) slot.worker.ref();
      slot.busy += part.length;
      slot.worker.postMessage(
        part,
        part.map((p) => p.buffer),
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
