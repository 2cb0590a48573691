// The cells of a band across worker_threads: every worker gets the band (its
// planes in SharedArrayBuffers, so sending it copies nothing), then batches of
// cells go to whichever worker is free. `threads: 0` runs the same batches on
// the calling thread (no workers), which is handy to debug.
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { CELL_FIELDS, type ChunkEncoding, type EncodeScratch, encodeBatch, extractBatch, resultBuffer } from "./cell-batch.js";
import { ExtractError } from "./errors.js";
import { createScratch, type KernelChoice, type Scratch, type Window } from "./extract-cell.js";
import type { ExtractionParams } from "./presets.js";

export type WorkerRequest =
  | { type: "init"; params: ExtractionParams; nChannels: number; stackLength: number; encoding?: ChunkEncoding; kernels: KernelChoice }
  | { type: "band"; band: number; win: Window }
  | { type: "release"; band: number }
  | { type: "task"; task: number; band: number; cells: Float64Array; out?: ArrayBuffer };

export type WorkerReply =
  | { task: number; out: Uint16Array; missing: Uint8Array }
  | { task: number; records: Uint8Array; offsets: Uint32Array; missing: Uint8Array }
  | { task: number; error: string };

export interface BatchResult {
  /** stackLength float16 values per cell, batch order (without an encoding). */
  out?: Uint16Array;
  /** With an encoding: the cells' encoded rows (cell-batch.ts EncodedRow), cell k at offsets[k]..offsets[k + 1]. */
  records?: Uint8Array;
  offsets?: Uint32Array;
  /** 1 where the cell's id is missing from the cytosol mask. */
  missing: Uint8Array;
}

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
  private readonly bands = new Map<number, Window>();
  private readonly scratch: Scratch;
  private readonly encodeScratch: EncodeScratch = { buf: new Uint8Array(1 << 20) };
  private raw: ArrayBuffer | undefined;

  constructor(
    private readonly params: ExtractionParams,
    nChannels: number,
    private readonly stackLength: number,
    private readonly encoding: ChunkEncoding | undefined,
    kernels: KernelChoice,
  ) {
    this.scratch = createScratch(params, nChannels, kernels);
  }

  setBand(band: number, win: Window): void {
    this.bands.set(band, win);
  }

  releaseBand(band: number): void {
    this.bands.delete(band);
  }

  async run(band: number, cells: Float64Array, reuse?: ArrayBuffer): Promise<BatchResult> {
    const win = this.bands.get(band);
    if (!win) throw new Error(`band ${band} not set`);
    const n = cells.length / CELL_FIELDS;
    const out = resultBuffer(n * this.stackLength * 2, this.encoding ? this.raw : reuse);
    const missing = extractBatch(win, cells, this.params, this.scratch, out, this.stackLength);
    let result: BatchResult = { out, missing };
    if (this.encoding) {
      this.raw = out.buffer as ArrayBuffer;
      result = { ...encodeBatch(out, n, this.stackLength, this.encoding, this.encodeScratch), missing };
    }
    // Let the writer's callbacks run between batches.
    await new Promise((r) => setImmediate(r));
    return result;
  }

  async close(): Promise<void> {}
}

let bundledWorker: Promise<string> | null = null;

/**
 * The worker's entry file: dist/worker.js beside the built package; from the
 * sources (vitest runs src/*.ts, which a worker thread cannot load) a bundle of
 * src/worker.ts made once per process with esbuild, the bundler tsup uses.
 */
async function workerFile(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const js = path.join(dir, "worker.js");
  if (existsSync(js)) return js;
  const ts = path.join(dir, "worker.ts");
  if (!existsSync(ts)) throw new Error(`the extraction worker is missing: neither ${js} nor ${ts} exists`);
  bundledWorker ??= (async () => {
    const esbuild = "esbuild"; // a variable, so tsup leaves this source-only path unbundled
    const { build } = (await import(esbuild)) as typeof import("esbuild");
    const outfile = path.join(tmpdir(), `cellfolio-extract-worker-${process.pid}-${Date.now()}.mjs`);
    await build({ entryPoints: [ts], bundle: true, platform: "node", format: "esm", target: "node20", outfile, logLevel: "silent" });
    process.once("exit", () => rmSync(outfile, { force: true }));
    return outfile;
  })();
  return bundledWorker;
}

interface Pending {
  band: number;
  cells: Float64Array;
  out?: ArrayBuffer;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

/** Runs batches on worker threads, each worker one batch at a time. */
class ThreadRunner implements CellRunner {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, Pending>();
  private nextTask = 0;
  private failure: Error | null = null;

  constructor(private readonly workers: Worker[]) {
    this.idle.push(...workers);
    for (const w of workers) {
      w.on("message", (msg: WorkerReply) => this.onReply(w, msg));
      w.on("error", (e) => this.fail(e));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`extraction worker exited with code ${code}`));
      });
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of [...this.running.values(), ...this.queue]) p.reject(e);
    this.running.clear();
    this.queue.length = 0;
  }

  private onReply(w: Worker, msg: WorkerReply): void {
    const p = this.running.get(msg.task);
    this.running.delete(msg.task);
    this.idle.push(w);
    if (p) {
      if ("error" in msg) p.reject(new Error(`extraction worker: ${msg.error}`));
      else p.resolve(msg);
    }
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.shift() as Worker;
      const p = this.queue.shift() as Pending;
      const task = this.nextTask++;
      this.running.set(task, p);
      w.postMessage({ type: "task", task, band: p.band, cells: p.cells, out: p.out } satisfies WorkerRequest, p.out ? [p.out] : []);
    }
  }

  setBand(band: number, win: Window): void {
    for (const w of this.workers) w.postMessage({ type: "band", band, win } satisfies WorkerRequest);
  }

  releaseBand(band: number): void {
    for (const w of this.workers) w.postMessage({ type: "release", band } satisfies WorkerRequest);
  }

  run(band: number, cells: Float64Array, out?: ArrayBuffer): Promise<BatchResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ band, cells, out, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** `encoding`: batches come back as encoded rows, compressed on the thread that computed them. */
export async function startRunner(threads: number, params: ExtractionParams, nChannels: number, stackLength: number, encoding?: ChunkEncoding): Promise<CellRunner> {
  const kernels = kernelsFromEnv();
  if (threads === 0) return new InlineRunner(params, nChannels, stackLength, encoding, kernels);
  const file = await workerFile();
  const workers: Worker[] = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(pathToFileURL(file));
    w.postMessage({ type: "init", params, nChannels, stackLength, encoding, kernels } satisfies WorkerRequest);
    workers.push(w);
  }
  return new ThreadRunner(workers);
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
