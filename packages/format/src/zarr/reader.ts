// Reading Zarr v2 / v3: metadata (consolidated when present), chunk keys,
// only the chunks (and for shards, only the inner chunks) a block needs.
// Beside it: opening a store (discovery.ts), the shard index (sharding.ts,
// shared with the writer), block reads of local stores shared with the codec
// workers (local-read.ts), boxes over the chunk grid (grid.ts).
import { type HttpOptions, runPool, SourceError } from "@cellfolio/hdf5";
import { allocate, copyBlock, intoView, itemSize, product } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { Attrs, FieldInfo, NDArray, NodeInfo, ReadBlockOptions, StoreReader, TypedArray } from "../types.js";
import { type ChunkData, decodeChunk, viewNumeric } from "./chunk.js";
import { discover, join, type NodeDoc, norm, readNode } from "./discovery.js";
import { countChunks, fillBox, forEachChunk, overlap } from "./grid.js";
import { type FileKeyStore, hasFiles, type KeyStore } from "./key-store.js";
import { type LocalReadContext, readIntoLocal } from "./local-read.js";
import { type ArrayMeta, parseV2, parseV3, type RecordField, type ShardSpec } from "./metadata.js";
import { flatIndex, innerRange, ShardIndexes, shardGrid } from "./sharding.js";
import { openKeyStore, withCoalescedRanges } from "./stores.js";

/** How many chunk reads a block read keeps in flight. */
const READ_CONCURRENCY = 16;
/** Block reads of at least this many chunks of a local store are shared with the workers (fewer: the round trip costs more). */
const MIN_SPLIT_CHUNKS = 8;
const WHOLE_SHARD_BYTES = 64 << 20;
/** Inner chunks this close (bytes) in a shard are read with one range request, up to COALESCE_MAX. */
const COALESCE_GAP = 64 << 10;
const COALESCE_MAX = 16 << 20;

export class ZarrReader implements StoreReader {
  readonly backend = "zarr" as const;
  private metas = new Map<string, Promise<ArrayMeta | null>>();
  private readonly shardIndexes: ShardIndexes;

  private constructor(
    readonly source: string,
    private readonly store: KeyStore,
    readonly zarrFormat: 2 | 3,
    private readonly consolidated: Map<string, NodeDoc> | null,
  ) {
    this.shardIndexes = new ShardIndexes(store);
  }

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
      const { zarrFormat, consolidated } = await discover(store);
      return new ZarrReader(source, store, zarrFormat, consolidated);
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
    try {
      return await readNode(this.store, this.zarrFormat, path);
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
      const data = await readIntoLocal(this.local(), path, m, [0, ...start], outShape, dst, rows);
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
        await readIntoLocal(this.local(), path, m, start, shape, dst); // writes every element
      } else {
        // the general path leaves zero-filled chunks as they are (0n: int64 arrays hold bigints, empty or not)
        dst.fill((dst instanceof BigInt64Array || dst instanceof BigUint64Array ? 0n : 0) as never);
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
      const data = await readIntoLocal(this.local(), path, m, start, shape, null);
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

  /** What the local-store path (local-read.ts) needs of this reader. */
  private local(): LocalReadContext {
    return {
      store: this.store as FileKeyStore, // sharesRead() said so
      err: (path, problem, cause) => this.err(path, problem, cause),
      why: (e, path) => this.why(e, path),
      undecodable: (path, what, e) => this.undecodable(path, what, e),
      shardIndexes: this.shardIndexes,
    };
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
    const { per, count: nInner } = shardGrid(m.chunks, inner);
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
        index = whole ? await this.shardIndexes.get(spec, key, nInner, whole) : null;
      } else {
        index = await this.shardIndexes.get(spec, key, nInner);
      }
    } catch (e: any) {
      throw this.err(path, `shard ${shardKey}: ${this.why(e, path)}`, e);
    }
    // Range coalescing: inner chunks close together in the shard are fetched in one request.
    const store = whole ? this.store : withCoalescedRanges(this.store, key, wanted.flatMap((idx) => innerRange(index, flatIndex(idx, per)) ?? []), COALESCE_GAP, COALESCE_MAX);
    const tasks = wanted.map((idx) => async () => {
      const origin = idx.map((c, i) => shardOrigin[i] + c * inner[i]);
      const box = overlap(origin, inner, start, shape, m.shape);
      const flat = flatIndex(idx, per);
      const r = innerRange(index, flat);
      const label = `shard ${shardKey} inner chunk ${idx.join(",")}`;
      if (!r) {
        fillBox(dst, shape, box.dstStart, box.count, m);
        return;
      }
      const { offset: off, length: len } = r;
      let raw: Uint8Array | undefined;
      try {
        raw = whole ? whole.subarray(off, off + len) : await store.getRange(key, off, len);
        if (!raw || raw.length !== len) throw new Error(`truncated: ${raw?.length ?? 0} of ${len} bytes`);
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

