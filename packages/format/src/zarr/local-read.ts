// Block reads from a local store (one whose chunks are files: hasFiles),
// shared between this thread and the codec workers through shared memory.
import { allocUninitialised } from "@cellfolio/hdf5";
import { copyBlock, itemSize, product, typedArrayFor } from "../dtype.js";
import type { FormatError } from "../errors.js";
import { formatPlatform } from "../platform.js";
import type { NDArray, TypedArray } from "../types.js";
import { type ChunkData, chunkElements, decodeByteCodecs, decodeByteCodecsInto } from "./chunk.js";
import { join } from "./discovery.js";
import { fillBox, forEachChunk, overlap } from "./grid.js";
import type { ChunkSource, FileKeyStore } from "./key-store.js";
import type { ArrayMeta } from "./metadata.js";
import { innerPlace, innerRange, type ShardIndexes, shardGrid } from "./sharding.js";
import { ABSENT, FAILED, giveScratch, type ReadReport, SCRATCH_BYTES, takeScratch } from "./shared-read.js";

/** What the local read needs of the reader: its store, its errors, its shard indexes. */
export interface LocalReadContext {
  store: FileKeyStore;
  err(path: string, problem: string, cause?: unknown): FormatError;
  why(e: unknown, path: string): string;
  undecodable(path: string, what: string, e: unknown): FormatError;
  shardIndexes: ShardIndexes;
}

/** A chunk of a block read from a local store: its index in the (inner) chunk grid, where its bytes are (null: not stored), its name in errors, where it goes. */
interface LocalChunk {
  idx: number[];
  src: ChunkSource | null;
  label: string;
  /** The output row where the chunk's first row lands (negative when the block starts inside the chunk). */
  dst0: number;
}

/**
 * Many chunks of this local store (files, or inner chunks of shards), read by
 * this thread and the codec workers together: every thread takes the next
 * chunk from one atomic counter, so all finish within a chunk of each other
 * (with fixed shares both sat idle a quarter of the time). The workers
 * decode into shared memory: the block itself when it is over a
 * SharedArrayBuffer (an `into` given so), else a reused scratch from which
 * this thread copies their chunks in between its own. zarr-python 2's
 * c-blosc decodes with threads too. `dst` may be uninitialised: every box
 * is written.
 */
