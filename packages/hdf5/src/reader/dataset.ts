// A dataset: its shape, type, layout and filters, the chunk index, and
// hyperslab reads that fetch only the chunks they need (adjacent chunks in
// one read), decode them in parallel and copy them into the output in place.

import { hasSyncDeflate } from "@cellfolio/codecs";
import { copyBox, forEachRun, product } from "../box.js";
import { runPool } from "../concurrency.js";
import { decodeChunk, decodeChunkSync, FILTER_NAMES, hasDeflate, unsupportedFilter } from "../filters/registry.js";
import { allocUninitialised, ChunkDecodeError, hdf5Platform, yieldToEventLoop } from "../platform.js";
import { type ChunkInfo, type ChunkLookup, DenseChunkIndex, readChunkIndex } from "./chunk-index.js";
import type { FileContext } from "./context.js";
import { UNDEFINED } from "./cursor.js";
import { type Datatype, describeDatatype } from "./datatype.js";
import type { GlobalHeap } from "./global-heap.js";
import type { Dataspace, Filter, Layout } from "./messages.js";
import type { Attribute } from "./values.js";
import { decodeValues, type Values } from "./values.js";

export interface ReadOptions {
  /** Chunk groups read and decoded at once (default 4). */
  concurrency?: number;
  /**
   * Decode compressed chunks on worker threads. Off by default: measured on
   * the shared 2-core machine the main thread (lzf in JS, deflate on the libuv
   * pool) was as fast or faster; set CELLFOLIO_HDF5_WORKERS=N (N > 0) or pass
   * true to try it where cores are free.
   */
  workers?: boolean;
  /**
   * readRaw only: the buffer to read into (exactly the hyperslab's bytes),
   * reused across reads as h5py's read_direct does, so that big sequential
   * reads allocate nothing.
   */
  into?: Uint8Array;
}

/** Groups of fewer chunks than this (one cell's stack) are decoded on the main thread / libuv pool: a worker round trip costs more (a pool may say otherwise). */
const MIN_POOL_CHUNKS = 16;
/** Decoded bytes per job sent to a worker. */
const POOL_BATCH_BYTES = 1 << 20;

/** Largest group of stored chunks read into the reused scratch buffer. */
const SCRATCH_MAX = 256 * 1024;

/**
 * Reads of at most this many deflate chunks (one cell's stack) inflate on
 * this thread. A libuv round trip costs more than the inflate itself: one
 * 32 KiB cell chunk took 24 us with inflateSync and 340 us through
 * zlib.inflate (117 us each, five at a time); bigger reads keep the pool's
 * parallelism.
 */
const SYNC_INFLATE_MAX = 8;

/** Decoded bytes between two turns of the event loop in a long synchronous decode (see readChunked): ~1 ms of lzf. */
const YIELD_BYTES = 512 * 1024;

/** Adjacent chunks closer than this are fetched in one read. */
const GAP = 16 * 1024;
/** Largest single read when coalescing chunks or contiguous runs. */
const MAX_READ = 8 * 1024 * 1024;

export class Dataset {
  readonly kind = "dataset";
  private prunedLookups = 0;
  /** Stored bytes of small synchronous reads, reused (see readChunked). */
  private scratch = new Uint8Array(0);
  private index?: Promise<{ list: () => ChunkInfo[]; byKey: ChunkLookup }>;

  constructor(
    private readonly ctx: FileContext,
    private readonly heap: GlobalHeap,
    readonly path: string,
    readonly address: number,
    readonly dataspace: Dataspace,
    readonly datatype: Datatype,
    readonly layout: Layout,
    readonly filters: Filter[],
    readonly fillValue: Uint8Array | undefined,
    private readonly attrsLoader: () => Promise<Attribute[]>,
  ) {}

  /** The dataset's attributes, decoded. */
  attributes(): Promise<Attribute[]> {
    return this.attrsLoader();
  }

  get shape(): number[] {
    return this.dataspace.dims;
  }

  /** Maximum dims; -1 where unlimited. */
  get maxShape(): number[] {
    return this.dataspace.maxDims;
  }

  get chunks(): number[] | null {
    return this.layout.class === "chunked" ? this.layout.chunk : null;
  }

  get size(): number {
    return this.dataspace.kind === "null" ? 0 : product(this.shape);
  }

  /** Every allocated chunk, in chunk-coordinate order. */
  async chunkIndex(): Promise<ChunkInfo[]> {
    return (await this.loadIndex()).list();
  }

