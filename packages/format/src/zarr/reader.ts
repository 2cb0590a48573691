// Reading Zarr v2 / v3: metadata (consolidated when present), chunk keys,
// only the chunks (and for shards, only the inner chunks) a block needs.
import { type HttpOptions, SourceError } from "@cellfolio/hdf5";
import { allocate, copyBlock, intoView, itemSize, product, typedArrayFor } from "../dtype.js";
import { FormatError } from "../errors.js";
import { toFloat16Bits as floatToHalf } from "../float16.js";
import { formatPlatform } from "../platform.js";
import type { Attrs, FieldInfo, NDArray, NodeInfo, ReadBlockOptions, StoreReader, TypedArray } from "../types.js";
import { type ChunkData, chunkElements, decodeByteCodecs, decodeByteCodecsInto, decodeChunk, viewNumeric } from "./chunk.js";
import { readU32 } from "./codecs.js";
import { parseJson } from "./json.js";
import { type ArrayMeta, parseV2, parseV3, type RecordField, type ShardSpec } from "./metadata.js";
import { ABSENT, FAILED, giveScratch, type ReadReport, SCRATCH_BYTES, takeScratch } from "./shared-read.js";
import { type ChunkSource, type FileKeyStore, hasFiles, type KeyStore, openKeyStore } from "./stores.js";

interface NodeDoc {
  kind: "group" | "array";
  /** v2: the .zarray document; v3: zarr.json. */
  doc: any;
  attrs: Record<string, unknown>;
}

/** How many chunk reads a block read keeps in flight. */
const READ_CONCURRENCY = 16;
/** Block reads of at least this many chunks of a local store are shared with the workers (fewer: the round trip costs more). */
const MIN_SPLIT_CHUNKS = 8;
const MAX_CACHED_SHARD_INDEXES = 512;
const WHOLE_SHARD_BYTES = 64 << 20;
/** Inner chunks this close (bytes) in a shard are read with one range request, up to COALESCE_MAX. */
const COALESCE_GAP = 64 << 10;
const COALESCE_MAX = 16 << 20;
const MISSING = 0xffffffffffffffffn;

/** A chunk of a block read from a local store: its index in the (inner) chunk grid, where its bytes are (null: not stored), its name in errors, where it goes. */
interface LocalChunk {
  idx: number[];
  src: ChunkSource | null;
  label: string;
  /** The output row where the chunk's first row lands (negative when the block starts inside the chunk). */
  dst0: number;
}

function join(p: string, key: string): string {
  return p ? `${p}/${key}` : key;
}

function norm(p: string): string {
  return p.replace(/^\/+|\/+$/g, "");
}

export class ZarrReader implements StoreReader {
  readonly backend = "zarr" as const;
  private metas = new Map<string, Promise<ArrayMeta | null>>();
  private shardIndexes = new Map<string, Promise<BigUint64Array | null>>();

  private constructor(
    readonly source: string,
    private readonly store: KeyStore,
    readonly zarrFormat: 2 | 3,
    private readonly consolidated: Map<string, NodeDoc> | null,
  ) {}