export async function readIntoLocal(
  ctx: LocalReadContext,
  path: string,
  m: ArrayMeta,
  start: number[],
  shape: number[],
  dst: TypedArray | null,
  rows?: ArrayLike<number>,
): Promise<TypedArray> {
  const store = ctx.store;
  const pool = formatPlatform().codecPool;
  const spec = m.shard;
  const grid = spec ? spec.chunks : m.chunks;
  const p = spec ? spec.inner : m.pipeline;
  const dtype = m.dtype;
  if (dtype === "string") throw ctx.err(path, "string arrays are not read into typed memory"); // callers check
  const out = dst ?? allocateUninitialised(dtype, shape);
  const layout = { pipeline: p, dtype, shape: grid };
  // workers decode fixed-size elements only
  const chunkBytes = p.serializer.kind === "numeric" ? product(grid) * itemSize(p.serializer.dtype) : 0;
  const helpers = chunkBytes > 0 && pool ? pool.helpers(p.byteCodecs) : 0;
  const rowBytes = product(shape.slice(1)) * itemSize(dtype);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  // decoded bytes are the elements as they sit in memory, and a whole chunk is whole rows of the block
  const inPlace =
    p.arrayCodecs.length === 0 &&
    p.serializer.kind === "numeric" &&
    !p.serializer.bigEndian &&
    p.serializer.dtype === dtype &&
    grid.every((g, i) => i === 0 || g === shape[i]);
  const full = (c: LocalChunk) =>
    c.dst0 >= 0 && c.dst0 + grid[0] <= shape[0] && c.idx.every((v, j) => j === 0 || (v * grid[j] >= start[j] && (v + 1) * grid[j] <= start[j] + shape[j]));
  const offset = (c: LocalChunk) => c.dst0 * rowBytes;
  const place = (c: LocalChunk, r: Uint8Array | null): void => {
    const box = overlap(
      c.idx.map((v, j) => v * grid[j]),
      grid,
      [c.idx[0] * grid[0] - c.dst0, ...start.slice(1)], // where the block would start for this chunk's rows
      shape,
      m.shape,
    );
    if (!r) {
      fillBox(out, shape, box.dstStart, box.count, m, false);
      return;
    }
    if (inPlace && full(c) && r.length === chunkBytes) {
      bytes.set(r, offset(c));
      return;
    }
    let data: ChunkData;
    try {
      data = chunkElements(r, layout);
    } catch (e: any) {
      throw ctx.undecodable(path, c.label, e);
    }
    copyBlock(data, grid, box.srcStart, out, shape, box.dstStart, box.count);
  };
  // one chunk on this thread: straight into the block where it is whole rows of it, else decoded and placed
  const here = async (c: LocalChunk): Promise<void> => {
    let raw: Uint8Array | undefined;
    try {
      raw = store.readNow(c.src as ChunkSource); // a reused buffer: the decoders copy it before any await
    } catch (e: any) {
      throw ctx.err(path, `${c.label}: ${ctx.why(e, path)}`, e);
    }
    if (!raw) {
      place(c, null);
      return;
    }
    let decoded: Uint8Array;
    try {
      if (inPlace && full(c)) {
        const at = offset(c);
        await decodeByteCodecsInto(p.byteCodecs, raw, bytes.subarray(at, at + chunkBytes));
        return;
      }
      decoded = await decodeByteCodecs(p.byteCodecs, raw.slice());
    } catch (e) {
      throw ctx.undecodable(path, c.label, e);
    }
    place(c, decoded);
  };

  const all = await localChunks(ctx, path, m, start, shape, rows);
  try {
    for (const c of all) if (!c.src) place(c, null); // an inner chunk a shard does not hold
    const stored = all.filter((c) => c.src !== null);
    if (helpers === 0) {
      for (const c of stored) await here(c);
      return out;
    }
    // Into the block itself when it is shared memory and the chunks are whole
    // rows of it (the rest are read here first); else into a scratch, in parts.
    const direct = inPlace && bytes.buffer instanceof SharedArrayBuffer;
    const mine = direct ? stored.filter((c) => !full(c)) : [];
    const chunks = direct ? stored.filter((c) => full(c)) : stored;
    const part = direct ? chunks.length : Math.max(1, Math.floor(SCRATCH_BYTES / chunkBytes));
    for (let s = 0; s < chunks.length || mine.length > 0; s += part) {
      const group = chunks.slice(s, s + part);
      const scratch = direct ? null : takeScratch(group.length * chunkBytes);
      const ctl = new Int32Array(new SharedArrayBuffer(4 * (group.length + 1)));
      const target = {
        shared: scratch ?? (bytes.buffer as SharedArrayBuffer),
        offsets: group.map((c, k) => (direct ? bytes.byteOffset + offset(c) : k * chunkBytes)),
        ctl,
      };
      const runs: Promise<ReadReport>[] = [];
      for (let h = 0; h < helpers && group.length > 0; h++) {
        const run = pool!.readChunks(
          p.byteCodecs,
          group.map((c) => c.src as ChunkSource),
          chunkBytes,
          target,
        );
        if (!run) throw new Error("codec workers are gone"); // pool.helpers() said there were
        runs.push(run);
      }
      // the workers' chunks, placed from the scratch as they finish; all before `lo` are placed
      const taken = new Uint8Array(group.length); // 1: this thread's, 2: a worker's, placed
      let lo = 0;
      const settle = (errors: ReadReport["errors"] | null): void => {
        const end = Math.min(group.length, Atomics.load(ctl, 0));
        let gap = false;
        for (let k = lo; k < end; k++) {
          if (taken[k] === 0) {
            const state = Atomics.load(ctl, 1 + k);
            if (state === 0 || (state === FAILED && !errors)) {
              gap = true;
              continue;
            }
            if (state === FAILED) throw ctx.err(path, `${group[k].label}: ${errors?.[k]}`);
            if (state === ABSENT) place(group[k], null);
            else if (!direct) place(group[k], new Uint8Array(target.shared, target.offsets[k], chunkBytes));
            taken[k] = 2;
          }
          if (!gap) lo = k + 1;
        }
      };
      try {
        for (const c of mine.splice(0)) await here(c);
        for (let k = Atomics.add(ctl, 0, 1); k < group.length; k = Atomics.add(ctl, 0, 1)) {
          taken[k] = 1;
          await here(group[k]);
          settle(null);
        }
        // Wait for the workers' replies even when every chunk is in: the
        // wait is this loop's only turn of the event loop. Returning early
        // starved it, and V8 freed no dead block meanwhile (peak RSS of
        // bench/zarr-io 0.35 -> 1.1 GB).
        const reports = await Promise.all(runs);
        settle(Object.assign({}, ...reports.map((r) => r.errors)));
      } catch (e) {
        // no worker may write into the block once the caller has the error
        Atomics.store(ctl, 0, group.length);
        await Promise.allSettled(runs);
        throw e;
      } finally {
        if (scratch) giveScratch(scratch);
      }
    }
    return out;
  } finally {
    store.release();
  }
}

