// worker_threads for the filters (shuffle and lzf in WebAssembly, deflate in
// node:zlib): the chunks submitted in one turn of the event loop go to the
// workers as one message each, their buffers transferred, not copied. The
// workers (filter-worker.ts) run the calling thread's own pipeline.
import { availableParallelism } from "node:os";
import type { EncodedChunk, H5Filter } from "../filters/registry.js";
import type { FilterPool } from "../platform.js";
import type { FilterAnswer, FilterJob } from "./filter-worker.js";
import { WorkerPool, workerFile } from "./worker-pool.js";

interface Pending {
  job: FilterJob;
  resolve: (c: EncodedChunk) => void;
  reject: (e: Error) => void;
}

export class WorkerFilterPool implements FilterPool {
  readonly pool: WorkerPool<FilterJob[], FilterAnswer[]>;
  private batch: Pending[] = [];
  private scheduled = false;

  constructor(size = availableParallelism()) {
    this.pool = new WorkerPool(workerFile("node/filter-worker", import.meta.url), Math.max(1, size));
    this.pool.startAll(); // while the writer sets up
  }

  /** Runs the pipeline on `raw` in a worker; `raw`'s buffer is transferred when it owns it whole. */
  encode(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): Promise<EncodedChunk> {
    const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const buffer = (own ? raw.buffer : raw.slice().buffer) as ArrayBuffer;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.batch.push({ job: { buffer, filters, elementSize }, resolve, reject }));
  }

  /** Splits the batch over the workers, the least busy first. */
  private flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = [];
    const per = Math.ceil(batch.length / this.pool.size);
    for (let k = 0; k < batch.length; k += per) {
      const part = batch.slice(k, k + per);
      const jobs = part.map((p) => p.job);
      this.pool.run(jobs, jobs.map((j) => j.buffer), part.length).then(
        (results) =>
          results.forEach((r, i) => {
            if ("error" in r) part[i].reject(new Error(`filter worker: ${r.error}`));
            else part[i].resolve({ bytes: new Uint8Array(r.buffer), mask: r.mask });
          }),
        (e) => {
          for (const p of part) p.reject(e);
        },
      );
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