  /** A store by URL or local path (Node), or any KeyStore (a MapKeyStore in memory, a ZipStore over a Blob). */
  static async open(target: string | KeyStore, options: HttpOptions = {}): Promise<ZarrReader> {
    const source = typeof target === "string" ? target : target.source;
    let store: KeyStore;
    try {
      store = typeof target === "string" ? await openKeyStore(target, options) : target;
    } catch (e: any) {
      const what = e?.code === "ENOENT" ? "no such file or directory" : e?.code === "EACCES" ? "permission denied" : String(e?.message ?? e);
      throw new FormatError(source, "", `cannot open as Zarr: ${what}`, { cause: e });
    }
    try {
      const fail = (msg: string): never => {
        throw new FormatError(source, "", msg);
      };
      const rootV3 = await store.get("zarr.json");
      if (rootV3) {
        const doc = parseJson(rootV3, "zarr.json");
        if (doc.zarr_format !== 3) fail(`zarr.json has zarr_format ${doc.zarr_format}, expected 3`);
        let consolidated: Map<string, NodeDoc> | null = null;
        const cm = doc.consolidated_metadata;
        if (cm && cm.kind === "inline" && cm.metadata) {
          consolidated = new Map();
          consolidated.set("", { kind: doc.node_type, doc, attrs: doc.attributes ?? {} });
          const add = (prefix: string, md: Record<string, any>) => {
            for (const [k, d] of Object.entries(md)) {
              const p = join(prefix, k);
              consolidated?.set(p, { kind: d.node_type, doc: d, attrs: d.attributes ?? {} });
              if (d.node_type === "group" && d.consolidated_metadata?.metadata) add(p, d.consolidated_metadata.metadata);
            }
          };
          add("", cm.metadata);
        }
        return new ZarrReader(source, store, 3, consolidated);
      }
      const zmeta = await store.get(".zmetadata");
      if (zmeta) {
        const doc = parseJson(zmeta, ".zmetadata");
        const md: Record<string, any> = doc.metadata ?? fail(".zmetadata has no 'metadata'");
        const consolidated = new Map<string, NodeDoc>();
        for (const [k, d] of Object.entries(md)) {
          const slash = k.lastIndexOf("/");
          const p = slash < 0 ? "" : k.slice(0, slash);
          const name = k.slice(slash + 1);
          if (name === ".zarray" || name === ".zgroup") {
            const prev = consolidated.get(p);
            consolidated.set(p, { kind: name === ".zarray" ? "array" : "group", doc: d, attrs: prev?.attrs ?? {} });
          } else if (name === ".zattrs") {
            const prev = consolidated.get(p);
            if (prev) prev.attrs = d;
            else consolidated.set(p, { kind: "group", doc: null, attrs: d });
          }
        }
        return new ZarrReader(source, store, 2, consolidated);
      }
      if ((await store.get(".zgroup")) || (await store.get(".zarray"))) return new ZarrReader(source, store, 2, null);
      return fail("not a Zarr store: no zarr.json, .zgroup, .zarray or .zmetadata at its root");
    } catch (e) {
      await store.close();
      throw e instanceof FormatError ? e : new FormatError(source, "", (e as Error)?.message ?? String(e), { cause: e });
    }
  }

  /**
   * The reason a lower layer gave, without the store's name and the element
   * path when it starts with them (a zip entry's FormatError, a SourceError):
   * the message that wraps it names them once.
   */
  private why(e: any, path: string): string {
    let m = String(e?.message ?? e);
    if (m.startsWith(`${this.source}: `)) m = m.slice(this.source.length + 2);
    // "/obsm/x: " or a key under it ("/obsm/x/0.0: ", a zip entry): the wrapping message names the element and chunk
    const lead = /^\/([^:]*): /.exec(m);
    if (lead && (lead[1] === "" || `${lead[1]}/`.startsWith(`${norm(path)}/`))) m = m.slice(lead[0].length);
    return m;
  }

  private err(path: string, problem: string, cause?: unknown): FormatError {
    return new FormatError(this.source, path, problem, { cause });
  }

  /** A chunk (or shard part) whose bytes would not decode, named. */
  private undecodable(path: string, what: string, e: any): FormatError {
    return this.err(path, `${what}: cannot decode (${this.why(e, path)})`, e);
  }

  private async node(path: string): Promise<NodeDoc | null> {
    path = norm(path);
    if (this.consolidated) {
      const n = this.consolidated.get(path);
      if (n?.doc || !n) return n ?? null;
    }
    const read = async (key: string) => {
      const b = await this.store.get(join(path, key));
      return b ? parseJson(b, join(path, key)) : undefined;
    };
    try {
      if (this.zarrFormat === 3) {
        const d = await read("zarr.json");
        return d ? { kind: d.node_type, doc: d, attrs: d.attributes ?? {} } : null;
      }
      const arr = await read(".zarray");
      const grp = arr ? undefined : await read(".zgroup");
      if (!arr && !grp) return null;
      const attrs = (await read(".zattrs")) ?? {};
      return { kind: arr ? "array" : "group", doc: arr ?? grp, attrs };
    } catch (e: any) {
      throw this.err(path, `bad metadata: ${this.why(e, path)}`, e);
    }
  }