  private loadIndex() {
    const layout = this.layout;
    if (layout.class !== "chunked") throw this.ctx.error(this.path, "not a chunked dataset");
    this.index ??= (async () => {
      const input = { layout, dims: this.shape, maxDims: this.maxShape, elementSize: this.datatype.size };
      const dense = await DenseChunkIndex.read(this.ctx, input, this.path);
      if (dense) return { list: () => dense.list(), byKey: dense };
      const list = await readChunkIndex(
        this.ctx,
        { layout, dims: this.shape, maxDims: this.maxShape, elementSize: this.datatype.size },
        this.path,
      );
      const byKey = new Map<number, ChunkInfo>();
      const grid = this.shape.map((d, i) => Math.ceil(d / layout.chunk[i]));
      const chunk = layout.chunk;
      for (const c of list) {
        let k = 0;
        for (let i = 0; i < grid.length; i++) k = k * grid[i] + c.offset[i] / chunk[i];
        byKey.set(k, c);
      }
      return { list: () => list, byKey };
    })();
    this.index.catch(() => {
      this.index = undefined;
    });
    return this.index;
  }

  /**
   * The chunks of the box of chunk coordinates lo..hi. A v1 B-tree is searched
   * only along the paths to those chunks until the whole index is loaded
   * (a small read over HTTP then costs a few node reads, not the whole index).
   */
  private async chunksFor(layout: Extract<Layout, { class: "chunked" }>, lo: number[], hi: number[], grid: number[]): Promise<ChunkLookup> {
    const nChunks = product(hi.map((h, i) => h - lo[i] + 1));
    // Local files load the whole index at once (cheap); remote ones search
    // it for their first 64 small reads, then load it. A large grid (5
    // million chunks, a million cells: loading took 1.8 s locally and would
    // download ~280 MB of nodes) is searched for the first 4,096 small reads
    // (~0.2 ms each locally: about the cost of loading it) wherever it is.
    const mode = this.ctx.indexMode;
    const budget = product(grid) > LARGE_INDEX ? 4096 : this.ctx.remote ? 64 : 0;
    const search = layout.index === "btree-v1" && !this.index && (mode === "search" || (mode === "auto" && nChunks <= 256 && ++this.prunedLookups <= budget));
    if (!search) return (await this.loadIndex()).byKey;
    const list = await readChunkIndex(
      this.ctx,
      { layout, dims: this.shape, maxDims: this.maxShape, elementSize: this.datatype.size },
      this.path,
      { first: lo.map((c, i) => c * layout.chunk[i]), last: hi.map((c, i) => c * layout.chunk[i]) },
    );
    const byKey = new Map<number, ChunkInfo>();
    for (const c of list) byKey.set(this.chunkKey(c.offset.map((o, i) => o / layout.chunk[i]), grid), c);
    return byKey;
  }

  private chunkKey(scaled: number[], grid: number[]): number {
    let k = 0;
    for (let i = 0; i < scaled.length; i++) k = k * grid[i] + scaled[i];
    return k;
  }

  private checkBox(start: number[], count: number[]): void {
    const dims = this.shape;
    const ok =
      start.length === dims.length &&
      count.length === dims.length &&
      start.every((s, i) => Number.isInteger(s) && Number.isInteger(count[i]) && s >= 0 && count[i] >= 0 && s + count[i] <= dims[i]);
    if (!ok) {
      throw this.ctx.error(this.path, `hyperslab start [${start.join(", ")}] count [${count.join(", ")}] outside the shape [${dims.join(", ")}]`);
    }
  }

  /** The raw element bytes (file byte order) of a hyperslab, packed in C order. */
  readRaw(start?: number[], count?: number[], options: ReadOptions = {}): Promise<Uint8Array> {
    return this.ctx.guard(this.path, "read", () => this.readRawUnguarded(start, count, options));
  }

