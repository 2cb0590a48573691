// Chunk decoding on Web Workers, for pages: one pool behind both interfaces
// the Node pools fill (hdf5's DecodePool for HDF5 chunks, CodecPool for Zarr
// byte codecs), running decode-worker.ts. It sits at the root of src/ so that
// the worker's URL below is the same relative to this source and to the
// built dist/ (bundlers resolve `new URL(..., import.meta.url)` from the
// built file). Off unless asked for: `useDecodeWorkers(n)`.
import { CellfolioError, ChunkDecodeError, type DecodeJob, type DecodePool, setHdf5Platform } from "@cellfolio/hdf5";
import { type CodecPool, setFormatPlatform } from "./platform.js";
import type { ByteCodec } from "./zarr/metadata.js";

/** What a worker is sent: HDF5 chunks of one read, or one Zarr chunk's bytes. */
export type WorkerJob =
  | ({ id: number; kind: "hdf5" } & DecodeJob)
  | { id: number; kind: "zarr"; codecs: ByteCodec[]; bytes: Uint8Array };

/** A worker's answer to a batch of jobs, with the chunks it has decoded since it started. */
export interface WorkerReply {
  results: { id: number; bytes?: Uint8Array; error?: string; chunk?: number }[];
  decoded: number;
}

export interface DecodeWorkerStats {
  /** Chunks each worker says it decoded (HDF5 chunks, Zarr chunks or inner chunks). */
  chunks: number[];
  /** Jobs (messages of one or more chunks) each worker answered. */
  jobs: number[];
}

interface Slot {
  worker: Worker;
  pending: number;
  /** Jobs sent, ever. */
  sent: number;
  chunks: number;
  jobs: number;
}

const workerError = (url: string, what: string) =>
  new CellfolioError(
    "decode-workers",
    url,
    undefined,
    `the decode worker ${what}. Vite bundles it by itself; with esbuild, bundle it as an entry next to your page (decode-worker=@cellfolio/format/decode-worker) or pass its URL as decodeWorkerUrl; or open without decodeWorkers`,
  );

class WebDecodePool implements DecodePool, CodecPool {
  /** One cell's stack is worth a round trip here: the page's thread has the rendering to do. */
  readonly minChunks = 1;
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private queue: { job: WorkerJob; resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  private ids = 1;
  private failure: Error | null = null;
  /** Jobs posted in one task go out as one message a worker (flushed after the microtasks). */
  private readonly tick = new MessageChannel();

  constructor(
    readonly size: number,
    readonly url: string | URL | undefined,
  ) {
    this.tick.port1.onmessage = () => this.flush();
  }

  private start(): void {
    const name = String(this.url ?? "decode-worker.js");
    for (let i = 0; i < this.size; i++) {
      let worker: Worker;
      try {
        // (written out in full: Vite bundles the worker only for this exact form)
        worker = this.url ? new Worker(this.url, { type: "module" }) : new Worker(new URL("./decode-worker.js", import.meta.url), { type: "module" });
      } catch (e) {
        this.fail(workerError(name, `cannot start (${(e as Error)?.message ?? e})`));
        return;
      }
      const slot: Slot = { worker, pending: 0, sent: 0, chunks: 0, jobs: 0 };
      worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
        slot.chunks = ev.data.decoded;
        for (const r of ev.data.results) {
          const w = this.waiting.get(r.id);
          if (!w) continue;
          this.waiting.delete(r.id);
          slot.pending--;
          slot.jobs++;
          if (r.error !== undefined) w.reject(new ChunkDecodeError(r.error, r.chunk ?? 0));
          else w.resolve(r.bytes!);
        }
      };
      worker.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        this.fail(workerError(name, `did not load or stopped${ev.message ? ` (${ev.message})` : ""}`));
      };
      worker.onmessageerror = () => this.fail(workerError(name, "could not read a message"));
      this.slots.push(slot);
    }
  }

  /** A worker that does not load fails every job, now and later: a read never falls back silently. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(this.failure);
    }
    for (const q of this.queue.splice(0)) q.reject(this.failure);
  }

  private submit(job: WorkerJob): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.slots.length === 0) this.start();
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.queue.length === 0) this.tick.port2.postMessage(0);
      this.queue.push({ job, resolve, reject });
    });
  }

  /** The jobs of this task, split over the workers: the least busy first, in turn among equals. */
  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0 || this.failure) return;
    const slots = [...this.slots].sort((a, b) => a.pending - b.pending || a.sent - b.sent);
    const per = Math.ceil(queue.length / slots.length);
    slots.forEach((slot, k) => {
      const part = queue.slice(k * per, (k + 1) * per);
      if (part.length === 0) return;
      for (const q of part) this.waiting.set(q.job.id, q);
      slot.pending += part.length;
      slot.sent += part.length;
      slot.worker.postMessage(
        part.map((q) => q.job),
        part.map((q) => q.job.bytes.buffer as ArrayBuffer),
      );
    });
  }

  decode(job: DecodeJob): Promise<Uint8Array> {
    return this.submit({ id: this.ids++, kind: "hdf5", chunks: job.chunks, filters: job.filters, rawSize: job.rawSize, elementSize: job.elementSize, bytes: copied(job.bytes) });
  }

  run(op: "encode" | "decode", codecs: ByteCodec[], data: Uint8Array): Promise<Uint8Array> | null {
    // encoding (writing in a page) stays on the calling thread, as does a pipeline with nothing to undo
    if (op !== "decode" || codecs.length === 0) return null;
    return this.submit({ id: this.ids++, kind: "zarr", codecs, bytes: copied(data) });
  }

  readChunks(): null {
    return null; // local stores only (Node)
  }

  helpers(): number {
    return 0;
  }

  stats(): DecodeWorkerStats {
    return { chunks: this.slots.map((s) => s.chunks), jobs: this.slots.map((s) => s.jobs) };
  }

  close(): void {
    this.fail(new CellfolioError("decode-workers", "", undefined, "the decode workers were stopped (decodeWorkers: 0) while this read was under way"));
    for (const s of this.slots) s.worker.terminate();
    this.tick.port1.close();
  }
}

/**
 * The stored bytes, copied to be transferred: they may be a store's own (a
 * Zarr store in memory, a file read whole), which a transfer would empty.
 * (Compressed bytes: the copy costs far less than the message.)
 */
const copied = (b: Uint8Array): Uint8Array => b.slice();

let pool: WebDecodePool | null = null;

/**
 * Decodes chunks on `workers` Web Workers from now on, for every dataset of
 * the page (0: on the calling thread again). `url`: the worker module where
 * the bundler did not put it beside the code (esbuild; see the README).
 * Returns false, changing nothing, where there are no Web Workers (Node,
 * which has its own worker_threads pools).
 */
export function useDecodeWorkers(workers: number, url?: string | URL): boolean {
  if (typeof Worker !== "function" || typeof MessageChannel !== "function") return false;
  const n = Math.max(0, Math.floor(workers) || 0);
  if (pool && pool.size === n && String(pool.url) === String(url)) return true;
  pool?.close();
  pool = n > 0 ? new WebDecodePool(n, url) : null;
  const p = pool ?? undefined;
  setHdf5Platform({ decodePool: p && (() => p), decodeWorkersByDefault: p !== undefined });
  setFormatPlatform({ codecPool: p });
  return true;
}

/** What each decode worker has done (null: none in use). */
export function decodeWorkerStats(): DecodeWorkerStats | null {
  return pool?.stats() ?? null;
}