/**
 * The chunks of a block in a local store (inner chunks for a sharded
 * array), with where their bytes are. `rows`: a gather of these rows of
 * axis 0 (the block's row k is array row rows[k]; chunks one row high),
 * instead of the rows from start[0].
 */
async function localChunks(ctx: LocalReadContext, path: string, m: ArrayMeta, start: number[], shape: number[], rows?: ArrayLike<number>): Promise<LocalChunk[]> {
  const store = ctx.store;
  const spec = m.shard;
  const grid = spec ? spec.chunks : m.chunks;
  const spans = rows ? Array.from(rows, (r, k) => ({ first: r, n: 1, at: k })) : [{ first: start[0], n: shape[0], at: 0 }];
  const each = (g: number[], fn: (idx: number[], dst0: number) => void) => {
    for (const sp of spans) {
      forEachChunk([sp.first, ...start.slice(1)], [sp.n, ...shape.slice(1)], g, (idx) => fn(idx, idx[0] * grid[0] - sp.first + sp.at));
    }
  };
  const out: LocalChunk[] = [];
  if (!spec) {
    each(m.chunks, (idx, dst0) => {
      const key = m.chunkKey(idx);
      out.push({ idx, src: { file: store.file(join(path, key)) }, label: `chunk ${key}`, dst0 });
    });
    return out;
  }
  const { per, count } = shardGrid(m.chunks, spec.chunks);
  const indexes = new Map<string, BigUint64Array | null>();
  each(m.chunks, (shard) => void indexes.set(m.chunkKey(shard), null));
  for (const shardKey of indexes.keys()) {
    try {
      indexes.set(shardKey, await ctx.shardIndexes.get(spec, join(path, shardKey), count));
    } catch (e: any) {
      throw ctx.err(path, `shard ${shardKey}: ${ctx.why(e, path)}`, e);
    }
  }
  each(spec.chunks, (idx, dst0) => {
    const { shard, local, flat } = innerPlace(idx, per);
    const shardKey = m.chunkKey(shard);
    const r = innerRange(indexes.get(shardKey) ?? null, flat);
    out.push({ idx, src: r && { file: store.file(join(path, shardKey)), ...r }, label: `shard ${shardKey} inner chunk ${local.join(",")}`, dst0 });
  });
  return out;
}

/** A typed array over memory that need not be zeroed first (Node: Buffer.allocUnsafeSlow, its own ArrayBuffer). */
function allocateUninitialised(dtype: Exclude<NDArray["dtype"], "string">, shape: number[]): TypedArray {
  const T = typedArrayFor(dtype);
  const n = product(shape);
  const bytes = n * T.BYTES_PER_ELEMENT;
  return new T(allocUninitialised(bytes), 0, n);
}