  private async readRawUnguarded(start?: number[], count?: number[], options: ReadOptions = {}): Promise<Uint8Array> {
    start ??= this.shape.map(() => 0);
    count ??= this.shape.slice();
    this.checkBox(start, count);
    const es = this.datatype.size;
    const bytes = this.dataspace.kind === "null" ? 0 : product(count) * es;
    if (bytes > 2 ** 32) throw this.ctx.error(this.path, `a read of ${bytes} bytes at once is too large: read it block by block`);
    const reused = options.into !== undefined;
    if (reused && options.into!.length !== bytes) {
      throw this.ctx.error(this.path, `the buffer to read into has ${options.into!.length} bytes, the hyperslab ${bytes}`);
    }
    // A chunked read writes every byte (missing chunks get their fill), so
    // its output need not be zeroed first.
    const out = options.into ?? (this.layout.class === "chunked" ? new Uint8Array(allocUninitialised(bytes)) : new Uint8Array(bytes));
    if (out.length === 0) return out;
    const layout = this.layout;
    if (layout.class === "compact") {
      if (layout.data.length < product(this.shape) * es) throw this.ctx.error(this.path, "compact data shorter than the dataset");
      copyBox(layout.data, out, { srcShape: this.shape, srcStart: start, dstShape: count, dstStart: count.map(() => 0), count }, es);
      return out;
    }
    if (layout.class === "contiguous") {
      if (layout.address === UNDEFINED) {
        if (reused) out.fill(0);
        this.fill(out);
        return out;
      }
      const total = product(this.shape) * es;
      const base = this.ctx.abs(layout.address, total, this.path, "contiguous data");
      await this.readContiguous(base, start, count, out);
      return out;
    }
    await this.readChunked(layout, start, count, out, options);
    return out;
  }

  /** Decoded values of a hyperslab (see `Values`). */
  async read(start?: number[], count?: number[], options: ReadOptions = {}): Promise<Values> {
    const raw = await this.readRaw(start, count, options);
    const n = count ? product(count) : this.size;
    return this.ctx.guard(this.path, "decoding values", () => decodeValues(raw, this.datatype, n, this.heap, this.path, this.ctx.offsetSize));
  }

  private fill(out: Uint8Array, from = 0, to = out.length): void {
    const fv = this.fillValue;
    if (!fv || fv.every((b) => b === 0)) return;
    for (let i = from; i + fv.length <= to; i += fv.length) out.set(fv, i);
  }

  private async readContiguous(base: number, start: number[], count: number[], out: Uint8Array): Promise<void> {
    const es = this.datatype.size;
    const runs: { src: number; dst: number; len: number }[] = [];
    forEachRun({ srcShape: this.shape, srcStart: start, dstShape: count, dstStart: count.map(() => 0), count }, es, (src, dst, len) => {
      runs.push({ src, dst, len });
    });
    // Coalesce nearby runs into reads of at most MAX_READ.
    let i = 0;
    const reads: Promise<void>[] = [];
    while (i < runs.length) {
      let j = i + 1;
      while (j < runs.length && runs[j].src - (runs[j - 1].src + runs[j - 1].len) <= GAP && runs[j].src + runs[j].len - runs[i].src <= MAX_READ) j++;
      const group = runs.slice(i, j);
      const from = group[0].src;
      const to = group[group.length - 1].src + group[group.length - 1].len;
      const readInto = this.ctx.source.readInto?.bind(this.ctx.source);
      if (group.length === 1 && readInto) {
        reads.push(readInto(base + from, out.subarray(group[0].dst, group[0].dst + group[0].len)));
      } else reads.push(
        this.ctx.source.read(base + from, to - from).then((b) => {
          for (const r of group) out.set(b.subarray(r.src - from, r.src - from + r.len), r.dst);
        }),
      );
      if (reads.length >= 4) await Promise.all(reads.splice(0));
      i = j;
    }
    await Promise.all(reads);
  }

