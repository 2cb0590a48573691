// Decoding chunks on worker threads: the zlib convenience calls cost as much
// in setup as in inflating a 32 KB chunk, so a group of adjacent chunks goes
// to one worker that decodes them all with inflateSync (lzf and shuffle in
// @cellfolio/codecs' WebAssembly, fletcher32 in JS) and sends back one
// buffer. Workers are started lazily and do not keep the process alive when
// idle.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { kernelsSource } from "@cellfolio/codecs";
import { checkFletcher32, fletcher32 } from "../filters/decode-fletcher32.js";
import { ChunkDecodeError, type DecodeJob, type DecodePool } from "../platform.js";

/** The worker's code: the pure decoders are shipped as their source text. */
function workerSource(): string {
  return `
const { parentPort } = require("node:worker_threads");
const { inflateSync } = require("node:zlib");
${kernelsSource("kernels")}
${fletcher32.toString()}
${checkFletcher32.toString()}
function decode(stored, filters, mask, rawSize, es) {
  let buf = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const f = filters[i];
    if (f.id === 1) {
      try { const o = inflateSync(buf); buf = new Uint8Array(o.buffer, o.byteOffset, o.byteLength); }
      catch (e) { throw new Error("deflate: " + e.message); }
    } else if (f.id === 2) {
      const dst = new Uint8Array(buf.length); kernels.unshuffle(buf, dst, f.values[0] || es); buf = dst;
    } else if (f.id === 3) {
      buf = checkFletcher32(buf);
    } else if (f.id === 32000) {
      const dst = new Uint8Array(Math.max(rawSize, f.values[2] || 0)); const n = kernels.lzfDecode(buf, dst); buf = dst.subarray(0, n);
    } else throw new Error("filter " + f.id + " is not supported");
  }
  if (buf.length !== rawSize) throw new Error("decoded chunk has " + buf.length + " bytes, expected " + rawSize);
  return buf;
}
parentPort.on("message", (m) => {
  const bytes = new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
  const out = new Uint8Array(m.chunks.length * m.rawSize);
  for (let k = 0; k < m.chunks.length; k++) {
    const c = m.chunks[k];
    try {
      out.set(decode(bytes.subarray(c.offset, c.offset + c.size), m.filters, c.mask, m.rawSize, m.elementSize), k * m.rawSize);
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: e.message, chunk: k });
      return;
    }
  }
  parentPort.postMessage({ id: m.id, out }, [out.buffer]);
});
`;
}

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
      const worker = new Worker(workerSource(), { eval: true });
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
