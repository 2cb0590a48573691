// Worker threads for every package's pools (hdf5's decode and filter pools,
// format's codec pool, extract's cell workers), started one way. A worker is
// a built module of its package (dist/<entry>.js, a tsup entry), also when
// the caller runs from the TypeScript sources (the tests: the test command
// builds first), so tests exercise the workers and nothing but declared
// dependencies is needed at run time. Jobs go to the least busy worker; each
// answer comes back by the job's id. Workers start when first needed and do
// not keep the process alive while idle.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parentPort, type Transferable, Worker } from "node:worker_threads";
import { CellfolioError } from "@cellfolio/codecs";

/**
 * The built module of the worker whose source is `src/<entry>.ts` in the
 * package of the module at `metaUrl`: <package>/dist/<entry>.js. Throws,
 * naming the file and the fix, when it is not there.
 */
export function workerFile(entry: string, metaUrl: string): string {
  let dir = path.dirname(fileURLToPath(metaUrl));
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const file = path.join(dir, "dist", `${entry}.js`);
  if (!existsSync(file)) throw new Error(`worker module ${file} is missing: run "npm run build" (it is built from src/${entry}.ts)`);
  return file;
}

/** A job as the worker receives it (serveWorker): no id for a message every worker gets. */
interface Envelope {
  id?: number;
  message: unknown;
}

type Answer = { id: number; value: unknown } | { id: number; error: string } | { ready: true };

interface Slot {
  worker: Worker;
  /** Its module is loaded and serving (serveWorker said so). */
  ready: boolean;
  /** Weight of the jobs sent and not answered. */
  busy: number;
  /** Weight of the jobs answered. */
  done: number;
}

interface Job {
  envelope: Envelope;
  transfer: readonly Transferable[];
  weight: number;
  resolve: (value: any) => void;
  reject: (e: Error) => void;
  slot?: Slot;
}

export interface WorkerPoolOptions {
  /** Weight of jobs a worker has at once; more wait for the first worker that answers (default: no bound). */
  queue?: number;
  /** Sent to each worker when it starts, before its first job. */
  init?: unknown;
  /**
   * Caps each worker's young generation (MB; V8's resourceLimits). Without
   * it V8 grows a busy worker's from 8 to 32 MB over a run of some seconds,
   * as objects keep surviving its scavenges: memory that grows with a run's
   * length, not with its work.
   */
  youngGenerationMb?: number;
  /**
   * Caps each worker's old generation (MB). V8 collects it only once it has
   * grown to a multiple of what was live at the last collection: ~4x under
   * its default cap (GBs on a 64-bit machine), ~1.4x under 512 MB. A cell
   * worker of the extraction (~6 MB live) climbed to 24 MB of old space
   * before each full collection; under 512 MB, 12. A worker whose live heap
   * passes the cap fails (ERR_WORKER_OUT_OF_MEMORY), and with it its jobs:
   * for workers whose data lives in ArrayBuffers, not in JavaScript objects.
   */
  oldGenerationMb?: number;
}

export class WorkerPool<In, Out> {
  private slots: Slot[] = [];
  private readonly running = new Map<number, Job>();
  private readonly backlog: Job[] = [];
  private ids = 1;
  private closed = false;
  private initMessage: unknown;

  constructor(
    /** The worker's module (workerFile). */
    readonly file: string,
    readonly size: number,
    private readonly options: WorkerPoolOptions = {},
  ) {
    this.initMessage = options.init;
  }

  /**
   * The message each worker gets first, set once the caller knows it (the
   * workers may have been started before, to load their module meanwhile):
   * sent now to the running workers, ahead of their jobs, and to later ones
   * as they start.
   */
  init(message: unknown): void {
    this.initMessage = message;
    for (const s of this.slots) s.worker.postMessage({ message } satisfies Envelope);
  }