  private async readChunked(
    layout: Extract<Layout, { class: "chunked" }>,
    start: number[],
    count: number[],
    out: Uint8Array,
    options: ReadOptions,
  ): Promise<void> {
    const bad = unsupportedFilter(this.filters);
    if (bad) {
      throw this.ctx.error(this.path, `filter ${bad.id} (${FILTER_NAMES[bad.id] ?? (bad.name || "unknown")}) is not supported`);
    }
    const es = this.datatype.size;
    const chunk = layout.chunk;
    const rank = chunk.length;
    const rawSize = product(chunk) * es;
    const grid = this.shape.map((d, i) => Math.ceil(d / chunk[i]));
    const lo = start.map((s, i) => Math.floor(s / chunk[i]));
    const hi = start.map((s, i) => Math.floor((s + count[i] - 1) / chunk[i]));
    const byKey = await this.chunksFor(layout, lo, hi, grid);
    const present: ChunkInfo[] = [];
    const missing: number[][] = [];
    const scaled = lo.slice();
    for (;;) {
      const c = byKey.get(this.chunkKey(scaled, grid));
      if (c) present.push(c);
      else missing.push(scaled.map((s, i) => s * chunk[i]));
      let a = rank - 1;
      while (a >= 0) {
        if (++scaled[a] <= hi[a]) break;
        scaled[a] = lo[a];
        a--;
      }
      if (a < 0) break;
    }
    const boxOf = (offset: number[]) => {
      const s = offset.map((o, i) => Math.max(o, start[i]));
      const e = offset.map((o, i) => Math.min(o + chunk[i], start[i] + count[i]));
      return {
        srcShape: chunk,
        srcStart: s.map((x, i) => x - offset[i]),
        dstShape: count,
        dstStart: s.map((x, i) => x - start[i]),
        count: e.map((x, i) => x - s[i]),
      };
    };
    // Missing chunks hold the fill value (zeros unless set), written: the output starts unzeroed or reused.
    if (missing.length > 0) {
      const fillChunk = new Uint8Array(rawSize);
      if (this.fillValue) for (let i = 0; i < fillChunk.length; i += es) fillChunk.set(this.fillValue.subarray(0, es), i);
      for (const m of missing) copyBox(fillChunk, out, boxOf(m), es);
    }
    present.sort((a, b) => a.address - b.address);
    const groups: ChunkInfo[][] = [];
    for (let i = 0; i < present.length; ) {
      let j = i + 1;
      while (
        j < present.length &&
        present[j].address - (present[j - 1].address + present[j - 1].size) <= GAP &&
        present[j].address >= present[j - 1].address + present[j - 1].size &&
        present[j].address + present[j].size - present[i].address <= MAX_READ
      )
        j++;
      groups.push(present.slice(i, j));
      i = j;
    }
    const isEdge = (c: ChunkInfo) => c.offset.some((o, i) => o + chunk[i] > this.shape[i]);
    const maskOf = (c: ChunkInfo) => (layout.unfilteredEdges && isEdge(c) ? 0xffffffff : c.filterMask);
    const platform = hdf5Platform();
    const useWorkers = options.workers ?? platform.decodeWorkersByDefault;
    const pool = this.filters.length > 0 && useWorkers ? platform.decodePool?.() : undefined;
    const source = this.ctx.source;
    // Few deflate chunks: inflated right here, like lzf, with no await (see
    // SYNC_INFLATE_MAX), where the platform inflates synchronously (Node).
    const inflates = this.filters.some((f) => f.id === 1) && (present.length > SYNC_INFLATE_MAX || !hasSyncDeflate());
    const one = async (group: ChunkInfo[]) => {
      // Unfiltered chunks that lie in the output as one whole run are read
      // straight into it, neighbours in both file and output in one read.
      if (this.filters.length === 0 && source.readInto) {
        const direct: { file: number; dst: number; len: number }[] = [];
        const rest: ChunkInfo[] = [];
        for (const c of group) {
          let runs = 0;
          let d0 = 0;
          let whole = c.size === rawSize;
          forEachRun(boxOf(c.offset), es, (s0, d, len) => {
            runs++;
            d0 = d;
            whole &&= s0 === 0 && len === rawSize;
          });
          if (!whole || runs !== 1) {
            rest.push(c);
            continue;
          }
          const prev = direct[direct.length - 1];
          if (prev && prev.file + prev.len === c.address && prev.dst + prev.len === d0) prev.len += rawSize;
          else direct.push({ file: c.address, dst: d0, len: rawSize });
        }
        await Promise.all(direct.map((r) => source.readInto!(r.file, out.subarray(r.dst, r.dst + r.len))));
        if (rest.length === 0) return;
        group = rest;
      }
      const from = group[0].address;
      const last = group[group.length - 1];
      const span = last.address + last.size - from;
      let bytes: Uint8Array;
      let scratch = false;
      if (!inflates && !pool && source.readIntoNow && span <= SCRATCH_MAX) {
        // Read and decoded with no await between: a scratch buffer kept by
        // the dataset serves every read (no allocation per cell).
        if (this.scratch.length < span) this.scratch = new Uint8Array(Math.max(span, 2 * this.scratch.length));
        bytes = this.scratch.subarray(0, span);
        scratch = true;
        if (!source.readIntoNow(from, bytes)) {
          bytes = await source.read(from, span);
          scratch = false;
        }
      } else bytes = await source.read(from, span);
      const minChunks = pool?.minChunks ?? MIN_POOL_CHUNKS;
      if (pool && group.length >= minChunks) {
        // Split the read into batches of about 1 MB decoded so that every worker has work.
        const per = Math.max(minChunks, Math.floor(POOL_BATCH_BYTES / rawSize));
        const batches: ChunkInfo[][] = [];
        for (let i = 0; i < group.length; i += per) batches.push(group.slice(i, i + per));
        await Promise.all(
          batches.map(async (batch) => {
            const b0 = batch[0].address;
            const bl = batch[batch.length - 1];
            let decoded: Uint8Array;
            try {
              decoded = await pool.decode({
                bytes: batches.length === 1 ? bytes : bytes.slice(b0 - from, bl.address + bl.size - from),
                chunks: batch.map((c) => ({ offset: c.address - b0, size: c.size, mask: maskOf(c) })),
                filters: this.filters,
                rawSize,
                elementSize: es,
              });
            } catch (e) {
              const c = batch[e instanceof ChunkDecodeError ? e.chunk : 0];
              throw this.ctx.error(this.path, `chunk at [${c.offset.join(", ")}] (address ${c.address}): ${(e as Error).message}`, e);
            }
            for (let k = 0; k < batch.length; k++) copyBox(decoded.subarray(k * rawSize, (k + 1) * rawSize), out, boxOf(batch[k].offset), es);
          }),
        );
        return;
      }
      // lzf / shuffle / fletcher32 are decoded right here, chunk after chunk
      // (a promise per chunk only costs); deflate goes to the libuv pool, all
      // the group's chunks at once.
      const inflating: Promise<void>[] = [];
      let decodedSinceYield = 0;
      for (const c of group) {
        if (decodedSinceYield >= YIELD_BYTES && !scratch) {
          // A long run of synchronous decoding lets the event loop turn now and
          // then: other work of this thread (a Zarr writer's codec workers
          // waiting for their next chunk, during a convert) is not starved.
          // Every 2 MB: a convert at ~185 MB/s; every 512 KB: ~218.
          // (Never from the shared scratch buffer: another read would reuse it.)
          decodedSinceYield = 0;
          await yieldToEventLoop();
        }
        decodedSinceYield += rawSize;
        const stored = bytes.subarray(c.address - from, c.address - from + c.size);
        const box = boxOf(c.offset);
        // A chunk that lands as one run in the output is decoded straight into it.
        let target: Uint8Array | undefined;
        let runs = 0;
        let dstRun = 0;
        forEachRun(box, es, (s, d, len) => {
          runs++;
          if (s === 0 && len === rawSize) dstRun = d;
        });
        if (runs === 1 && product(box.count) * es === rawSize) target = out.subarray(dstRun, dstRun + rawSize);
        const mask = maskOf(c);
        const place = (decoded: Uint8Array) => {
          if (decoded.length !== rawSize) {
            throw this.ctx.error(this.path, `chunk at [${c.offset.join(", ")}] holds ${decoded.length} bytes, expected ${rawSize}`);
          }
          if (decoded !== target) copyBox(decoded, out, box, es);
        };
        const failed = (e: unknown) => this.ctx.error(this.path, `chunk at [${c.offset.join(", ")}] (address ${c.address}): ${(e as Error).message}`, e);
        if (this.filters.length === 0) place(stored);
        else if (!inflates || !hasDeflate(this.filters, mask)) {
          let decoded: Uint8Array;
          try {
            decoded = decodeChunkSync(stored, this.filters, mask, rawSize, es, target);
          } catch (e) {
            throw failed(e);
          }
          place(decoded);
        } else {
          const p = decodeChunk(stored, this.filters, mask, rawSize, es, target).then(place, (e) => {
            throw failed(e);
          });
          // Awaited below by Promise.all; observed now, since the loop may
          // yield to the event loop before then (an unobserved rejection
          // would otherwise end the process, past the caller's try/catch).
          p.catch(() => {});
          inflating.push(p);
        }
      }
      if (inflating.length > 0) await Promise.all(inflating);
    };
    if (groups.length === 1) await one(groups[0]);
    else await runPool(groups.map((g) => () => one(g)), options.concurrency ?? 4);
  }

  describe(): string {
    return `${describeDatatype(this.datatype)} [${this.shape.join(", ")}]`;
  }
}

/** Chunks in a dataset's grid above which its index is searched for small reads (4,096 of them), local or remote, before it is loaded whole. */
export const LARGE_INDEX = 1 << 20;
