// The cells of a band across worker_threads: every worker gets the band (its
// planes in SharedArrayBuffers, so sending it copies nothing), then batches of
// cells go to whichever worker is free, one at a time each. `threads: 0` runs
// the same batches on the calling thread (no workers), which is handy to debug.
import { WorkerPool, workerFile } from "@cellfolio/format/node";
import { type BatchResult, type CellRequest, CellThread, type ChunkEncoding } from "./cell-batch.js";
import { ExtractError } from "./errors.js";
import type { KernelChoice, Window } from "./extract-cell.js";
import type { ExtractionParams } from "./presets.js";

export interface CellRunner {
  readonly threads: number;
  setBand(band: number, win: Window): void;
  releaseBand(band: number): void;
  /** Extracts a batch; `out`, when given, is a buffer to reuse for the result (handed over). */
  run(band: number, cells: Float64Array, out?: ArrayBuffer): Promise<BatchResult>;
  close(): Promise<void>;
}

/** Runs batches on the calling thread. */
class InlineRunner implements CellRunner {
  readonly threads = 0;
  constructor(private readonly cells: CellThread) {}

  setBand(band: number, win: Window): void {
    this.cells.handle({ type: "band", band, win });
  }

  releaseBand(band: number): void {
    this.cells.handle({ type: "release", band });
  }

  async run(band: number, cells: Float64Array, out?: ArrayBuffer): Promise<BatchResult> {
    const result = this.cells.handle({ type: "task", band, cells, out }) as BatchResult;
    // Let the writer's callbacks run between batches.
    await new Promise((r) => setImmediate(r));
    return result;
  }

  async close(): Promise<void> {}
}

/** Runs batches on worker threads (worker.ts, built to dist/worker.js). */
class ThreadRunner implements CellRunner {
  constructor(private readonly pool: WorkerPool<CellRequest, BatchResult>) {}

  get threads(): number {
    return this.pool.size;
  }

  setBand(band: number, win: Window): void {
    this.pool.broadcast({ type: "band", band, win } satisfies CellRequest);
  }

  releaseBand(band: number): void {
    this.pool.broadcast({ type: "release", band } satisfies CellRequest);
  }

  run(band: number, cells: Float64Array, out?: ArrayBuffer): Promise<BatchResult> {
    return this.pool.run({ type: "task", band, cells, out }, out ? [out] : []);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Worker threads for the cells, started before their settings are known. */
export type CellWorkers = WorkerPool<CellRequest, BatchResult>;

/**
 * Starts `threads` cell workers now (none for 0): each takes ~150-250 ms to
 * start and load its module, which they do while the caller makes the plan
 * rather than after it. startRunner takes them; close() them if it never does.
 * Each holds a batch queued beside the one it computes: with one at a time
 * it waited for the main thread (its garbage collector, a band's copy)
 * between batches, 220-270 ms a worker over the tiled bench slide's run.
 * Their young generation is capped at 12 MB (V8 grows it to 32): on the
 * 50,000-cell bench slide the CLI's peak RSS was 378-414 MB (median 393)
 * against 406-429 (419) uncapped, 5 runs each alternating, in the same time
 * (bench/extract-tiled: 378-396 against 392-400 MB, 4,513-4,844 against
 * 4,589-4,701 cells/s). Their old generation is capped at 512 MB (each
 * holds ~6 MB of objects; its data is shared or in WebAssembly memory), so
 * V8 collects it at ~1.4x, not ~4x, of what was live (WorkerPoolOptions):
 * 50,000 cells, 2 runs each alternating, 324-334 against 353-373 MB.
 */
export function startCellWorkers(threads: number): CellWorkers | null {
  if (threads === 0) return null;
  const pool: CellWorkers = new WorkerPool(workerFile("worker", import.meta.url), threads, { queue: 2, youngGenerationMb: 12, oldGenerationMb: 512 });
  pool.startAll();
  return pool;
}

/**
 * `encoding`: batches come back as encoded rows, compressed on the thread that computed them.
 * `windowBytes`: bytes of the channel planes of the largest band window (each thread keeps room for one).
 * `workers`: started earlier (startCellWorkers) for these `threads`; the runner closes them.
 */
export async function startRunner(
  threads: number,
  params: ExtractionParams,
  nChannels: number,
  stackLength: number,
  encoding?: ChunkEncoding,
  windowBytes = 0,
  workers?: CellWorkers | null,
): Promise<CellRunner> {
  const init = { type: "init" as const, params, nChannels, stackLength, encoding, kernels: kernelsFromEnv(), windowBytes };
  if (threads === 0) return new InlineRunner(new CellThread(init));
  // (started here, they load their module while the caller reads the first band)
  const pool = workers ?? startCellWorkers(threads);
  if (!pool || pool.size !== threads) throw new Error(`cell workers: ${pool?.size ?? 0} started for ${threads} threads`);
  pool.init(init);
  return new ThreadRunner(pool);
}

/**
 * The kernels the cells are computed with: CELLFOLIO_KERNELS=js runs the
 * JavaScript ones (the reference), =wasm insists on WebAssembly SIMD; unset or
 * auto, WebAssembly where the engine has SIMD. Both give the same bits.
 */
export function kernelsFromEnv(): KernelChoice {
  const v = process.env.CELLFOLIO_KERNELS ?? "auto";
  if (v === "auto" || v === "wasm" || v === "js") return v;
  throw new ExtractError("CELLFOLIO_KERNELS", `${JSON.stringify(v)}; expected auto, wasm or js`);
}
