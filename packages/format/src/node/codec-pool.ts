// Worker threads for the CPU-bound byte codecs (Node), running the built
// node/codec-worker.js (also when the caller runs from the TypeScript
// sources, as the tests do). gzip, zlib and native zstd stay on the main
// thread: node:zlib already runs them on the libuv threadpool.
import { availableParallelism } from "node:os";
import { WorkerPool, workerFile } from "@cellfolio/hdf5/node";
import { type CodecPool, formatPlatform } from "../platform.js";
import type { ByteCodec } from "../zarr/metadata.js";
import type { ReadReport } from "../zarr/shared-read.js";
import type { CodecJob } from "./codec-worker.js";

/**
 * Chunks sent to a worker at once; the rest wait and go to the first worker
 * that answers. This thread never codes a heavy chunk itself while there are
 * workers: when it did (once every worker had a queue), its own synchronous
 * coding kept it from reading the workers' answers, so their queues stayed
 * "full" while they sat idle. Measured: convert h5ad -> Zarr v3 coded 15,072
 * of 15,263 chunks on this thread with both workers ~98% idle; block reads of
 * blosc-lz4 cells left them ~87% idle. The queue is deep so a worker has work
 * while this thread is busy elsewhere for a few ms (decoding the input of a
 * convert): 2 -> 16 took a convert from ~185 to ~218 MB/s.
 */
const QUEUE_PER_WORKER = 16;

/** Worker threads for codecs: CELLFOLIO_ZARR_WORKERS (0: none; default min(2, cores), at most 4). */
const WORKERS_SETTING = process.env.CELLFOLIO_ZARR_WORKERS;

let workers: WorkerPool<CodecJob, unknown> | null | undefined;

/** The pool (started worker by worker as jobs come), or null when CELLFOLIO_ZARR_WORKERS=0. */
export function codecWorkers(): WorkerPool<CodecJob, unknown> | null {
  if (workers !== undefined) return workers;
  const n = Math.max(1, Math.min(4, Number(WORKERS_SETTING) || Math.min(2, availableParallelism())));
  workers = WORKERS_SETTING === "0" ? null : new WorkerPool(workerFile("node/codec-worker", import.meta.url), n, { queue: QUEUE_PER_WORKER });
  return workers;
}

/** Whether a pipeline is worth sending to a worker (CPU work outside node:zlib, whose zstd node.ts installs where it exists). */
function heavy(codecs: ByteCodec[]): boolean {
  const nativeZstd = formatPlatform().zstd !== undefined;
  return codecs.some((c) => c.id === "blosc" || c.id === "lz4" || c.id === "shuffle" || (c.id === "zstd" && !nativeZstd));
}

const DECODE_IN_WORKER_MIN = 128 * 1024;

/**
 * Single chunks coded here before the pool is started for them: a worker
 * costs ~80 ms of CPU to start, more than coding a few chunks. An
 * extraction's obs columns (one 53 KB lz4 chunk) started one on a busy core
 * just before the first cell; a convert or a block read starts it soon enough.
 */
const CHUNKS_BEFORE_POOL = 8;
let heavyChunks = 0;

/** The pool as the format core sees it: each call returns null to mean "do it on this thread". */
export const nodeCodecPool: CodecPool = {
  /** `data` is transferred when it owns its whole buffer, so the caller must not use it afterwards. */
  run(op, codecs, data) {
    // Below these sizes the message round trip costs more than the codec. The
    // WebAssembly decoders run at ~2 GB/s: a 40 KB cell chunk decodes here in
    // ~20 us (bench/lazy-read, Zarr cells 16 reads under way: 195 -> 144 us of
    // CPU a cell with the bound at 128 KB instead of 1 KB).
    if (data.length < (op === "encode" ? 16384 : DECODE_IN_WORKER_MIN) || !heavy(codecs)) return null;
    if (workers === undefined && ++heavyChunks <= CHUNKS_BEFORE_POOL) return null;
    const p = codecWorkers();
    if (!p) return null;
    // a view of shared memory cannot be transferred: it is copied like a view
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data : data.slice();
    return p.run({ op, codecs, data: owned }, [owned.buffer as ArrayBuffer]) as Promise<Uint8Array>;
  },
  /** Reads and decodes chunks in a worker, beside the calling thread, for block reads of many chunks from a local store. */
  readChunks(codecs, sources, chunkBytes, target) {
    const p = heavy(codecs) ? codecWorkers() : null;
    return p ? (p.run({ op: "read-decode", codecs, sources, chunkBytes, target }) as Promise<ReadReport>) : null;
  },
  /**
   * Workers to share a block read with, beside this thread (which decodes
   * too): one less than the cores, so no thread waits for a core; 0 without
   * a pool or for codecs that do not pay a worker.
   */
  helpers(codecs) {
    if (!heavy(codecs)) return 0;
    return Math.min(codecWorkers()?.size ?? 0, Math.max(1, availableParallelism() - 1));
  },
};
