// Our Zarr writer (zarrita cannot write v2, shards, gzip, vlen-utf8 or
// consolidated metadata). Keys go to a KeySink: under Node a directory
// written as `<target>.tmp-<pid>.<random>.<host>` and renamed at close(), so an
// interrupted write never leaves a store that looks complete; in memory
// anywhere.
import { allocate, copyBlock, itemSize, product } from "../dtype.js";
import { FormatError } from "../errors.js";
import { float16BitsToNumber as halfToFloat } from "../float16.js";
import { formatPlatform, NO_LOCAL_FILES } from "../platform.js";
import type { ArrayInfo, ArrayWriter, Attrs, AttrValue, Compression, CreateArrayOptions, FieldInfo, NDArray, StoreWriter } from "../types.js";
import { letOthersRun } from "../yield.js";
import { type ChunkData, encodeByteCodecs, encodeChunk, encodesSync } from "./chunk.js";
import { forEachChunk } from "./grid.js";
import { stringifyJson } from "./json.js";
import type { KeyFile, KeySink } from "./key-store.js";
import { type ByteCodec, byteCodecsFor, describe, type RecordField, v2ArrayJson, v3ArrayJson } from "./metadata.js";
import { packRecords, recordLayout, v2RecordDtype, v2RecordFill, v3StructFill, v3StructType } from "./records.js";
import { emptyShardIndex, encodeShardIndex, innerPlace, shardGrid } from "./sharding.js";

const textEncoder = new TextEncoder();

/**
 * Default compression: blosc lz4 with a byte shuffle at the real typesize.
 * Measured on bench/zarr-io.mjs's float16 cell crops (Node 20, CPU MB/s of one
 * thread, ratio): blosc-lz4-shuffle encodes 206 / decodes 327 at 1.88;
 * zstd-1 339 / 232 at 1.80; shuffle+zstd-1 203 / 367 at 2.17; shuffle+gzip-1
 * 100 at 2.19. lz4 decodes fastest here (our JS decoder) and in zarr-python
 * (threaded C blosc), it is zarr-python 2's own default, and blosc is the one
 * codec carrying a shuffle in both Zarr v2 and v3, so every reader has it.
 */
