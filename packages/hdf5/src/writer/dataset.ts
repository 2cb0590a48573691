// One dataset being written: its storage (a reserved contiguous region, or
// chunks appended through the shared queue and indexed by a v1 B-tree at
// close) and the object header messages that describe it.

import { utf8Strings } from "@cellfolio/codecs";
import { blockRuns, copyBox, copyElements, product, stridesOf } from "../box.js";
import { type EncodedChunk, encodeChunk, type H5Filter } from "../filters/registry.js";
import type { FilterPool, Sink } from "../platform.js";
import { buildBTree } from "./btree-v1.js";
import { type Bytes, UNDEF } from "./bytes.js";
import type { ChunkQueue } from "./chunk-queue.js";
import { ChunkRecords } from "./chunk-records.js";
import { encodeDataspace } from "./dataspace.js";
import { encodeDatatype, fixedStrings, type H5Type, typeSize } from "./datatype.js";
import { encodeFillValue } from "./fill-value.js";
import { encodeFilterPipeline } from "./filter-pipeline.js";
import { encodeDescriptors, packCollections } from "./global-heap.js";
import { encodeChunkedLayout, encodeContiguousLayout } from "./layout.js";
import { type Message, MSG } from "./object-header.js";

export interface DatasetOptions {
  shape: number[];
  type: H5Type;
  /** Chunk shape; omitted or null: contiguous storage (filters need chunks). */
  chunks?: number[] | null;
  /** Maximum shape (null = unlimited); chunked datasets only. Defaults to `shape`. */
  maxshape?: (number | null)[];
  /** Applied in order, e.g. [shuffle, deflate]. */
  filters?: H5Filter[];
}

/** Element data: raw little-endian values in any typed array, or strings for string types. */
export type ElementData = ArrayBufferView | readonly string[];

/** B-tree K for chunk indexes (the library default; superblock v0 cannot say otherwise). */
const CHUNK_K = 32;


export class DatasetWriter {
  readonly shape: number[];
  readonly type: H5Type;
  readonly chunks: number[] | null;
  readonly filters: H5Filter[];
  readonly elementSize: number;
  readonly maxshape?: (number | null)[];
  private readonly chunkGrid: number[] = [];
  private readonly records = new ChunkRecords();
  private contiguousAddress = UNDEF;
  private btreeAddress = UNDEF;