  private meta(path: string): Promise<ArrayMeta | null> {
    path = norm(path);
    let m = this.metas.get(path);
    if (!m) {
      m = (async () => {
        const n = await this.node(path);
        if (n?.kind !== "array") return null;
        try {
          return this.zarrFormat === 3 ? parseV3(n.doc) : parseV2(n.doc, n.attrs);
        } catch (e: any) {
          throw this.err(path, this.why(e, path), e);
        }
      })();
      m.catch(() => this.metas.delete(path));
      this.metas.set(path, m);
    }
    return m;
  }

  private async arrayMeta(path: string): Promise<ArrayMeta> {
    const m = await this.meta(path);
    if (!m) {
      const n = await this.node(path);
      throw this.err(path, n ? "is a group, not an array" : "no such array");
    }
    return m;
  }

  async get(path: string): Promise<NodeInfo | null> {
    path = norm(path);
    const n = await this.node(path);
    if (!n) return null;
    if (n.kind === "group") return { kind: "group", path, attrs: n.attrs as Attrs };
    const m = await this.arrayMeta(path);
    return {
      kind: "array",
      path,
      shape: m.shape,
      dtype: m.dtype,
      chunks: m.shard ? m.shard.chunks : m.chunks,
      shards: m.shard ? m.chunks : null,
      compression: m.compression,
      attrs: n.attrs as Attrs,
      ...(m.fields ? { fields: m.fields.map(fieldInfo) } : {}),
    };
  }

  async list(path: string): Promise<string[]> {
    path = norm(path);
    const n = await this.node(path);
    if (n?.kind !== "group") throw this.err(path, n ? "is an array, not a group" : "no such group");
    if (this.consolidated) {
      const out: string[] = [];
      const pre = path ? `${path}/` : "";
      for (const k of this.consolidated.keys()) {
        if (k !== "" && k.startsWith(pre) && !k.slice(pre.length).includes("/")) out.push(k.slice(pre.length));
      }
      return out.sort();
    }
    const names = await this.store.listDir(path);
    if (names === null) throw this.err(path, "cannot list a group over HTTP without consolidated metadata (.zmetadata or consolidated_metadata in zarr.json)");
    const out: string[] = [];
    await Promise.all(
      names
        .filter((x) => !x.startsWith("."))
        .map(async (name) => {
          if (this.zarrFormat === 3 && name === "zarr.json") return;
          if (await this.node(join(path, name))) out.push(name);
        }),
    );
    return out.sort();
  }

  async readArray(path: string): Promise<NDArray> {
    const m = await this.arrayMeta(path);
    return this.readBlock(path, m.shape.map(() => 0), m.shape);
  }

  /** readBlock calls under way: a lone one of few chunks decodes them on this thread. */
  private blockReads = 0;

  async readBlock(path: string, start: number[], shape: number[], options: ReadBlockOptions = {}): Promise<NDArray> {
    this.blockReads++;
    try {
      return await this.readBlockAlone(path, start, shape, options.into);
    } finally {
      this.blockReads--;
    }
  }

