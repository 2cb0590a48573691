// One batch of cells of one band: what a worker thread (or the main thread,
// with threads: 0) runs. Cells travel as a CellTable's Float64Array, CELL_FIELDS
// numbers each, so a task message is one copy, not an array of objects.

import { kernels } from "@cellfolio/codecs";
import { type ByteCodec, encodeByteCodecsSync, encodeChunkSync, type H5Filter } from "@cellfolio/format";
import { createScratch, extractCell, type KernelChoice, type Scratch, type Window } from "./extract-cell.js";
import { CELL_FIELDS, type CellInfo, CellTable } from "./kernels/cells.js";
import { emptyRect } from "./kernels/rect.js";
import type { ExtractionParams } from "./presets.js";

/**
 * Extracts the packed cells of a batch, cell k into the stack `stackOf(k)`
 * gives (its float16 values), then `done(k, stack)`; returns 1 per cell whose
 * id is not in the cytosol mask.
 */
export function extractBatch(
  win: Window,
  packed: Float64Array,
  params: ExtractionParams,
  scratch: Scratch,
  stackOf: (k: number) => Uint16Array,
  done?: (k: number, stack: Uint16Array) => void,
): Uint8Array {
  const n = packed.length / CELL_FIELDS;
  const missing = new Uint8Array(n);
  const cells = new CellTable(packed);
  const cell = {} as CellInfo;
  const box = emptyRect();
  for (let k = 0; k < n; k++) {
    const stack = stackOf(k);
    if (extractCell(win, cells.get(k, cell, box), params, scratch, stack).cytosolMissing) missing[k] = 1;
    done?.(k, stack);
  }
  return missing;
}

/** A result buffer of `bytes` bytes: a view of `reuse` when that is large enough (no allocation). */
export function resultBuffer(bytes: number, reuse?: ArrayBuffer): Uint16Array {
  return reuse && reuse.byteLength >= bytes ? new Uint16Array(reuse, 0, bytes / 2) : new Uint16Array(bytes / 2);
}

/**
 * Chunk encoding done where the stacks are made (the extraction worker), so
 * the main thread only places finished chunks: the HDF5 dataset's filter
 * pipeline, run on each (S, S) plane of every stack, or a Zarr array's byte
 * codecs, run on each stack (one chunk a cell).
 */
export interface ChunkEncoding {
  /** HDF5 filters, or (`codecs`) Zarr byte codecs that encode synchronously. */
  filters?: H5Filter[];
  codecs?: ByteCodec[];
  /** Bytes per element (2: float16). */
  elementSize: number;
  /** Elements per chunk: a stack is stackLength / chunkElements chunks. */
  chunkElements: number;
}

/** Where a chunk's Zarr codecs write (encodeRow copies each chunk's bytes at once), grown to the largest chunk. */
let encoded = new Uint8Array(0);

/** One chunk encoded; its bytes may be a scratch buffer the next call overwrites (HDF5's pipeline keeps its own). */
function encodeOne(chunk: Uint8Array, enc: ChunkEncoding): { bytes: Uint8Array; mask: number } {
  if (!enc.codecs) return encodeChunkSync(chunk, enc.filters ?? [], enc.elementSize);
  // room for an incompressible chunk's frame: blosc adds 16 bytes and 8 a block
  if (encoded.length < chunk.length + 4096) encoded = new Uint8Array(chunk.length + 4096);
  const bytes = encodeByteCodecsSync(enc.codecs, chunk, encoded);
  if (!bytes) throw new Error(`chunk codecs ${JSON.stringify(enc.codecs)} do not all encode on this thread`);
  return { bytes, mask: 0 };
}

/**
 * An encoded row is one self-contained record (so the row queue can hold or
 * spill it as a unit): per chunk a u32 LE encoded size, then per chunk a u8
 * filter mask, then the chunks back to back.
 */
export interface EncodedRow {
  bytes: Uint8Array;
  sizes: Uint32Array;
  masks: Uint8Array;
}

export function parseEncodedRow(record: Uint8Array, chunks: number): EncodedRow {
  const sizes = new Uint32Array(chunks);
  const masks = new Uint8Array(chunks);
  for (let k = 0; k < chunks; k++) {
    const o = 4 * k;
    sizes[k] = (record[o] | (record[o + 1] << 8) | (record[o + 2] << 16) | (record[o + 3] << 24)) >>> 0;
    masks[k] = record[4 * chunks + k];
  }
  return { bytes: record.subarray(5 * chunks), sizes, masks };
}

/** Growable scratch of the encoded rows (one per thread); `at`: bytes used. */
export interface EncodeScratch {
  buf: Uint8Array;
  at: number;
}

