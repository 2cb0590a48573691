// Worker threads for the CPU-bound byte codecs (Node), running the built
// node/codec-worker.js (also when the caller runs from the TypeScript
// sources, as the tests do). gzip, zlib and native zstd stay on the main
// thread: node:zlib already runs them on the libuv threadpool.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerFile } from "@cellfolio/hdf5/node";
import { type CodecPool, formatPlatform } from "../platform.js";
import type { ByteCodec } from "../zarr/metadata.js";
import type { ReadReport, SharedTarget } from "../zarr/shared-read.js";
import type { ChunkSource } from "../zarr/stores.js";

interface Slot {
  worker: Worker;
  busy: number;
}

let slots: Slot[] | null | undefined;
/**
 * Chunks sent to a worker at once; the rest wait in `backlog` and go to the
 * first worker that answers. This thread never codes a heavy chunk itself
 * while there are workers: when it did (once every worker had a queue), its
 * own synchronous coding kept it from reading the workers' answers, so their
 * queues stayed "full" while they sat idle. Measured: convert h5ad -> Zarr v3
 * coded 15,072 of 15,263 chunks on this thread with both workers ~98% idle;
 * block reads of blosc-lz4 cells left them ~87% idle. The queue is deep so a
 * worker has work while this thread is busy elsewhere for a few ms (decoding
 * the input of a convert): 2 -> 16 took a convert from ~185 to ~218 MB/s.
 */
const QUEUE_PER_WORKER = 16;
let nextId = 1;
const waiting = new Map<number, { resolve: (b: any) => void; reject: (e: Error) => void; slot: Slot }>();
interface Job {
  id: number;
  op: "encode" | "decode" | "read-decode";
  codecs: ByteCodec[];
  /** encode / decode: the bytes (transferred); read-decode: none. */
  data?: Uint8Array;
  /** read-decode: chunks the worker reads and decodes itself, each `chunkBytes` decoded, into `target`. */
  sources?: ChunkSource[];
  chunkBytes?: number;
  target?: SharedTarget;
  resolve: (b: any) => void;
  reject: (e: Error) => void;
}
const backlog: Job[] = [];

/** Worker threads for codecs: CELLFOLIO_ZARR_WORKERS (0: none; default min(2, cores), at most 4). */
const WORKERS_SETTING = process.env.CELLFOLIO_ZARR_WORKERS;

function pool(): Slot[] | null {
  if (slots !== undefined) return slots;
  if (WORKERS_SETTING === "0") {
    slots = null;
    return slots;
  }
  const file = workerFile("codec-worker", import.meta.url);
  const n = Math.max(1, Math.min(4, Number(WORKERS_SETTING) || Math.min(2, availableParallelism())));
  slots = [];
  for (let i = 0; i < n; i++) {
    // Not the parent's --input-type / --eval flags: the worker is a module file.
    const execArgv = process.execArgv.filter((a) => !/^--(input-type|eval|print)\b|^-[ep]$/.test(a));
    let worker: Worker;
    try {
      worker = new Worker(file, { execArgv });
    } catch {
      // V8 and per-process flags (node --max-old-space-size=8192 ...) are refused in
      // a worker's execArgv: start it without the parent's flags.
      worker = new Worker(file, { execArgv: [] });
    }
    const slot: Slot = { worker, busy: 0 };
    worker.on("message", (m: { id: number; data?: unknown; error?: string }) => {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      slot.busy--;
      const next = backlog.shift();
      if (next) send(slot, next);
      else if (slot.busy === 0) worker.unref();
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.data);
    });
    worker.on("error", (e) => {
      slots = null; // a crashed worker: later chunks run on the main thread
      for (const [id, w] of waiting) {
        if (w.slot === slot) {
          waiting.delete(id);
          w.reject(e);
        }
      }
      for (const job of backlog.splice(0)) job.reject(e);
    });
    worker.unref();
    slots.push(slot);
  }
  return slots;
}

/** Whether a pipeline is worth sending to a worker (CPU work outside node:zlib, whose zstd node.ts installs where it exists). */
function heavy(codecs: ByteCodec[]): boolean {
  const nativeZstd = formatPlatform().zstd !== undefined;
  return codecs.some((c) => c.id === "blosc" || c.id === "lz4" || c.id === "shuffle" || (c.id === "zstd" && !nativeZstd));
}

const DECODE_IN_WORKER_MIN = 128 * 1024;

/**
 * Runs `codecs` over `data` in a worker when there is one and it pays;
 * returns null to mean "do it on this thread". `data` is transferred when it
 * owns its whole buffer, so the caller must not use it afterwards.
 */
function runInWorker(op: "encode" | "decode", codecs: ByteCodec[], data: Uint8Array): Promise<Uint8Array> | null {
  // Below these sizes the message round trip costs more than the codec. The
  // WebAssembly decoders run at ~2 GB/s: a 40 KB cell chunk decodes here in
  // ~20 us (bench/lazy-read, Zarr cells 16 reads under way: 195 -> 144 us of
  // CPU a cell with the bound at 128 KB instead of 1 KB).
  if (data.length < (op === "encode" ? 16384 : DECODE_IN_WORKER_MIN) || !heavy(codecs)) return null;
  const p = pool();
  if (!p) return null;
  // a view of shared memory cannot be transferred: it is copied like a view
  const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data : data.slice();
  return new Promise((resolve, reject) => submit(p, { id: nextId++, op, codecs, data: owned, resolve, reject }));
}

/**
 * Reads and decodes chunks in a worker, beside the calling thread, for
 * block reads of many chunks from a local store. Returns null to mean "do it
 * on this thread" (no workers, or light codecs).
 */
function readChunksInWorker(codecs: ByteCodec[], sources: ChunkSource[], chunkBytes: number, target: SharedTarget): Promise<ReadReport> | null {
  if (!heavy(codecs)) return null;
  const p = pool();
  if (!p) return null;
  return new Promise((resolve, reject) => submit(p, { id: nextId++, op: "read-decode", codecs, sources, chunkBytes, target, resolve, reject }));
}

/**
 * Workers to share a block read with, beside this thread (which decodes too):
 * one less than the cores, so no thread waits for a core; 0 without a pool
 * or for codecs that do not pay a worker.
 */
function readHelpers(codecs: ByteCodec[]): number {
  if (!heavy(codecs)) return 0;
  return Math.min(pool()?.length ?? 0, Math.max(1, availableParallelism() - 1));
}

/** To the least busy worker, or to the backlog when every worker has a full queue. */
function submit(p: Slot[], job: Job): void {
  let slot = p[0];
  for (const s of p) if (s.busy < slot.busy) slot = s;
  if (slot.busy >= QUEUE_PER_WORKER) backlog.push(job);
  else send(slot, job);
}

function send(slot: Slot, job: Job): void {
  if (slot.busy === 0) slot.worker.ref();
  slot.busy++;
  waiting.set(job.id, { resolve: job.resolve, reject: job.reject, slot });
  const transfer = job.data ? [job.data.buffer as ArrayBuffer] : [];
  slot.worker.postMessage(
    { id: job.id, op: job.op, codecs: job.codecs, data: job.data, sources: job.sources, chunkBytes: job.chunkBytes, target: job.target },
    transfer,
  );
}

/** The pool as the format core sees it. */
export const nodeCodecPool: CodecPool = { run: runInWorker, readChunks: readChunksInWorker, helpers: readHelpers };