  /**
   * Rows `rows` of axis 0, in that order (repeats allowed), each the box
   * start / shape of the other axes: one array (rows.length, ...shape), as a
   * shuffled training batch wants. From a local store with chunks one row
   * high, every chunk is read by this thread and the codec workers together.
   */
  async readRows(path: string, rows: ArrayLike<number>, start: number[], shape: number[], options: ReadBlockOptions = {}): Promise<NDArray> {
    path = norm(path);
    const m = await this.arrayMeta(path);
    if (m.fields) throw this.err(path, "is a structured (record) array: read it with readRecords");
    const rank = m.shape.length;
    if (start.length !== rank - 1 || shape.length !== rank - 1 || start.some((s, i) => s < 0 || shape[i] < 0 || s + shape[i] > m.shape[i + 1])) {
      throw this.err(path, `rows' start ${JSON.stringify(start)} shape ${JSON.stringify(shape)} is outside the array's shape ${JSON.stringify(m.shape)} (without its first axis)`);
    }
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (!Number.isInteger(r) || r < 0 || r >= m.shape[0]) throw this.err(path, `row ${r} is outside the array's ${m.shape[0]} rows`);
    }
    const outShape = [rows.length, ...shape];
    const grid = m.shard ? m.shard.chunks : m.chunks;
    if (grid[0] === 1 && this.sharesRead(m, rows.length * countChunks([0, ...start], [1, ...shape], grid))) {
      const dst = options.into ? intoView(options.into, m.dtype, outShape, this.source, path) : null;
      const data = await this.readIntoLocal(path, m, [0, ...start], outShape, dst, rows);
      return { dtype: m.dtype, shape: outShape, data } as NDArray;
    }
    // elsewhere: a block read a row
    const out = options.into ? ({ dtype: m.dtype, shape: outShape, data: intoView(options.into, m.dtype, outShape, this.source, path) } as NDArray) : allocate(m.dtype, outShape);
    const per = product(shape);
    const tasks = Array.from(rows, (r, k) => async () => {
      const b = await this.readBlock(path, [r, ...start], [1, ...shape]);
      if (Array.isArray(out.data)) for (let i = 0; i < per; i++) out.data[k * per + i] = (b.data as string[])[i];
      else (out.data as TypedArray).set(b.data as TypedArray as never, k * per);
    });
    await runPool(tasks, READ_CONCURRENCY);
    return out;
  }

  /** Whether a read of `chunks` chunks goes through readIntoLocal: many chunks of numbers in a local store. */
  private sharesRead(m: ArrayMeta, chunks: number): boolean {
    return hasFiles(this.store) && m.dtype !== "string" && chunks >= MIN_SPLIT_CHUNKS;
  }

  private async readBlockAlone(path: string, start: number[], shape: number[], into?: TypedArray): Promise<NDArray> {
    path = norm(path);
    const m = await this.arrayMeta(path);
    if (m.fields) throw this.err(path, "is a structured (record) array: read it with readRecords");
    const rank = m.shape.length;
    if (start.length !== rank || shape.length !== rank || start.some((s, i) => s < 0 || shape[i] < 0 || s + shape[i] > m.shape[i])) {
      throw this.err(path, `block start ${JSON.stringify(start)} shape ${JSON.stringify(shape)} is outside the array's shape ${JSON.stringify(m.shape)}`);
    }
    if (into) {
      const dst = intoView(into, m.dtype, shape, this.source, path);
      if (this.sharesRead(m, countChunks(start, shape, m.shard?.chunks ?? m.chunks))) {
        await this.readIntoLocal(path, m, start, shape, dst); // writes every element
      } else {
        dst.fill(0 as never); // the general path leaves zero-filled chunks as they are
        await this.readInto(path, m, start, shape, dst);
      }
      return { dtype: m.dtype, shape, data: dst } as NDArray;
    }
    if (!m.shard && shape.every((n, i) => n === m.chunks[i] && start[i] % n === 0 && start[i] + n <= m.shape[i])) {
      // Exactly one whole chunk (a cell of an image stack): its decoded array is
      // the block, with no zeroed allocation and no copy.
      const data = await this.chunkData(path, m, start.map((s0, i) => s0 / m.chunks[i]), this.blockReads <= 1);
      if (!data) {
        const out = allocate(m.dtype, shape);
        fillBox(out.data, shape, shape.map(() => 0), shape, m);
        return out;
      }
      // A view into a larger buffer is copied, so the caller owns all of its buffer.
      const owned = Array.isArray(data) || (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength);
      return { dtype: m.dtype, shape, data: owned ? data : data.slice() } as NDArray;
    }
    if (this.sharesRead(m, countChunks(start, shape, m.shard?.chunks ?? m.chunks))) {
      // every element is decoded or filled: no need to zero the block first (~5% of a read)
      const data = await this.readIntoLocal(path, m, start, shape, null);
      return { dtype: m.dtype, shape, data } as NDArray;
    }
    const out = allocate(m.dtype, shape);
    await this.readInto(path, m, start, shape, out.data);
    return out;
  }

  /** One chunk of a (not sharded) array, decoded; null where it is not stored (fill value). */
  private async chunkData(path: string, m: ArrayMeta, idx: number[], here: boolean): Promise<ChunkData | null> {
    const key = join(path, m.chunkKey(idx));
    const raw = await this.store.get(key).catch((e) => {
      throw this.err(path, `chunk ${m.chunkKey(idx)}: ${this.why(e, path)}`, e);
    });
    if (!raw) return null;
    try {
      return await decodeChunk(raw, { pipeline: m.pipeline, dtype: m.dtype, shape: m.chunks }, here);
    } catch (e: any) {
      throw this.undecodable(path, `chunk ${m.chunkKey(idx)}`, e);
    }
  }

  /** Fills `dst` (C order, shape `shape`) with the box at `start`. */
  private async readInto(path: string, m: ArrayMeta, start: number[], shape: number[], dst: TypedArray | string[]): Promise<void> {
    if (product(shape) === 0) return;
    const tasks: (() => Promise<void>)[] = [];
    const grid = m.chunks;
    let here = false;
    forEachChunk(start, shape, grid, (idx) => {
      const origin = idx.map((c, i) => c * grid[i]);
      tasks.push(async () => {
        if (m.shard) {
          await this.readShard(path, m, m.shard, join(path, m.chunkKey(idx)), origin, start, shape, dst);
          return;
        }
        const data = await this.chunkData(path, m, idx, here);
        const box = overlap(origin, grid, start, shape, m.shape);
        if (!data) fillBox(dst, shape, box.dstStart, box.count, m);
        else copyBlock(data, grid, box.srcStart, dst, shape, box.dstStart, box.count);
      });
    });
    // One read of a few chunks with no other under way (one cell, one at a
    // time): the worker round trip would cost more than the decode.
    here = this.blockReads <= 1 && tasks.length <= 4;
    await runPool(tasks, READ_CONCURRENCY);
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
  private async readIntoLocal(
    path: string,
    m: ArrayMeta,
    start: number[],
    shape: number[],
    dst: TypedArray | null,
    rows?: ArrayLike<number>,
  ): Promise<TypedArray> {
    const store = this.store as FileKeyStore; // sharesRead() said so
    const pool = formatPlatform().codecPool;
    const spec = m.shard;
    const grid = spec ? spec.chunks : m.chunks;
    const p = spec ? spec.inner : m.pipeline;
    const dtype = m.dtype;
    if (dtype === "string") throw this.err(path, "string arrays are not read into typed memory"); // callers check
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
        throw this.undecodable(path, c.label, e);
      }
      copyBlock(data, grid, box.srcStart, out, shape, box.dstStart, box.count);
    };
    // one chunk on this thread: straight into the block where it is whole rows of it, else decoded and placed
    const here = async (c: LocalChunk): Promise<void> => {
      let raw: Uint8Array | undefined;
      try {
        raw = store.readNow(c.src as ChunkSource); // a reused buffer: the decoders copy it before any await
      } catch (e: any) {
        throw this.err(path, `${c.label}: ${this.why(e, path)}`, e);
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
        throw this.undecodable(path, c.label, e);
      }
      place(c, decoded);
    };

    const all = await this.localChunks(path, m, start, shape, store, rows);
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
              if (state === FAILED) throw this.err(path, `${group[k].label}: ${errors?.[k]}`);
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
  private async localChunks(path: string, m: ArrayMeta, start: number[], shape: number[], store: FileKeyStore, rows?: ArrayLike<number>): Promise<LocalChunk[]> {
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
    const inner = spec.chunks;
    const perShard = m.chunks.map((s, i) => Math.ceil(s / inner[i]));
    const nInner = product(perShard);
    const indexes = new Map<string, BigUint64Array | null>();
    each(m.chunks, (shard) => void indexes.set(m.chunkKey(shard), null));
    for (const shardKey of indexes.keys()) {
      try {
        indexes.set(shardKey, await this.shardIndex(spec, join(path, shardKey), nInner));
      } catch (e: any) {
        throw this.err(path, `shard ${shardKey}: ${this.why(e, path)}`, e);
      }
    }
    each(inner, (idx, dst0) => {
      const shard = idx.map((c, i) => Math.floor(c / perShard[i]));
      const shardKey = m.chunkKey(shard);
      const index = indexes.get(shardKey);
      let flat = 0;
      for (let i = 0; i < idx.length; i++) flat = flat * perShard[i] + (idx[i] - shard[i] * perShard[i]);
      const label = `shard ${shardKey} inner chunk ${idx.map((c, i) => c - shard[i] * perShard[i]).join(",")}`;
      const off = index ? index[2 * flat] : MISSING;
      const len = index ? index[2 * flat + 1] : MISSING;
      const stored = off !== MISSING || len !== MISSING;
      out.push({ idx, src: stored ? { file: store.file(join(path, shardKey)), offset: Number(off), length: Number(len) } : null, label, dst0 });
    });
    return out;
  }

  private shardIndex(spec: ShardSpec, key: string, nInner: number, whole?: Uint8Array): Promise<BigUint64Array | null> {
    let p = this.shardIndexes.get(key);
    if (p && !whole) return p;
    p = (async () => {
      const size = nInner * 16 + (spec.indexCrc ? 4 : 0);
      let b: Uint8Array | undefined;
      if (whole) b = spec.indexLocation === "end" ? whole.subarray(whole.length - size) : whole.subarray(0, size);
      else b = await this.store.getRange(key, spec.indexLocation === "end" ? -size : 0, size);
      if (!b) return null;
      if (b.length !== size) throw new Error(`shard index is ${b.length} bytes, expected ${size} (truncated shard?)`);
      if (spec.indexCrc) {
        const { crc32c } = await import("./codecs.js");
        if (crc32c(b.subarray(0, size - 4)) !== readU32(b, size - 4)) throw new Error("shard index crc32c checksum mismatch");
      }
      const copy = new Uint8Array(b.subarray(0, nInner * 16)); // aligned copy
      return new BigUint64Array(copy.buffer, 0, nInner * 2);
    })();
    p.catch(() => this.shardIndexes.delete(key));
    if (this.shardIndexes.size >= MAX_CACHED_SHARD_INDEXES) this.shardIndexes.clear();
    this.shardIndexes.set(key, p);
    return p;
  }

  private async readShard(
    path: string,
    m: ArrayMeta,
    spec: ShardSpec,
    key: string,
    shardOrigin: number[],
    start: number[],
    shape: number[],
    dst: TypedArray | string[],
  ): Promise<void> {
    const inner = spec.chunks;
    const perShard = m.chunks.map((s, i) => Math.ceil(s / inner[i]));
    const nInner = product(perShard);
    const shardKey = key.slice(path ? path.length + 1 : 0);
    // The part of the block inside this shard.
    const lo = shardOrigin.map((o, i) => Math.max(o, start[i]));
    const hi = shardOrigin.map((o, i) => Math.min(o + m.chunks[i], start[i] + shape[i], m.shape[i]));
    const wanted: number[][] = [];
    forEachChunk(
      lo.map((l, i) => l - shardOrigin[i]),
      hi.map((h, i) => h - lo[i]),
      inner,
      (idx) => wanted.push(idx),
    );
    let whole: Uint8Array | undefined;
    let index: BigUint64Array | null;
    try {
      // A whole shard in one request when every inner chunk is wanted and it is small enough to hold.
      if (wanted.length === nInner && product(m.chunks) * Math.max(1, itemSize(m.dtype)) <= WHOLE_SHARD_BYTES) {
        whole = await this.store.get(key);
        index = whole ? await this.shardIndex(spec, key, nInner, whole) : null;
      } else {
        index = await this.shardIndex(spec, key, nInner);
      }
    } catch (e: any) {
      throw this.err(path, `shard ${shardKey}: ${this.why(e, path)}`, e);
    }
    // Range coalescing: inner chunks close together in the shard are fetched in one request.
    const ranges = new Map<number, () => Promise<Uint8Array | undefined>>();
    if (index && !whole) {
      const spans = wanted
        .map((idx) => {
          let flat = 0;
          for (let i = 0; i < idx.length; i++) flat = flat * perShard[i] + idx[i];
          return { flat, off: index[2 * flat], len: index[2 * flat + 1] };
        })
        .filter((x) => x.off !== MISSING)
        .sort((a, b) => (a.off < b.off ? -1 : a.off > b.off ? 1 : 0));
      let g = 0;
      while (g < spans.length) {
        const first = Number(spans[g].off);
        let end = first + Number(spans[g].len);
        let h = g + 1;
        while (h < spans.length && Number(spans[h].off) - end <= COALESCE_GAP && Number(spans[h].off) + Number(spans[h].len) - first <= COALESCE_MAX) {
          end = Math.max(end, Number(spans[h].off) + Number(spans[h].len));
          h++;
        }
        let fetched: Promise<Uint8Array | undefined> | undefined;
        const fetchGroup = () => {
          fetched ??= this.store.getRange(key, first, end - first);
          return fetched;
        };
        for (let i = g; i < h; i++) {
          const rel = Number(spans[i].off) - first;
          const len = Number(spans[i].len);
          ranges.set(spans[i].flat, async () => (await fetchGroup())?.subarray(rel, rel + len));
        }
        g = h;
      }
    }
    const tasks = wanted.map((idx) => async () => {
      const origin = idx.map((c, i) => shardOrigin[i] + c * inner[i]);
      const box = overlap(origin, inner, start, shape, m.shape);
      let flat = 0;
      for (let i = 0; i < idx.length; i++) flat = flat * perShard[i] + idx[i];
      const off = index ? index[2 * flat] : MISSING;
      const len = index ? index[2 * flat + 1] : MISSING;
      const label = `shard ${shardKey} inner chunk ${idx.join(",")}`;
      if (off === MISSING && len === MISSING) {
        fillBox(dst, shape, box.dstStart, box.count, m);
        return;
      }
      let raw: Uint8Array | undefined;
      try {
        raw = whole ? whole.subarray(Number(off), Number(off + len)) : await (ranges.get(flat) ?? (() => this.store.getRange(key, Number(off), Number(len))))();
        if (!raw || raw.length !== Number(len)) throw new Error(`truncated: ${raw?.length ?? 0} of ${len} bytes`);
        const data = await decodeChunk(raw, { pipeline: spec.inner, dtype: m.dtype, shape: inner });
        copyBlock(data, inner, box.srcStart, dst, shape, box.dstStart, box.count);
      } catch (e: any) {
        // a failed read (HTTP: the message names the URL and what the server did) is not a decoding failure
        if (e instanceof SourceError) throw this.err(path, `${label}: ${this.why(e, path)}`, e);
        throw this.undecodable(path, label, e);
      }
    });
    await runPool(tasks, READ_CONCURRENCY);
  }

  async readRecords(path: string): Promise<Record<string, NDArray>> {
    path = norm(path);
    const m = await this.arrayMeta(path);
    if (!m.fields || m.pipeline.serializer.kind !== "record") throw this.err(path, "is not a structured (record) array");
    const recSize = m.pipeline.serializer.size;
    const n = product(m.shape);
    // Read the records as bytes: each element is recSize bytes wide.
    const bytes = new Uint8Array(n * recSize);
    const byteShape = [...m.shape, recSize];
    const tasks: (() => Promise<void>)[] = [];
    forEachChunk(
      m.shape.map(() => 0),
      m.shape,
      m.chunks,
      (idx) => {
        tasks.push(async () => {
          const raw = await this.store.get(join(path, m.chunkKey(idx)));
          if (!raw) return;
          const origin = idx.map((c, i) => c * m.chunks[i]);
          const box = overlap(origin, m.chunks, m.shape.map(() => 0), m.shape, m.shape);
          let data: ChunkData;
          try {
            data = await decodeChunk(raw, { pipeline: m.pipeline, dtype: "uint8", shape: m.chunks });
          } catch (e: any) {
            throw this.undecodable(path, `chunk ${m.chunkKey(idx)}`, e);
          }
          copyBlock(data, [...m.chunks, recSize], [...box.srcStart, 0], bytes, byteShape, [...box.dstStart, 0], [...box.count, recSize]);
        });
      },
    );
    await runPool(tasks, READ_CONCURRENCY);
    const out: Record<string, NDArray> = {};
    for (const f of m.fields) {
      const col = new Uint8Array(n * f.size);
      for (let i = 0; i < n; i++) col.set(bytes.subarray(i * recSize + f.offset, i * recSize + f.offset + f.size), i * f.size);
      const data = f.text
        ? (decodeChunk(col, {
            pipeline: {
              arrayCodecs: [],
              byteCodecs: [],
              serializer: f.text === "U" ? { kind: "fixed-unicode", chars: f.size / 4, bigEndian: f.bigEndian } : { kind: "fixed-bytes", size: f.size },
            },
            dtype: "string",
            shape: [n],
          }) as Promise<string[]>)
        : viewNumeric(col, f.dtype, n, f.bigEndian);
      out[f.name] = { dtype: f.dtype, shape: [...m.shape], data: await data };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** A record field as the element layer sees it: fixed strings keep their width. */
function fieldInfo(f: RecordField): FieldInfo {
  if (f.text === "U") return { name: f.name, dtype: f.dtype, text: { kind: "utf32", chars: f.size / 4 } };
  if (f.text === "S") return { name: f.name, dtype: f.dtype, text: { kind: "bytes", size: f.size } };
  return { name: f.name, dtype: f.dtype };
}

/** How many chunks of `grid` the box start/shape touches. */
function countChunks(start: number[], shape: number[], grid: number[]): number {
  let n = 1;
  for (let i = 0; i < grid.length; i++) n *= shape[i] === 0 ? 0 : Math.floor((start[i] + shape[i] - 1) / grid[i]) - Math.floor(start[i] / grid[i]) + 1;
  return n;
}

/** A typed array over memory that need not be zeroed first (Node: Buffer.allocUnsafeSlow, its own ArrayBuffer). */
function allocateUninitialised(dtype: Exclude<NDArray["dtype"], "string">, shape: number[]): TypedArray {
  const T = typedArrayFor(dtype);
  const n = product(shape);
  const bytes = n * T.BYTES_PER_ELEMENT;
  const alloc = formatPlatform().allocUninitialised;
  return new T(alloc ? alloc(bytes) : new ArrayBuffer(bytes), 0, n);
}

/** Calls `fn` with the index of every chunk of `grid` the box start/shape touches. */
export function forEachChunk(start: number[], shape: number[], grid: number[], fn: (idx: number[]) => void): void {
  const rank = grid.length;
  if (shape.some((s) => s === 0)) return;
  const lo = start.map((s, i) => Math.floor(s / grid[i]));
  const hi = start.map((s, i) => Math.floor((s + shape[i] - 1) / grid[i]));
  const idx = lo.slice();
  for (;;) {
    fn(idx.slice());
    let a = rank - 1;
    while (a >= 0) {
      if (++idx[a] <= hi[a]) break;
      idx[a] = lo[a];
      a--;
    }
    if (a < 0) return;
  }
}

function overlap(origin: number[], chunk: number[], start: number[], shape: number[], arrayShape: number[]) {
  const srcStart: number[] = [];
  const dstStart: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < origin.length; i++) {
    const lo = Math.max(origin[i], start[i]);
    const hi = Math.min(origin[i] + chunk[i], start[i] + shape[i], arrayShape[i]);
    srcStart.push(lo - origin[i]);
    dstStart.push(lo - start[i]);
    count.push(Math.max(0, hi - lo));
  }
  return { srcStart, dstStart, count };
}

/** The fill value over a box of `dst`; `zeroed`: `dst` came from allocate() (zeros), not uninitialised memory. */
function fillBox(dst: TypedArray | string[], shape: number[], at: number[], count: number[], m: ArrayMeta, zeroed = true): void {
  const f = m.fill;
  const zero = f === null || f === 0 || f === false || f === "" || f === 0n;
  if (zero && zeroed) return;
  let v: unknown = zero ? 0 : f;
  if (m.dtype === "float16") v = floatToHalf(Number(f));
  else if (m.dtype === "bool") v = f ? 1 : 0;
  else if (m.dtype === "int64" || m.dtype === "uint64") v = BigInt(f as any);
  else if (m.dtype !== "string") v = Number(f);
  const n = product(count);
  const src: any = Array.isArray(dst) ? new Array(n).fill(v) : new (dst.constructor as any)(n).fill(v);
  copyBlock(src, count, count.map(() => 0), dst, shape, at, count);
}

export async function runPool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < tasks.length && failed === null) {
      const t = tasks[next++];
      try {
        await t();
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed !== null) throw failed;
}
