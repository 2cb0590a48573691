// The chunk index of a chunked dataset: every allocated chunk's coordinates,
// file offset, stored size and filter mask, whichever index the layout uses
// (v1 B-tree for layout v3; single chunk, implicit, fixed array, extensible
// array or v2 B-tree for layout v4).
import { chunkRecords, forEachChunkRecord } from "./btree-v1.js";
import { readBTree2, recordCursor } from "./btree-v2.js";
import type { FileContext } from "./context.js";
import { UNDEFINED } from "./cursor.js";
import { readExtensibleArray } from "./extensible-array.js";
import { readFixedArray } from "./fixed-array.js";
import type { Layout } from "./messages.js";

export interface ChunkInfo {
  /** Element offsets of the chunk's first element (h5py's `chunk_offset`). */
  offset: number[];
  /** Absolute file offset of the stored chunk (h5py's `byte_offset`). */
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was not applied to this chunk. */
  filterMask: number;
}

type ChunkedLayout = Extract<Layout, { class: "chunked" }>;

export interface IndexInput {
  layout: ChunkedLayout;
  dims: number[];
  maxDims: number[];
  elementSize: number;
}

/** Chunks per dimension over the maximum dims (unlimited: over the current dims); the index linearises over these. */
function maxChunks(input: IndexInput): number[] {
  const { layout, dims, maxDims } = input;
  return dims.map((d, i) => Math.ceil((maxDims[i] === UNDEFINED ? d : maxDims[i]) / layout.chunk[i]));
}

/** Element offsets of the chunk with linear index `idx` over `grid` (dimension order `order`). */
function unlinearize(idx: number, grid: number[], order: number[], chunk: number[]): number[] {
  const out = new Array(grid.length).fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    const d = order[k];
    const n = k === 0 ? Number.POSITIVE_INFINITY : grid[d];
    const s = k === 0 ? idx : idx % n;
    idx = k === 0 ? 0 : Math.floor(idx / n);
    out[d] = s * chunk[d];
  }
  return out;
}

function inside(offset: number[], dims: number[]): boolean {
  return offset.every((o, i) => o < dims[i]);
}

export async function readChunkIndex(
  ctx: FileContext,
  input: IndexInput,
  path: string,
  range?: { first: number[]; last: number[] },
): Promise<ChunkInfo[]> {
  const { layout, dims, elementSize } = input;
  const rank = dims.length;
  const chunkBytes = layout.chunk.reduce((a, b) => a * b, 1) * elementSize;
  const abs = (a: number) => ctx.base + a;
  if (layout.address === UNDEFINED) return [];
  return ctx.guard(path, `chunk index (${layout.index})`, async () => {
    let out: ChunkInfo[];
    switch (layout.index) {
      case "btree-v1": {
        const recs = await chunkRecords(ctx, layout.address, rank, path, range);
        // the records become the ChunkInfos (same fields; no second object per chunk)
        for (const r of recs) r.address = abs(r.address);
        out = recs;
        break;
      }
      case "single":
        out = [
          {
            offset: new Array(rank).fill(0),
            address: abs(layout.address),
            size: layout.singleFilteredSize ?? chunkBytes,
            filterMask: layout.singleFilterMask ?? 0,
          },
        ];
        break;
      case "implicit": {
        const grid = maxChunks(input);
        const order = grid.map((_, i) => i);
        const n = grid.reduce((a, b) => a * b, 1);
        out = [];
        for (let i = 0; i < n; i++) {
          const offset = unlinearize(i, grid, order, layout.chunk);
          if (inside(offset, dims)) out.push({ offset, address: abs(layout.address + i * chunkBytes), size: chunkBytes, filterMask: 0 });
        }
        break;
      }
      case "fixed-array":
      case "extensible-array": {
        const entries =
          layout.index === "fixed-array"
            ? await readFixedArray(ctx, layout.address, path)
            : await readExtensibleArray(ctx, layout.address, path);
        const grid = maxChunks(input);
        let order = grid.map((_, i) => i);
        if (layout.index === "extensible-array") {
          const unlim = input.maxDims.indexOf(UNDEFINED);
          if (unlim > 0) order = [unlim, ...order.filter((d) => d !== unlim)];
        }
        out = [];
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i];
          if (e === null || e.address === UNDEFINED) continue;
          const offset = unlinearize(i, grid, order, layout.chunk);
          out.push({ offset, address: abs(e.address), size: e.size ?? chunkBytes, filterMask: e.filterMask ?? 0 });
        }
        break;
      }
      case "btree-v2": {
        const tree = await readBTree2(ctx, layout.address, path);
        out = tree.records.map((r) => {
          const c = recordCursor(ctx, r);
          const address = c.addr();
          let size = chunkBytes;
          let filterMask = 0;
          if (tree.type === 11) {
            size = c.uint(tree.recordSize - ctx.offsetSize - 4 - 8 * rank);
            filterMask = c.u32();
          }
          const offset: number[] = [];
          for (let d = 0; d < rank; d++) offset.push(c.u64() * layout.chunk[d]);
          return { offset, address: abs(address), size, filterMask };
        });
        break;
      }
    }
    for (const ch of out) {
      if (ch.address + ch.size > ctx.fileSize) {
        throw ctx.error(path, `chunk at [${ch.offset.join(", ")}] (address ${ch.address}, ${ch.size} bytes) is past the end of the file (${ctx.fileSize} bytes)`);
      }
    }
    if (!sortedByOffset(out, rank)) out.sort((a, b) => {
      for (let d = 0; d < rank; d++) if (a.offset[d] !== b.offset[d]) return a.offset[d] - b.offset[d];
      return 0;
    });
    return out;
  });
}