  /**
   * Runs `message` in a worker: resolves to its handler's result, rejects with
   * its error. `transfer` is handed over, not copied; `weight` counts toward
   * the worker's queue and its statistics (a batch of chunks: their number).
   */
  run(message: In, transfer: readonly Transferable[] = [], weight = 1): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const job: Job = { envelope: { id: this.ids++, message }, transfer, weight, resolve, reject };
      const slot = this.pick();
      if (slot && slot.busy < (this.options.queue ?? Number.POSITIVE_INFINITY)) this.send(slot, job);
      else this.backlog.push(job);
    });
  }

  /** Starts every worker now rather than when first needed (each takes tens of ms to load its module). */
  startAll(): void {
    while (this.slots.length < this.size) this.start();
  }

  /** Sends `message` to every worker (started now if they were not), with no answer. */
  broadcast(message: unknown): void {
    this.startAll();
    for (const s of this.slots) s.worker.postMessage({ message } satisfies Envelope);
  }

  /** Workers whose module is loaded and serving: a job sent before waits for the load (tens to hundreds of ms from the start). */
  ready(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  /** Weight of the jobs each running worker has answered (tests check that the work ran off this thread). */
  stats(): number[] {
    return this.slots.map((s) => s.done);
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The least busy worker; a new one while not all are started and every one has work. */
  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.busy < best.busy) best = s;
    if ((!best || best.busy > 0) && this.slots.length < this.size) return this.start();
    return best;
  }

  private start(): Slot {
    // Not the parent's --input-type / --eval flags: the worker is a module file.
    const execArgv = process.execArgv.filter((a) => !/^--(input-type|eval|print)\b|^-[ep]$/.test(a));
    const { youngGenerationMb, oldGenerationMb } = this.options;
    const resourceLimits = { maxYoungGenerationSizeMb: youngGenerationMb, maxOldGenerationSizeMb: oldGenerationMb };
    let worker: Worker;
    try {
      worker = new Worker(this.file, { execArgv, resourceLimits });
    } catch {
      // V8 and per-process flags (node --max-old-space-size=8192 ...) are refused in
      // a worker's execArgv: start it without the parent's flags.
      worker = new Worker(this.file, { execArgv: [], resourceLimits });
    }
    const slot: Slot = { worker, ready: false, busy: 0, done: 0 };
    worker.on("message", (a: Answer) => this.answer(slot, a));
    worker.on("error", (e) => this.fail(slot, e.message));
    worker.on("exit", (code) => this.fail(slot, `exited with code ${code}`));
    worker.unref();
    if (this.initMessage !== undefined) worker.postMessage({ message: this.initMessage } satisfies Envelope);
    this.slots.push(slot);
    return slot;
  }

  private send(slot: Slot, job: Job): void {
    if (slot.busy === 0) slot.worker.ref();
    slot.busy += job.weight;
    job.slot = slot;
    this.running.set(job.envelope.id!, job);
    slot.worker.postMessage(job.envelope, job.transfer);
  }

  private answer(slot: Slot, a: Answer): void {
    if ("ready" in a) {
      slot.ready = true;
      return;
    }
    const job = this.running.get(a.id);
    if (!job) return;
    this.running.delete(a.id);
    slot.busy -= job.weight;
    slot.done += job.weight;
    const next = this.backlog.shift();
    if (next) this.send(slot, next);
    else if (slot.busy === 0) slot.worker.unref();
    if ("error" in a) job.reject(new Error(a.error));
    else job.resolve(a.value);
  }

  /** A worker that crashed or exited: its jobs and those waiting fail; later jobs start a new worker. */
  private fail(slot: Slot, problem: string): void {
    if (this.closed || !this.slots.includes(slot)) return;
    this.slots = this.slots.filter((s) => s !== slot);
    void slot.worker.terminate();
    const e = new CellfolioError("worker", this.file, undefined, `the worker thread failed: ${problem}`);
    for (const [id, job] of this.running) {
      if (job.slot !== slot) continue;
      this.running.delete(id);
      job.reject(e);
    }
    for (const job of this.backlog.splice(0)) job.reject(e);
  }
}

/**
 * The worker thread's side of a WorkerPool: `handle` runs on every message
 * (an `init` or broadcast too, whose result is dropped); a job's result goes
 * back to its caller with `transfer(result)` handed over, and what `handle`
 * throws rejects the job with its message.
 */
export function serveWorker<In, Out>(handle: (message: In) => Out | Promise<Out>, transfer?: (result: Out) => Transferable[]): void {
  const port = parentPort;
  if (!port) throw new Error("serveWorker runs in a worker thread (new Worker), not on the main thread");
  port.postMessage({ ready: true } satisfies Answer);
  port.on("message", async ({ id, message }: Envelope) => {
    let answer: Answer;
    let list: Transferable[] = [];
    try {
      const value = await handle(message as In);
      answer = { id: id!, value };
      if (transfer) list = transfer(value);
    } catch (e) {
      if (id === undefined) throw e; // a failed init or broadcast: the worker fails, and with it its jobs
      answer = { id, error: (e as Error)?.message ?? String(e) };
    }
    if (id !== undefined) port.postMessage(answer, list);
  });
}