export const DEFAULT_COMPRESSION: Compression = { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" };
/** Uncompressed bytes of a default chunk (zarr-python's guess aims at about 1 MB). */
const CHUNK_TARGET = 1 << 20;
/** v3 arrays larger than this are sharded by default. */
const SHARD_THRESHOLD = 64 << 20;
/** Uncompressed bytes of a default shard (anndata 0.13 aims at about 1 GB). */
const SHARD_TARGET = 1 << 30;
/** Uncompressed bytes of chunks being encoded or written at once, over all arrays. */
const IN_FLIGHT_BYTES = 32 << 20;

export interface ZarrWriterOptions {
  zarrFormat?: 2 | 3;
  overwrite?: boolean;
  consolidated?: boolean;
}

interface Node {
  kind: "group" | "array";
  attrs: Attrs;
  array?: ZarrArrayWriter;
  /** A structured array written whole by writeRecords: one chunk. */
  records?: { shape: number[]; size: number; fields: RecordField[]; codecs: ByteCodec[] };
}

/** zarr-python's chunk guess in spirit: whole trailing axes, ~1 MB along the first axis. */
export function guessChunks(shape: number[], itemBytes: number): number[] {
  if (shape.length === 0) return [];
  const chunks = shape.map((s) => Math.max(1, s));
  const size = Math.max(1, itemBytes);
  const row = size * product(chunks.slice(1));
  if (row <= CHUNK_TARGET) {
    chunks[0] = Math.max(1, Math.min(chunks[0], Math.floor(CHUNK_TARGET / row)));
    return chunks;
  }
  chunks[0] = 1;
  while (product(chunks) * size > CHUNK_TARGET) {
    let axis = 1;
    for (let i = 2; i < chunks.length; i++) if (chunks[i] > chunks[axis]) axis = i;
    if (chunks[axis] <= 1) break;
    chunks[axis] = Math.ceil(chunks[axis] / 2);
  }
  return chunks;
}

/** Shards of whole rows (every trailing axis whole), ~1 GB uncompressed. */
export function guessShards(shape: number[], chunks: number[], itemBytes: number): number[] {
  const full = shape.map((s, i) => Math.max(1, Math.ceil(s / chunks[i])) * chunks[i]);
  const rowBytes = Math.max(1, itemBytes) * product(full.slice(1)) * chunks[0];
  const k = Math.max(1, Math.floor(SHARD_TARGET / rowBytes));
  full[0] = Math.min(full[0], k * chunks[0]);
  return full;
}

/** Attribute values as zarr-python stores them: arrays as (nested) JSON lists. */
function attrToJson(v: AttrValue): unknown {
  if (v === null || typeof v !== "object") return typeof v === "bigint" ? Number(v) : v;
  if (Array.isArray(v)) return v.map(attrToJson);
  if ("dtype" in v && "shape" in v && "data" in v && Array.isArray((v as any).shape)) {
    const a = v as NDArray;
    const flat: unknown[] = Array.from(a.data as ArrayLike<unknown>, (x) =>
      a.dtype === "float16" ? halfToFloat(x as number) : a.dtype === "bool" ? !!x : typeof x === "bigint" ? Number(x) : x,
    );
    const nest = (off: number, axis: number): unknown => {
      if (axis === a.shape.length) return flat[off];
      const step = product(a.shape.slice(axis + 1));
      return Array.from({ length: a.shape[axis] }, (_, i) => nest(off + i * step, axis + 1));
    };
    return nest(0, 0);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = attrToJson(x as AttrValue);
  return out;
}

export function attrsToJson(a: Attrs): Record<string, unknown> {
  return attrToJson(a) as Record<string, unknown>;
}

export class ZarrWriter implements StoreWriter {
  readonly backend = "zarr" as const;
  readonly zarrFormat: 2 | 3;
  private nodes = new Map<string, Node>();
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private done = false;

  private constructor(
    readonly sink: KeySink,
    private readonly options: ZarrWriterOptions,
  ) {
    this.zarrFormat = options.zarrFormat ?? 3;
  }

  get target(): string {
    return this.sink.target;
  }

  /**
   * A store at a local path (Node: a directory written under a temporary
   * name, renamed at close), or into any KeySink, e.g. `new MemoryKeySink()`
   * in a browser, whose `entries` are the store's keys after close.
   */
  static async create(target: string | KeySink, options: ZarrWriterOptions = {}): Promise<ZarrWriter> {
    const name = typeof target === "string" ? target : target.target;
    if (options.zarrFormat !== undefined && options.zarrFormat !== 2 && options.zarrFormat !== 3) {
      throw new FormatError(name, "", `zarrFormat must be 2 or 3, not ${options.zarrFormat}`);
    }
    let sink: KeySink;
    if (typeof target !== "string") sink = target;
    else {
      const create = formatPlatform().createDirectorySink;
      if (!create) throw new FormatError(target, "", NO_LOCAL_FILES);
      sink = await create(target, options.overwrite ?? false);
    }
    const w = new ZarrWriter(sink, options);
    w.nodes.set("", { kind: "group", attrs: {} });
    return w;
  }

  /** Waits until `bytes` more may be in flight; bounds memory whatever the caller's pace. */
  async acquire(bytes: number): Promise<void> {
    while (this.inFlight > 0 && this.inFlight + bytes > IN_FLIGHT_BYTES) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    this.inFlight += bytes;
  }
  release(bytes: number): void {
    this.inFlight -= bytes;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private check(p: string): string {
    if (this.done) throw new FormatError(this.target, p, "the writer is closed");
    const n = p.replace(/^\/+|\/+$/g, "");
    if (n.split("/").some((s) => s === "" && n !== "") || n.split("/").some((s) => s === "." || s === ".." || s.startsWith(".z") || s === "zarr.json")) {
      throw new FormatError(this.target, p, "invalid element name for Zarr");
    }
    return n;
  }

  private async ensureParents(p: string): Promise<void> {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const g = parts.slice(0, i).join("/");
      const n = this.nodes.get(g);
      if (!n) {
        this.nodes.set(g, { kind: "group", attrs: {} });
      } else if (n.kind !== "group") throw new FormatError(this.target, p, `parent ${g} is an array`);
    }
  }

  async createGroup(p: string, attrs: Attrs = {}): Promise<void> {
    p = this.check(p);
    const n = this.nodes.get(p);
    if (n && n.kind !== "group") throw new FormatError(this.target, p, "already exists as an array");
    if (p === "" || n) {
      this.nodes.set(p, { kind: "group", attrs: { ...(n?.attrs ?? {}), ...attrs } });
      return;
    }
    await this.ensureParents(p);
    this.nodes.set(p, { kind: "group", attrs: { ...attrs } });
  }

  async createArray(p: string, options: CreateArrayOptions): Promise<ArrayWriter> {
    p = this.check(p);
    if (p === "") throw new FormatError(this.target, p, "the root is a group");
    if (this.nodes.has(p)) throw new FormatError(this.target, p, "already exists");
    const { shape, dtype } = options;
    if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new FormatError(this.target, p, `bad shape ${JSON.stringify(shape)}`);
    }
    const est = dtype === "string" ? 16 : itemSize(dtype);
    const chunks = options.chunks ? options.chunks.slice() : guessChunks(shape, est);
    if (chunks.length !== shape.length || chunks.some((c) => !Number.isInteger(c) || c < 1)) {
      throw new FormatError(this.target, p, `bad chunks ${JSON.stringify(options.chunks)} for shape ${JSON.stringify(shape)}`);
    }
    let shards: number[] | null = null;
    if (this.zarrFormat === 3 && dtype !== "string" && shape.length > 0) {
      if (options.shards) shards = options.shards.slice();
      else if (options.shards === undefined && product(shape) * est > SHARD_THRESHOLD) shards = guessShards(shape, chunks, est);
      if (shards && (shards.length !== shape.length || shards.some((s, i) => s % chunks[i] !== 0 || s < 1))) {
        throw new FormatError(this.target, p, `shards ${JSON.stringify(shards)} must be multiples of chunks ${JSON.stringify(chunks)}`);
      }
    }
    let codecs: ByteCodec[];
    try {
      codecs = byteCodecsFor(options.compression ?? DEFAULT_COMPRESSION, dtype);
    } catch (e: any) {
      throw new FormatError(this.target, p, e.message);
    }
    await this.ensureParents(p);
    const info: ArrayInfo = {
      kind: "array",
      path: p,
      shape: shape.slice(),
      dtype,
      chunks,
      shards,
      compression: shards ? `shard(${describe(codecs)})` : describe(codecs),
      attrs: { ...(options.attrs ?? {}) },
    };
    const aw = new ZarrArrayWriter(this, info, codecs);
    this.nodes.set(p, { kind: "array", attrs: info.attrs, array: aw });
    return aw;
  }

  async writeArray(p: string, data: NDArray, options: Omit<CreateArrayOptions, "shape" | "dtype"> = {}): Promise<void> {
    const w = await this.createArray(p, { ...options, shape: data.shape, dtype: data.dtype });
    await w.setBlock(
      data.shape.map(() => 0),
      data,
    );
    await w.close();
  }

  /** A 1-D structured array as one chunk (rec-arrays are small), compressed with the default codec. */
  async writeRecords(p: string, fields: FieldInfo[], columns: NDArray[], attrs: Attrs = {}): Promise<void> {
    p = this.check(p);
    if (p === "") throw new FormatError(this.target, p, "the root is a group");
    if (this.nodes.has(p)) throw new FormatError(this.target, p, "already exists");
    let layout: ReturnType<typeof recordLayout>;
    let bytes: Uint8Array;
    const n = columns[0]?.shape[0] ?? 0;
    try {
      if (fields.length === 0 || fields.length !== columns.length) throw new Error(`${columns.length} columns for ${fields.length} fields`);
      layout = recordLayout(fields);
      bytes = packRecords(layout, columns, n);
    } catch (e: any) {
      throw new FormatError(this.target, p, e.message);
    }
    // blosc shuffles by the record size, as zarr-python does for a structured dtype
    const codecs = byteCodecsFor(DEFAULT_COMPRESSION, "uint8").map((c) => (c.id === "blosc" ? { ...c, typesize: layout.size } : c));
    await this.ensureParents(p);
    this.nodes.set(p, { kind: "array", attrs: { ...attrs }, records: { shape: [n], size: layout.size, fields: layout.fields, codecs } });
    if (n === 0) return;
    const key = this.zarrFormat === 2 ? "0" : "c/0";
    await this.sink.put(`${p}/${key}`, await encodeByteCodecs(codecs, bytes));
  }

  async setAttrs(p: string, attrs: Attrs): Promise<void> {
    p = this.check(p);
    const n = this.nodes.get(p);
    if (!n) throw new FormatError(this.target, p, "no such group or array");
    Object.assign(n.attrs, attrs);
  }

  /** The metadata documents of every node, keyed by their store key. */
  private metadataDocs(): Map<string, Record<string, unknown>> {
    const docs = new Map<string, Record<string, unknown>>();
    const paths = [...this.nodes.keys()].sort();
    for (const p of paths) {
      const n = this.nodes.get(p) as Node;
      const attrs = attrsToJson(n.attrs);
      const key = (k: string) => (p ? `${p}/${k}` : k);
      if (this.zarrFormat === 2) {
        if (n.kind === "group") docs.set(key(".zgroup"), { zarr_format: 2 });
        else if (n.records) {
          const r = n.records;
          docs.set(key(".zarray"), {
            ...v2ArrayJson(r.shape, [Math.max(1, r.shape[0])], "uint8", r.codecs),
            dtype: v2RecordDtype(r.fields),
            fill_value: v2RecordFill(r.size),
          });
        } else {
          const i = n.array?.info as ArrayInfo;
          docs.set(key(".zarray"), v2ArrayJson(i.shape, i.chunks as number[], i.dtype, n.array?.codecs ?? []));
        }
        docs.set(key(".zattrs"), attrs);
      } else if (n.kind === "group") {
        docs.set(key("zarr.json"), { attributes: attrs, zarr_format: 3, consolidated_metadata: null, node_type: "group" });
      } else if (n.records) {
        const r = n.records;
        docs.set(key("zarr.json"), {
          ...v3ArrayJson(r.shape, [Math.max(1, r.shape[0])], null, "uint8", r.codecs, attrs),
          data_type: v3StructType(r.fields),
          fill_value: v3StructFill(r.fields),
        });
      } else {
        const i = n.array?.info as ArrayInfo;
        docs.set(key("zarr.json"), v3ArrayJson(i.shape, i.chunks as number[], i.shards ?? null, i.dtype, n.array?.codecs ?? [], attrs));
      }
    }
    if (this.options.consolidated !== false) {
      if (this.zarrFormat === 2) {
        const metadata: Record<string, unknown> = {};
        for (const [k, d] of docs) metadata[k] = d;
        docs.set(".zmetadata", { metadata, zarr_consolidated_format: 1 });
      } else {
        // zarr-python 3: every descendant under its full path in the root; nested groups with an empty inline block.
        const metadata: Record<string, unknown> = {};
        for (const [k, d] of docs) {
          if (k === "zarr.json") continue;
          const p = k.slice(0, -"/zarr.json".length);
          metadata[p] = d.node_type === "group" ? { ...d, consolidated_metadata: { kind: "inline", must_understand: false, metadata: {} } } : d;
        }
        const root = docs.get("zarr.json") as Record<string, unknown>;
        docs.set("zarr.json", { ...root, consolidated_metadata: { kind: "inline", must_understand: false, metadata } });
      }
    }
    return docs;
  }

  async close(): Promise<void> {
    if (this.done) return;
    try {
      for (const n of this.nodes.values()) await n.array?.close();
      const docs = this.metadataDocs();
      await Promise.all([...docs].map(([k, d]) => this.sink.put(k, textEncoder.encode(stringifyJson(d)))));
      await this.sink.commit();
      this.done = true;
    } catch (e) {
      await this.abort();
      if (e instanceof FormatError) throw e;
      throw new FormatError(this.target, "", `cannot finish writing: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    for (const n of this.nodes.values()) await n.array?.abort();
    await this.sink.abort();
  }
}

interface ShardState {
  fh: Promise<KeyFile>;
  size: number;
  index: BigUint64Array;
  written: number;
  expected: number;
  writes: Promise<unknown>[];
  /** Settles once the chunk handed in last has reserved its range. */
  order: Promise<void>;
  /** Encoded chunks placed but not yet written, from offset `pendingAt`: written together (see SHARD_WRITE_BYTES). */
  pending: Uint8Array[];
  pendingAt: number;
  placed: number;
}

/**
 * A shard's inner chunks go to disk in writes of about this many bytes, not
 * one write each: a convert to Zarr v3 spent 770 ms of its main thread
 * dispatching 15,000 chunk writes of ~16 KB.
 */
const SHARD_WRITE_BYTES = 1 << 20;

/** Placed chunks of a shard written together: their bytes, from offset `at` of the shard. */
type ShardRun = { at: number; bytes: Uint8Array[] };

/**
 * Bytes placed in all open shards but not yet written. Rows handed in out of
 * row order (an extraction's spatial order) fill every shard a little at a
 * time, so the shard with the most waiting is written once the total passes
 * this (245 shards of 1 MiB waiting each would be 245 MB held).
 */
const UNWRITTEN_BYTES = 16 << 20;

/**
 * What a chunk waiting in an open shard holds besides its bytes (its
 * buffer's objects), counted against UNWRITTEN_BYTES so that many tiny
 * chunks are bounded too: 600,000 rows of 8-byte chunks in random order
 * held 411 MB while their bytes came to 5 MB.
 */
const WAITING_CHUNK_COST = 512;

/** A shard's waiting chunks as UNWRITTEN_BYTES counts them. */
const waitingCost = (st: ShardState) => st.size - st.pendingAt + WAITING_CHUNK_COST * st.pending.length;

class ZarrArrayWriter implements ArrayWriter {
  readonly unit: number[];
  private pending = new Set<Promise<void>>();
  private error: unknown = null;
  private shards = new Map<string, ShardState>();
  private closed = false;
  /** Encoded bytes placed in the open shards, not yet handed to a write, with WAITING_CHUNK_COST a chunk (UNWRITTEN_BYTES). */
  private unwritten = 0;
  /** The most that waited at once, counted so, and the most chunks (for tests). */
  mostUnwritten = 0;
  private waiting = 0;
  mostWaiting = 0;

  constructor(
    private readonly store: ZarrWriter,
    readonly info: ArrayInfo,
    readonly codecs: ByteCodec[],
  ) {
    // Shards are filled chunk by chunk (the index goes at the end), so the
    // write unit stays the chunk even for sharded arrays: memory stays small.
    this.unit = (info.chunks as number[]).slice();
  }

  private fail(problem: string): never {
    throw new FormatError(this.store.target, this.info.path, problem);
  }

  private chunkKey(idx: number[]): string {
    if (this.store.zarrFormat === 2) return idx.length === 0 ? "0" : idx.join(".");
    return idx.length === 0 ? "c" : `c/${idx.join("/")}`;
  }

  async setBlock(start: number[], block: NDArray): Promise<void> {
    if (this.error) throw this.error;
    if (this.closed) this.fail("setBlock after close");
    const { shape, dtype } = this.info;
    const chunks = this.unit;
    if (block.dtype !== dtype) this.fail(`block dtype ${block.dtype}, array dtype ${dtype}`);
    if (start.length !== shape.length || block.shape.length !== shape.length) this.fail(`block rank ${block.shape.length}, array rank ${shape.length}`);
    if (block.data.length !== product(block.shape)) this.fail(`block data has ${block.data.length} elements, shape ${JSON.stringify(block.shape)} needs ${product(block.shape)}`);
    for (let i = 0; i < shape.length; i++) {
      const end = start[i] + block.shape[i];
      if (start[i] % chunks[i] !== 0 || end > shape[i] || (end % chunks[i] !== 0 && end !== shape[i]) || start[i] < 0) {
        this.fail(`block at ${JSON.stringify(start)} of shape ${JSON.stringify(block.shape)} does not cover whole chunks ${JSON.stringify(chunks)} of ${JSON.stringify(shape)}`);
      }
    }
    const chunkElems = product(chunks);
    const bytes = dtype === "string" ? 16 * chunkElems : chunkElems * itemSize(dtype);
    const chunkIdx: number[][] = [];
    forEachChunk(start, block.shape, chunks, (idx) => chunkIdx.push(idx));
    for (const idx of chunkIdx) {
      const origin = idx.map((c, i) => c * chunks[i]);
      const count = origin.map((o, i) => Math.min(chunks[i], shape[i] - o));
      // Edge chunks are stored whole, padded with the fill value (zeros).
      const data = allocate(dtype, chunks).data;
      copyBlock(
        block.data,
        block.shape,
        origin.map((o, i) => o - start[i]),
        data,
        chunks,
        chunks.map(() => 0),
        count,
      );
      await this.schedule(idx, bytes, data);
    }
  }

  /**
   * The byte codecs of a chunk when a caller can run them itself, on its own
   * thread (encodeByteCodecsSync: no gzip / zstd inside), and hand chunks in
   * encoded with setEncodedBlock; null otherwise. A chunk's raw bytes are its
   * elements, little-endian, C order.
   */
  get chunkCodecs(): ByteCodec[] | null {
    if (this.info.dtype === "string" || !this.codecs.every(encodesSync)) return null;
    return this.codecs.map((c) => ({ ...c }));
  }

  /**
   * Chunks encoded by the caller with chunkCodecs: `bytes` holds the block's
   * chunks back to back in C order, `sizes` their lengths (`masks`, HDF5's
   * filter masks, must be 0). The block covers whole chunks as for setBlock;
   * `bytes` must stay unchanged until close.
   */
  async setEncodedBlock(start: number[], shape: number[], bytes: Uint8Array, sizes: ArrayLike<number>, masks: ArrayLike<number>): Promise<void> {
    if (this.error) throw this.error;
    if (this.closed) this.fail("setEncodedBlock after close");
    const chunkIdx: number[][] = [];
    forEachChunk(start, shape, this.unit, (idx) => chunkIdx.push(idx));
    if (chunkIdx.length !== sizes.length) this.fail(`encoded block of ${sizes.length} chunks, its shape ${JSON.stringify(shape)} covers ${chunkIdx.length}`);
    let at = 0;
    for (let k = 0; k < chunkIdx.length; k++) {
      if (masks[k] !== 0) this.fail(`encoded chunk ${k} has filter mask ${masks[k]}; Zarr chunks take every codec`);
      await this.schedule(chunkIdx[k], sizes[k], { encoded: bytes.subarray(at, at + sizes[k]) });
      at += sizes[k];
    }
  }

  /** Queues one chunk's write (raw data to encode here, or bytes already encoded), within the store's memory budget. */
  private async schedule(idx: number[], bytes: number, chunk: ChunkData | { encoded: Uint8Array }): Promise<void> {
    await letOthersRun();
    await this.store.acquire(bytes);
    if (this.error) {
      this.store.release(bytes);
      throw this.error;
    }
    const task = this.writeChunk(idx, chunk)
      .catch((e) => {
        this.error ??= e instanceof FormatError ? e : new FormatError(this.store.target, this.info.path, `chunk ${this.chunkKey(idx)}: ${e?.message ?? e}`, { cause: e });
      })
      .finally(() => {
        this.store.release(bytes);
        this.pending.delete(task);
      });
    this.pending.add(task);
  }

  /** `chunk`: elements to encode, or (from setEncodedBlock) the stored bytes. */
  private async writeChunk(idx: number[], chunk: ChunkData | { encoded: Uint8Array }): Promise<void> {
    const encode = async () => ("encoded" in chunk ? chunk.encoded : encodeChunk(chunk, this.codecs));
    const shards = this.info.shards;
    if (!shards) {
      const encoded = await encode();
      const key = this.chunkKey(idx);
      await this.store.sink.put(this.info.path ? `${this.info.path}/${key}` : key, encoded);
      return;
    }
    const chunks = this.unit;
    const grid = shardGrid(shards, chunks);
    const { shard: shardIdx, flat } = innerPlace(idx, grid.per);
    const key = this.chunkKey(shardIdx);
    let st = this.shards.get(key);
    if (!st) {
      const rel = `${this.info.path}/${key}`;
      const origin = shardIdx.map((s, i) => s * shards[i]);
      const expected = product(origin.map((o, i) => Math.ceil(Math.min(shards[i], this.info.shape[i] - o) / chunks[i])));
      const index = emptyShardIndex(grid.count);
      const fh = this.store.sink.open(rel);
      st = { fh, size: 0, index, written: 0, expected, writes: [], order: Promise.resolve(), pending: [], pendingAt: 0, placed: 0 };
      this.shards.set(key, st);
    }
    // Inner chunks take their place in the shard in the order they were handed
    // in, not the order their encoding finishes: the same input gives the same
    // shard bytes whatever the load or the number of codec threads.
    const previous = st.order;
    let reserved!: () => void;
    st.order = new Promise<void>((resolve) => {
      reserved = resolve;
    });
    let flush: { st: ShardState; run: ShardRun } | null = null;
    try {
      const encoded = await encode();
      await previous;
      const offset = st.size;
      st.size += encoded.length;
      st.index[2 * flat] = BigInt(offset);
      st.index[2 * flat + 1] = BigInt(encoded.length);
      // Placed in order: the pending chunks are one contiguous run of the shard.
      st.pending.push(encoded);
      this.unwritten += encoded.length + WAITING_CHUNK_COST;
      if (this.unwritten > this.mostUnwritten) this.mostUnwritten = this.unwritten;
      if (++this.waiting > this.mostWaiting) this.mostWaiting = this.waiting;
      // (at most 512 buffers a write: below the system's limit of buffers per writev)
      st.placed++;
      if (st.size - st.pendingAt >= SHARD_WRITE_BYTES || st.pending.length >= 512 || st.placed === st.expected) flush = { st, run: this.takePending(st) };
      else if (this.unwritten > UNWRITTEN_BYTES) flush = this.takeFullest();
    } finally {
      reserved();
    }
    if (flush) await this.writeRun(flush.st, flush.run);
    if (++st.written === st.expected) await this.finishShard(key, st);
  }

  /** The pending chunks of a shard and where they go; the shard starts a new run after them. */
  private takePending(st: ShardState): ShardRun {
    const run = { at: st.pendingAt, bytes: st.pending };
    this.unwritten -= waitingCost(st);
    this.waiting -= st.pending.length;
    st.pending = [];
    st.pendingAt = st.size;
    return run;
  }

  /** The pending chunks of the open shard with the most waiting (waitingCost). */
  private takeFullest(): { st: ShardState; run: ShardRun } | null {
    let fullest: ShardState | null = null;
    let most = 0;
    for (const st of this.shards.values()) {
      const cost = waitingCost(st);
      if (!fullest || cost > most) {
        fullest = st;
        most = cost;
      }
    }
    return fullest && fullest.pending.length > 0 ? { st: fullest, run: this.takePending(fullest) } : null;
  }

  /** Writes a run of a shard; the write is in st.writes at once (finishShard waits for every one). */
  private writeRun(st: ShardState, run: ShardRun): Promise<void> {
    // Keep only completion, not what a write resolves to: holding the buffers kept
    // every compressed chunk of an open shard in memory (805 MB peak for 655 MB written).
    const w = st.fh.then((fh) => fh.writev(run.bytes, run.at)).then(() => undefined);
    st.writes.push(w);
    return w;
  }

  /** Appends the index (sharding.ts) and closes the shard file. */
  private async finishShard(key: string, st: ShardState): Promise<void> {
    this.shards.delete(key);
    await st.order; // every chunk handed in has its place
    if (st.pending.length) await this.writeRun(st, this.takePending(st));
    await Promise.all(st.writes);
    const fh = await st.fh;
    await fh.write(encodeShardIndex(st.index), st.size);
    await fh.close();
  }

  async close(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
    if (this.error) throw this.error;
    for (const [key, st] of [...this.shards]) await this.finishShard(key, st);
    this.closed = true;
  }

  async abort(): Promise<void> {
    this.closed = true;
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    for (const st of this.shards.values()) await (await st.fh.catch(() => null))?.close();
    this.shards.clear();
  }
}