/** Whether the chunks are already in C order of their offsets (a B-tree's leaves mostly come so). */
function sortedByOffset(list: ChunkInfo[], rank: number): boolean {
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1].offset;
    const b = list[i].offset;
    let d = 0;
    while (d < rank && a[d] === b[d]) d++;
    if (d < rank && a[d] > b[d]) return false;
  }
  return true;
}

/** Lookups of chunks by linear chunk number (C order over the chunk grid). */
export interface ChunkLookup {
  get(key: number): ChunkInfo | undefined;
}

/**
 * A v1 B-tree chunk index held in typed arrays by chunk number (16 bytes a
 * chunk, no object per chunk: an index of 250,000 chunks is 4 MB and costs
 * the garbage collector nothing). ChunkInfos are made on lookup.
 */
export class DenseChunkIndex implements ChunkLookup {
  private constructor(
    private readonly grid: number[],
    private readonly chunk: number[],
    /** Absolute file offset, -1 where the chunk is not allocated. */
    private readonly address: Float64Array,
    private readonly size: Uint32Array,
    private readonly mask: Uint32Array,
  ) {}

  /** Grids larger than this many chunks keep the list of objects instead. */
  static readonly MAX_CHUNKS = 1 << 24;

  static async read(ctx: FileContext, input: IndexInput, path: string): Promise<DenseChunkIndex | null> {
    const { layout, dims } = input;
    if (layout.index !== "btree-v1") return null;
    const rank = dims.length;
    const grid = dims.map((d, i) => Math.ceil(d / layout.chunk[i]));
    const n = grid.reduce((a, b) => a * b, 1);
    if (n > DenseChunkIndex.MAX_CHUNKS) return null;
    const address = new Float64Array(n).fill(-1);
    const size = new Uint32Array(n);
    const mask = new Uint32Array(n);
    if (layout.address !== UNDEFINED) {
      await ctx.guard(path, "chunk index (btree-v1)", () =>
        forEachChunkRecord(ctx, layout.address, rank, path, (offset, addr, bytes, filterMask) => {
          let key = 0;
          for (let d = 0; d < rank; d++) {
            const c = offset[d] / layout.chunk[d];
            // (beyond the current shape: a dataset shrunk after writing; never read)
            if (c >= grid[d] || !Number.isInteger(c)) return;
            key = key * grid[d] + c;
          }
          const a = ctx.base + addr;
          if (a + bytes > ctx.fileSize) {
            throw ctx.error(path, `chunk at [${offset.join(", ")}] (address ${a}, ${bytes} bytes) is past the end of the file (${ctx.fileSize} bytes)`);
          }
          address[key] = a;
          size[key] = bytes;
          mask[key] = filterMask;
        }),
      );
    }
    return new DenseChunkIndex(grid, layout.chunk, address, size, mask);
  }

  get(key: number): ChunkInfo | undefined {
    const a = this.address[key];
    if (a === undefined || a < 0) return undefined;
    const offset: number[] = new Array(this.grid.length);
    let k = key;
    for (let d = this.grid.length - 1; d >= 0; d--) {
      offset[d] = (k % this.grid[d]) * this.chunk[d];
      k = Math.floor(k / this.grid[d]);
    }
    return { offset, address: a, size: this.size[key], filterMask: this.mask[key] };
  }

  /** Every allocated chunk, in chunk-coordinate order. */
  list(): ChunkInfo[] {
    const out: ChunkInfo[] = [];
    for (let k = 0; k < this.address.length; k++) if (this.address[k] >= 0) out.push(this.get(k)!);
    return out;
  }
}