  constructor(
    readonly path: string,
    options: DatasetOptions,
    private readonly sink: Sink,
    private readonly queue: ChunkQueue,
    private readonly pool: () => FilterPool | null,
  ) {
    const { shape, type } = options;
    const where = `dataset /${path}`;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${where}: bad shape [${shape}]`);
    this.shape = shape.slice();
    this.type = type;
    this.elementSize = typeSize(type);
    this.filters = options.filters ?? [];
    this.maxshape = options.maxshape;
    const chunks = options.chunks ?? null;
    if (chunks === null) {
      if (this.filters.length > 0) throw new Error(`${where}: filters need a chunked layout`);
      if (options.maxshape?.some((m, i) => m !== shape[i])) throw new Error(`${where}: a maxshape other than the shape needs a chunked layout`);
      this.chunks = null;
      const bytes = product(shape) * this.elementSize;
      if (bytes > 0) this.contiguousAddress = sink.reserve(bytes);
    } else {
      if (chunks.length !== shape.length || shape.length === 0) throw new Error(`${where}: chunks [${chunks}] do not match shape [${shape}]`);
      if (options.maxshape && (options.maxshape.length !== shape.length || options.maxshape.some((m, i) => m !== null && m < shape[i])))
        throw new Error(`${where}: maxshape [${options.maxshape}] does not fit shape [${shape}]`);
      // HDF5: a chunk may not exceed a fixed-size (not unlimited) dimension's maximum
      const max = (i: number) => (options.maxshape ? options.maxshape[i] : shape[i]);
      if (!chunks.every((c, i) => Number.isInteger(c) && c >= 1 && (max(i) === null || c <= (max(i) as number))))
        throw new Error(`${where}: chunk dims [${chunks}] must be >= 1 and <= the fixed dims of [${shape}]`);
      if (product(chunks) * this.elementSize >= 2 ** 32) throw new Error(`${where}: chunks of 4 GiB or more`);
      this.chunks = chunks.slice();
      this.chunkGrid = shape.map((d, i) => Math.ceil(d / chunks[i]));
    }
  }

  /** The write unit for `write` (chunk shape, or the whole shape if contiguous). */
  get unit(): number[] {
    return this.chunks ?? this.shape;
  }

  /**
   * Writes a block at `start`. Chunked: the block must start on chunk
   * boundaries and end on them or at the dataset's edge. Contiguous: any box.
   */
  async write(start: readonly number[], shape: readonly number[], data: ElementData): Promise<void> {
    const rank = this.shape.length;
    const where = `dataset /${this.path}`;
    if (start.length !== rank || shape.length !== rank) throw new Error(`${where}: block of rank ${shape.length} for rank ${rank}`);
    for (let i = 0; i < rank; i++) {
      if (start[i] < 0 || start[i] + shape[i] > this.shape[i]) throw new Error(`${where}: block [${start}] + [${shape}] outside [${this.shape}]`);
    }
    const n = product(shape);
    this.checkData(data, n, where);
    if (n === 0) return;
    if (this.chunks === null) return this.writeContiguous(start, shape, data);
    const chunks = this.chunks;
    for (let i = 0; i < rank; i++) {
      const end = start[i] + shape[i];
      if (start[i] % chunks[i] !== 0 || (end % chunks[i] !== 0 && end !== this.shape[i]))
        throw new Error(`${where}: block [${start}] + [${shape}] is not aligned to chunks [${chunks}]`);
    }
    const first = start.map((s, i) => s / chunks[i]);
    const count = shape.map((s, i) => Math.ceil(s / chunks[i]));
    if (this.filters.length === 0 && !isStrings(data) && (await this.writeUnfilteredRun(first, count, shape, asBytes(data)))) return;
    const idx = new Array(rank).fill(0);
    for (;;) {
      const coords = first.map((f, i) => f + idx[i]);
      const origin = coords.map((c, i) => c * chunks[i]);
      const extent = origin.map((o, i) => Math.min(chunks[i], this.shape[i] - o));
      const from = origin.map((o, i) => o - start[i]);
      const run = contiguousRun(shape, from, extent, chunks);
      let chunkData: ElementData;
      let owned = true;
      if (run) {
        // the chunk is one run of the block's memory: a view, no gather
        owned = false;
        chunkData = isStrings(data) ? data.slice(run[0], run[0] + run[1]) : asBytes(data).subarray(run[0] * this.elementSize, (run[0] + run[1]) * this.elementSize);
      } else {
        const zero = new Array(rank).fill(0);
        if (isStrings(data)) {
          const out = new Array<string>(product(chunks)).fill("");
          copyElements(data, out, { srcShape: shape, srcStart: from, dstShape: chunks, dstStart: zero, count: extent });
          chunkData = out;
        } else {
          const out = new Uint8Array(product(chunks) * this.elementSize);
          copyBox(asBytes(data), out, { srcShape: shape, srcStart: from, dstShape: chunks, dstStart: zero, count: extent }, this.elementSize);
          chunkData = out;
        }
      }
      await this.placeChunk(coords, chunkData, owned);
      let a = rank - 1;
      while (a >= 0) {
        if (++idx[a] < count[a]) break;
        idx[a] = 0;
        a--;
      }
      if (a < 0) return;
    }
  }

  /**
   * Unfiltered chunks that follow each other in the block's memory, in chunk
   * order, are also consecutive in the file: one write straight from the
   * caller's buffer (no copy), awaited so the buffer is free on return.
   * False if the block is not laid out so.
   */
  private async writeUnfilteredRun(first: number[], count: number[], shape: readonly number[], bytes: Uint8Array): Promise<boolean> {
    const chunks = this.chunks!;
    const rank = chunks.length;
    const total = product(count);
    const chunkElems = product(chunks);
    if (total * chunkElems !== product(shape)) return false; // edge chunks are padded
    // chunk k (in C order over the block's chunks) starts at element k * chunkElems iff
    // chunks span the block on every axis after the last one they split, and are 1 before it
    let j = rank - 1;
    while (j >= 0 && chunks[j] === shape[j]) j--;
    for (let i = 0; i < j; i++) if (chunks[i] !== 1) return false;
    const address = this.sink.reserve(bytes.length);
    const strides = stridesOf(this.chunkGrid);
    const chunkBytes = chunkElems * this.elementSize;
    const idx = new Array(rank).fill(0);
    for (let k = 0; k < total; k++) {
      const coords = first.map((f, i) => f + idx[i]);
      const linear = coords.reduce((s, c, i) => s + c * strides[i], 0);
      this.records.add(linear, address + k * chunkBytes, chunkBytes, 0);
      for (let b = rank - 1; b >= 0; b--) {
        if (++idx[b] < count[b]) break;
        idx[b] = 0;
      }
    }
    await this.sink.writeNow(address, bytes);
    return true;
  }

  /**
   * Writes a block whose chunks the caller already ran through this dataset's
   * filters (encodeChunkSync, e.g. in the worker thread that made the data):
   * `bytes` holds them back to back in C order over the block's chunks,
   * `sizes[k]` / `masks[k]` are chunk k's encoded length and filter mask. The
   * writer only appends and indexes them: one copy into the file buffer, no
   * encoding queue. Keep `bytes` unchanged (a large block is written from place).
   */
  async writeEncoded(start: readonly number[], shape: readonly number[], bytes: Uint8Array, sizes: ArrayLike<number>, masks: ArrayLike<number>): Promise<void> {
    const chunks = this.chunks;
    const where = `dataset /${this.path}`;
    if (!chunks) throw new Error(`${where}: encoded chunks for a contiguous dataset`);
    const rank = chunks.length;
    if (start.length !== rank || shape.length !== rank) throw new Error(`${where}: block of rank ${shape.length} for rank ${rank}`);
    for (let i = 0; i < rank; i++) {
      const end = start[i] + shape[i];
      if (start[i] < 0 || end > this.shape[i]) throw new Error(`${where}: block [${start}] + [${shape}] outside [${this.shape}]`);
      if (start[i] % chunks[i] !== 0 || (end % chunks[i] !== 0 && end !== this.shape[i]))
        throw new Error(`${where}: block [${start}] + [${shape}] is not aligned to chunks [${chunks}]`);
    }
    const first = start.map((s, i) => s / chunks[i]);
    const count = shape.map((s, i) => Math.ceil(s / chunks[i]));
    const total = product(count);
    if (sizes.length !== total || masks.length !== total) throw new Error(`${where}: ${sizes.length} chunk sizes for a block of ${total} chunks`);
    let sum = 0;
    for (let k = 0; k < total; k++) sum += sizes[k];
    if (sum !== bytes.length) throw new Error(`${where}: encoded chunk sizes add up to ${sum} bytes, but ${bytes.length} were given`);
    // after the chunks still being encoded by the queue: the file stays in submission order
    await this.queue.idle();
    let address = this.sink.append(bytes);
    const strides = stridesOf(this.chunkGrid);
    const idx = new Array(rank).fill(0);
    for (let k = 0; k < total; k++) {
      const coords = first.map((f, i) => f + idx[i]);
      const linear = coords.reduce((s, c, i) => s + c * strides[i], 0);
      this.records.add(linear, address, sizes[k], masks[k]);
      address += sizes[k];
      for (let b = rank - 1; b >= 0; b--) {
        if (++idx[b] < count[b]) break;
        idx[b] = 0;
      }
    }
    await this.sink.backpressure();
  }

  /**
   * Packs records of a compound dataset from one column per member (in the
   * type's member order; typed arrays of the member's raw little-endian
   * values, strings for string members), for `write` / `writeChunk`. Strings
   * of variable-length members go to the global heap now.
   */
  packRecords(columns: readonly (ArrayBufferView | readonly string[])[]): Uint8Array {
    const t = this.type;
    const where = `dataset /${this.path}`;
    if (t.class !== "compound") throw new Error(`${where}: records for a ${t.class} dataset`);
    if (columns.length !== t.members.length) throw new Error(`${where}: ${columns.length} columns for ${t.members.length} members`);
    const n = columns.length ? (isStrings(columns[0]) ? columns[0].length : columns[0].byteLength / typeSize(t.members[0].type)) : 0;
    const out = new Uint8Array(n * t.size);
    t.members.forEach((m, k) => {
      const size = typeSize(m.type);
      const col = columns[k];
      const strings = isStrings(col);
      if (strings !== (m.type.class === "vlen-string" || m.type.class === "fixed-string"))
        throw new Error(`${where}: member ${m.name}: ${strings ? "strings" : "a typed array"} given for ${m.type.class} values`);
      if ((strings ? col.length : col.byteLength / size) !== n) throw new Error(`${where}: member ${m.name} has a different length than the first`);
      let bytes: Uint8Array;
      if (!strings) bytes = asBytes(col);
      else {
        const utf8 = utf8Strings(col);
        if (m.type.class === "vlen-string") {
          const heap = packCollections(utf8);
          bytes = encodeDescriptors(utf8, heap, heap.collections.map((c) => this.sink.append(c)));
        } else bytes = fixedStrings(utf8, size, `${where}: member ${m.name}`);
      }
      for (let i = 0; i < n; i++) out.set(bytes.subarray(i * size, (i + 1) * size), i * t.size + m.offset);
    });
    return out;
  }

  /** Writes one whole chunk (edge chunks too hold a full chunk's elements). */
  writeChunk(coords: readonly number[], data: ElementData): Promise<void> {
    return this.placeChunk(coords, data, false);
  }

  /** `owned`: the data is a private copy (else copied, as the caller may reuse its buffer). */
  private async placeChunk(coords: readonly number[], data: ElementData, owned: boolean): Promise<void> {
    const chunks = this.chunks;
    const where = `dataset /${this.path}`;
    if (!chunks) throw new Error(`${where}: writeChunk on a contiguous dataset`);
    if (coords.length !== chunks.length || coords.some((c, i) => !(c >= 0 && c < this.chunkGrid[i]))) throw new Error(`${where}: no chunk [${coords}]`);
    this.checkData(data, product(chunks), where);
    // the caller may reuse its buffer once we return: copy, unless appended right now (no filters)
    const raw = owned || isStrings(data) || this.filters.length === 0 ? this.rawBytes(data) : asBytes(data as ArrayBufferView).slice();
    const strides = stridesOf(this.chunkGrid);
    const linear = coords.reduce((s, c, i) => s + c * strides[i], 0);
    const record = (address: number, chunk: EncodedChunk) => {
      this.records.add(linear, address, chunk.bytes.length, chunk.mask);
    };
    if (this.filters.length === 0) {
      // nothing to compute: append now (the sink copies it), no queue round trip
      record(this.sink.append(raw), { bytes: raw, mask: 0 });
      await this.sink.backpressure();
      return;
    }
    // filters run in worker threads (deflateSync there costs what zlib costs in C;
    // the async zlib API spends about as much again on the main thread per chunk)
    const pool = this.pool();
    const encoded = pool ? pool.encode(raw, this.filters, this.elementSize) : encodeChunk(raw, this.filters, this.elementSize);
    await this.queue.push(encoded, record, raw.byteLength);
  }

  private checkData(data: ElementData, n: number, where: string): void {
    const strings = isStrings(data);
    const wantStrings = this.type.class === "vlen-string" || (this.type.class === "fixed-string" && strings);
    if (strings !== wantStrings) throw new Error(`${where}: ${strings ? "strings" : "a typed array"} given for ${this.type.class} elements`);
    const got = strings ? data.length : data.byteLength / this.elementSize;
    if (got !== n) throw new Error(`${where}: ${got} elements given for a block of ${n}`);
  }

  /** Element bytes as stored; vlen strings are appended to the global heap here. */
  private rawBytes(data: ElementData): Uint8Array {
    if (!isStrings(data)) return asBytes(data);
    const strings = utf8Strings(data);
    if (this.type.class === "fixed-string") return fixedStrings(strings, this.elementSize, `dataset /${this.path}`);
    const heap = packCollections(strings);
    return encodeDescriptors(strings, heap, heap.collections.map((c) => this.sink.append(c)));
  }

  private async writeContiguous(start: readonly number[], shape: readonly number[], data: ElementData): Promise<void> {
    const raw = this.rawBytes(data);
    const size = this.elementSize;
    for (const [offset, blockOffset, run] of blockRuns(this.shape, start, shape)) {
      this.sink.writeAt(this.contiguousAddress + offset * size, raw.subarray(blockOffset * size, (blockOffset + run) * size));
    }
    await this.sink.backpressure();
  }

  /**
   * Appends the chunk B-tree to the file (after all chunks are placed),
   * streamed node by node: the nodes of millions of chunks are never all in
   * memory (they were ~57 bytes a chunk, twice, at close).
   */
  async writeIndex(): Promise<void> {
    const sink = this.sink;
    if (!this.chunks || this.records.count === 0) return;
    const chunks = this.chunks;
    const grid = this.chunkGrid;
    const rank = chunks.length;
    const records = this.records;
    const order = records.order();
    const m = order.length;
    const offsets = new Array<number>(rank);
    const chunkOffsets = (linear: number) => {
      for (let i = rank - 1; i >= 0; i--) {
        offsets[i] = (linear % grid[i]) * chunks[i];
        linear = Math.floor(linear / grid[i]);
      }
      return offsets;
    };
    this.btreeAddress = await buildBTree(
      {
        type: 1,
        maxChildren: 2 * CHUNK_K,
        keySize: 8 + 8 * (rank + 1),
        // key k: chunk k of `order` (m: the end key after the last chunk)
        writeKey: (out: Bytes, k: number) => {
          const r = order[Math.min(k, m - 1)];
          const o = chunkOffsets(records.linearOf(r));
          if (k === m) {
            out.u32(0).u32(0);
            o[rank - 1] += chunks[rank - 1];
          } else out.u32(records.sizeOf(r)).u32(records.maskOf(r));
          for (const v of o) out.u64(v);
          out.u64(0);
        },
      },
      m,
      (i) => records.addressOf(order[i]),
      (bytes) => sink.append(bytes),
      () => sink.backpressure(),
    );
  }

  /** Dataspace, datatype, fill value, filter pipeline, layout (h5py's order). */
  messages(): Message[] {
    const chunked = this.chunks !== null;
    const out: Message[] = [
      { type: MSG.dataspace, body: encodeDataspace(this.shape, chunked ? this.maxshape : undefined) },
      { type: MSG.datatype, flags: 1, body: encodeDatatype(this.type) },
      { type: MSG.fillValue, flags: 1, body: encodeFillValue(chunked, this.type.class === "vlen-string" || (this.type.class === "compound" && this.type.members.some((m) => m.type.class === "vlen-string"))) },
    ];
    if (this.chunks) {
      const chunkBytes = product(this.chunks) * this.elementSize;
      if (this.filters.length) out.push({ type: MSG.filterPipeline, flags: 1, body: encodeFilterPipeline(this.filters, this.elementSize, chunkBytes) });
      out.push({ type: MSG.layout, body: encodeChunkedLayout(this.btreeAddress, this.chunks, this.elementSize) });
    } else {
      out.push({ type: MSG.layout, body: encodeContiguousLayout(this.contiguousAddress, product(this.shape) * this.elementSize) });
    }
    return out;
  }
}

/**
 * If the box `from`/`extent` of a C-order block is a full chunk lying in one
 * run of the block's memory, its [element offset, length]; else null.
 */
function contiguousRun(blockShape: readonly number[], from: readonly number[], extent: readonly number[], chunks: readonly number[]): [number, number] | null {
  if (!extent.every((e, i) => e === chunks[i])) return null;
  const rank = blockShape.length;
  let a = 0;
  while (a < rank - 1 && extent[a] === 1) a++;
  for (let b = a + 1; b < rank; b++) if (extent[b] !== blockShape[b]) return null;
  const strides = stridesOf(blockShape);
  let offset = 0;
  for (let i = 0; i < rank; i++) offset += from[i] * strides[i];
  return [offset, product(extent)];
}

function isStrings(d: ElementData): d is readonly string[] {
  return Array.isArray(d);
}

function asBytes(d: ArrayBufferView): Uint8Array {
  return d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
