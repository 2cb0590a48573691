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

/** `encoding`: batches come back as encoded rows, compressed on the thread that computed them. */
/** `windowBytes`: bytes of the channel planes of the largest band window (each thread keeps room for one). */
export async function startRunner(
  threads: number,
  params: ExtractionParams,
  nChannels: number,
  stackLength: number,
  encoding?: ChunkEncoding,
  windowBytes = 0,
): Promise<CellRunner> {
  const init = { type: "init" as const, params, nChannels, stackLength, encoding, kernels: kernelsFromEnv(), windowBytes };
  if (threads === 0) return new InlineRunner(new CellThread(init));
  const pool = new WorkerPool<CellRequest, BatchResult>(workerFile("worker", import.meta.url), threads, { queue: 1, init });
  pool.startAll(); // while the caller reads the first band
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