/** Appends the record (see EncodedRow) of one stack, `raw` (its bytes), to the scratch. */
function encodeRow(raw: Uint8Array, enc: ChunkEncoding, scratch: EncodeScratch): void {
  const chunkBytes = enc.chunkElements * enc.elementSize;
  const chunks = raw.length / chunkBytes;
  const room = (bytes: number) => {
    if (scratch.at + bytes <= scratch.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * scratch.buf.length, scratch.at + bytes));
    grown.set(scratch.buf.subarray(0, scratch.at));
    scratch.buf = grown;
  };
  room(5 * chunks);
  const header = scratch.at;
  scratch.at += 5 * chunks;
  for (let c = 0; c < chunks; c++) {
    const e = encodeOne(raw.subarray(c * chunkBytes, (c + 1) * chunkBytes), enc);
    const size = e.bytes.length;
    room(size);
    const buf = scratch.buf;
    buf.set(e.bytes, scratch.at);
    scratch.at += size;
    const o = header + 4 * c;
    buf[o] = size & 0xff;
    buf[o + 1] = (size >>> 8) & 0xff;
    buf[o + 2] = (size >>> 16) & 0xff;
    buf[o + 3] = size >>> 24;
    buf[header + 4 * chunks + c] = e.mask;
  }
}

/**
 * Extracts the packed cells of a batch and encodes each stack as its record,
 * into one exact buffer (row k's record at offsets[k]..offsets[k + 1]). Each
 * stack is written straight into the codecs' WebAssembly memory (kernels().stage)
 * and compressed from there, chunk by chunk: not copied out and in again.
 */
export function extractEncodedBatch(
  win: Window,
  packed: Float64Array,
  params: ExtractionParams,
  scratch: Scratch,
  stackLength: number,
  enc: ChunkEncoding,
  records: EncodeScratch,
): Required<Omit<BatchResult, "out">> {
  const n = packed.length / CELL_FIELDS;
  const offsets = new Uint32Array(n + 1);
  const codecs = kernels();
  records.at = 0;
  const stackOf = () => {
    const staged = codecs.stage(stackLength * 2);
    return new Uint16Array(staged.buffer, staged.byteOffset, stackLength);
  };
  const missing = extractBatch(win, packed, params, scratch, stackOf, (k, stack) => {
    offsets[k] = records.at;
    encodeRow(new Uint8Array(stack.buffer, stack.byteOffset, stack.byteLength), enc, records);
  });
  offsets[n] = records.at;
  return { records: records.buf.slice(0, records.at), offsets, missing };
}

/** What a cell thread is sent: its settings once, the bands of the slide (shared memory), batches of cells. */
export type CellRequest =
  | {
      type: "init";
      params: ExtractionParams;
      nChannels: number;
      stackLength: number;
      encoding?: ChunkEncoding;
      kernels: KernelChoice;
      /** Bytes of the channel planes of the largest band window: kept in the kernels' memory (Scratch.loadWindow). */
      windowBytes?: number;
    }
  | { type: "band"; band: number; win: Window }
  | { type: "release"; band: number }
  | { type: "task"; band: number; cells: Float64Array; out?: ArrayBuffer };

export interface BatchResult {
  /** stackLength float16 values per cell, batch order (without an encoding). */
  out?: Uint16Array;
  /** With an encoding: the cells' encoded rows (EncodedRow), cell k at offsets[k]..offsets[k + 1]. */
  records?: Uint8Array;
  offsets?: Uint32Array;
  /** 1 where the cell's id is missing from the cytosol mask. */
  missing: Uint8Array;
}

/**
 * One thread's cell work, the same on the calling thread (threads: 0) and in
 * each worker (worker.ts): the bands it holds and one scratch. With a chunk
 * encoding it compresses the stacks where they are made and hands back only
 * the encoded rows.
 */
export class CellThread {
  private readonly bands = new Map<number, Window>();
  private readonly scratch: Scratch;
  private readonly encodeScratch: EncodeScratch = { buf: new Uint8Array(1 << 20), at: 0 };
  /** The band whose channels are in the kernels' memory (one at a time: batches come band after band), and its window there. */
  private loaded = -1;
  private loadedWin: Window | null = null;

  constructor(private readonly init: Extract<CellRequest, { type: "init" }>) {
    this.scratch = createScratch(init.params, init.nChannels, init.kernels, init.windowBytes ?? 0);
  }

  /** A band, a release or a batch (whose result this returns; `out`: a buffer to reuse for it). */
  handle(msg: Exclude<CellRequest, { type: "init" }>): BatchResult | undefined {
    if (msg.type === "band") this.bands.set(msg.band, msg.win);
    else if (msg.type === "release") {
      this.bands.delete(msg.band);
      if (msg.band === this.loaded) {
        this.loaded = -1;
        this.loadedWin = null;
      }
    } else {
      const shared = this.bands.get(msg.band);
      if (!shared) throw new Error(`band ${msg.band} not set`);
      if (msg.band !== this.loaded) {
        this.loadedWin = this.scratch.loadWindow(shared);
        this.loaded = msg.band;
      }
      const win = this.loadedWin as Window;
      const { params, stackLength, encoding } = this.init;
      if (encoding) return extractEncodedBatch(win, msg.cells, params, this.scratch, stackLength, encoding, this.encodeScratch);
      const n = msg.cells.length / CELL_FIELDS;
      const out = resultBuffer(n * stackLength * 2, msg.out);
      return { out, missing: extractBatch(win, msg.cells, params, this.scratch, (k) => out.subarray(k * stackLength, (k + 1) * stackLength)) };
    }
  }
}
