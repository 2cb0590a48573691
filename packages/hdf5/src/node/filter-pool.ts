// worker_threads for the filters that run in WebAssembly (shuffle, lzf):
// chunks go to the least busy worker with their buffer transferred, not
// copied. The workers run the same kernels as the main thread, from source
// text (@cellfolio/codecs' kernelsSource), so the pool needs no build entry.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { kernelsSource } from "@cellfolio/codecs";
import type { FilterPool } from "../platform.js";
import type { EncodedChunk } from "../writer/chunk-encoder.js";
import type { H5Filter } from "../writer/filter-pipeline.js";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
${kernelsSource("kernels")}
parentPort.on("message", (batch) => {
  const results = [];
  const transfer = [];
  for (const { id, buffer, filters, size } of batch) {
    try {
      let data = new Uint8Array(buffer);
      let mask = 0;
      for (let i = 0; i < filters.length; i++) {
        const f = filters[i];
        if (f.id === "shuffle") data = kernels.shuffleBytes(data, size);
        else if (f.id === "deflate") data = new Uint8Array(zlib.deflateSync(data, { level: f.level, strategy: f.strategy === "rle" ? zlib.constants.Z_RLE : zlib.constants.Z_DEFAULT_STRATEGY }));
        else {
          const out = new Uint8Array(data.length);
          const n = kernels.lzfCompress(data, out);
          if (n === 0) mask |= 1 << i;
          else data = out.subarray(0, n);
        }
      }
      results.push({ id, buffer: data.buffer, offset: data.byteOffset, length: data.byteLength, mask });
      if (!transfer.includes(data.buffer)) transfer.push(data.buffer);
    } catch (e) {
      results.push({ id, error: String((e && e.stack) || e) });
    }
  }
  parentPort.postMessage(results, transfer);
});
`;

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
      const worker = new Worker(WORKER_SOURCE, { eval: true });
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
