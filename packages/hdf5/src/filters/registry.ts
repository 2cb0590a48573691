// HDF5's filters by id, each with its decode and (for those the writer
// writes) its encode, and the two pipelines that run them: a stored chunk
// decoded last filter first, skipping those its filter mask marks as not
// applied; a raw chunk encoded first filter first. Every step is synchronous;
// deflate also has an asynchronous form (in Node on zlib's threadpool), which
// only the asynchronous drivers use. The calling thread and the worker
// threads (node/decode-worker.ts, node/filter-worker.ts) run this same module.

import { deflate, deflateBound, deflateSync, inflate, inflateSync, lzfCompress, lzfDecode, shuffleBytes, unshuffle } from "@cellfolio/codecs";
import type { Filter } from "../reader/messages.js";
import { checkFletcher32 } from "./decode-fletcher32.js";

/**
 * A filter of a dataset's pipeline, as the writer is given it. Deflate's `strategy` is the encoder's
 * business only (not stored; every inflate reads it): "rle" finds runs of a
 * repeated byte only, faster than level 1's string matching and, on images
 * with large zero areas, about as small.
 */
export type H5Filter = { id: "shuffle" } | { id: "deflate"; level: number; strategy?: "default" | "rle" } | { id: "lzf" };

interface DecodeStep {
  /** The filter's client data, as stored. */
  values: number[];
  rawSize: number;
  elementSize: number;
  /** Where the step may write its output (of its size), when it is the last one undone. */
  into?: Uint8Array;
}

interface EncodeStep {
  elementSize: number;
  /** Whether the output may be a scratch buffer the next chunk overwrites (the synchronous pipeline). */
  scratch: boolean;
}

interface FilterEntry {
  name: string;
  decode?(buf: Uint8Array, s: DecodeStep): Uint8Array;
  decodeAsync?(buf: Uint8Array, s: DecodeStep): Promise<Uint8Array>;
  /** null: an optional filter that does not apply to this chunk (its bit is set in the chunk's mask, as HDF5 does). */
  encode?(buf: Uint8Array, f: H5Filter, s: EncodeStep): Uint8Array | null;
  encodeAsync?(buf: Uint8Array, f: H5Filter): Promise<Uint8Array>;
  /** The client data the writer stores in the pipeline message (as h5py writes it). */
  clientData?(f: H5Filter, elementSize: number, chunkBytes: number): number[];
}

/** Scratch of the synchronous encoder: reused chunk after chunk (no per-chunk allocation for shuffle / lzf). */
let shuffled = new Uint8Array(0);
let lzfOut = new Uint8Array(0);
let deflated = new Uint8Array(0);

const FILTERS: Record<number, FilterEntry> = {
  1: {
    name: "deflate",
    decode: (buf, s) => inflateSync(buf, "zlib", s.rawSize),
    decodeAsync: (buf, s) => inflate(buf, "zlib", s.rawSize),
    encode: (buf, f, s) => {
      if (!s.scratch) return deflateSync(buf, "zlib", deflateOptions(f));
      if (deflated.length < deflateBound(buf.length)) deflated = new Uint8Array(deflateBound(buf.length));
      return deflateSync(buf, "zlib", { ...deflateOptions(f), into: deflated });
    },
    encodeAsync: (buf, f) => deflate(buf, "zlib", deflateOptions(f)),
    clientData: (f) => [f.id === "deflate" ? f.level : 0],
  },
  2: {
    name: "shuffle",
    decode: (buf, s) => {
      const dst = s.into && s.into.length === buf.length ? s.into : new Uint8Array(buf.length);
      unshuffle(buf, dst, s.values[0] ?? s.elementSize);
      return dst;
    },
    encode: (buf, _f, s) => {
      if (!s.scratch) return shuffleBytes(buf, s.elementSize);
      if (shuffled.length < buf.length) shuffled = new Uint8Array(buf.length);
      return shuffleBytes(buf, s.elementSize, shuffled.subarray(0, buf.length));
    },
    clientData: (_f, elementSize) => [elementSize],
  },
  3: { name: "fletcher32", decode: (buf) => checkFletcher32(buf) },
  4: { name: "szip" },
  5: { name: "nbit" },
  6: { name: "scaleoffset" },
  307: { name: "bzip2" },
  32000: {
    name: "lzf",
    decode: (buf, s) => {
      const size = Math.max(s.rawSize, s.values[2] ?? 0);
      const dst = s.into && s.into.length === size ? s.into : new Uint8Array(size);
      const n = lzfDecode(buf, dst);
      return n === dst.length ? dst : dst.subarray(0, n);
    },
    encode: (buf, _f, s) => {
      if (s.scratch && lzfOut.length < buf.length) lzfOut = new Uint8Array(buf.length);
      // lzf may not write into the buffer it reads (shuffle's output is its own scratch)
      const out = s.scratch ? lzfOut.subarray(0, buf.length) : new Uint8Array(buf.length);
      const n = lzfCompress(buf, out);
      return n === 0 ? null : out.subarray(0, n);
    },
    // filter version 4, liblzf version 0x0105, chunk bytes
    clientData: (_f, _e, chunkBytes) => [4, 0x0105, chunkBytes],
  },
  32001: { name: "blosc" },
  32004: { name: "lz4" },
  32008: { name: "bitshuffle" },
  32015: { name: "zstd" },
};

/** Names of the filters known by id (decoded or not), for messages. */
export const FILTER_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FILTERS).map(([id, f]) => [id, f.name]));

/** The ids the writer stores for its filters. */
export const FILTER_IDS = { deflate: 1, shuffle: 2, lzf: 32000 } as const;

export function filterClientData(f: H5Filter, elementSize: number, chunkBytes: number): number[] {
  return FILTERS[FILTER_IDS[f.id]].clientData?.(f, elementSize, chunkBytes) ?? [];
}

function deflateOptions(f: H5Filter): { level: number; rle: boolean } {
  return f.id === "deflate" ? { level: f.level, rle: f.strategy === "rle" } : { level: 6, rle: false };
}

/** The first filter we cannot decode, or undefined. */
export function unsupportedFilter(filters: Filter[]): Filter | undefined {
  return filters.find((f) => !FILTERS[f.id]?.decode);
}

export function describeFilters(filters: Filter[]): string {
  if (filters.length === 0) return "none";
  return filters.map((f) => (f.id === 1 ? `gzip(${f.values[0] ?? 0})` : (FILTER_NAMES[f.id] ?? (f.name || `filter ${f.id}`)))).join("+");
}

/** Whether undoing the pipeline under `mask` has an asynchronous step (deflate: in Node on the libuv pool). */
export function hasDeflate(filters: Filter[], mask: number): boolean {
  for (let i = 0; i < filters.length; i++) if (FILTERS[filters[i].id]?.decodeAsync && !(mask & (1 << i))) return true;
  return false;
}

/** Whether no filter before `i` is applied under `mask` (step `i` is the last one undone). */
function lastStep(i: number, mask: number): boolean {
  for (let j = 0; j < i; j++) if (!(mask & (1 << j))) return false;
  return true;
}

/**
 * The decode pipeline, written once for both drivers: each step runs here,
 * except that with `async` a step that has an asynchronous form is yielded
 * and the driver sends back its result.
 */
function* decodeSteps(
  stored: Uint8Array,
  filters: Filter[],
  mask: number,
  rawSize: number,
  elementSize: number,
  into: Uint8Array | undefined,
  async: boolean,
): Generator<Promise<Uint8Array>, Uint8Array, Uint8Array> {
  let buf = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const f = filters[i];
    const entry = FILTERS[f.id];
    if (!entry?.decode) throw new Error(`filter ${f.id} (${entry?.name ?? f.name ?? "unknown"}) is not supported`);
    const step: DecodeStep = { values: f.values, rawSize, elementSize, into: lastStep(i, mask) ? into : undefined };
    buf = async && entry.decodeAsync ? yield entry.decodeAsync(buf, step) : entry.decode(buf, step);
  }
  if (buf.length !== rawSize) {
    throw new Error(`decoded chunk has ${buf.length} bytes, expected ${rawSize}`);
  }
  return buf;
}

function* encodeSteps(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number, async: boolean): Generator<Promise<Uint8Array>, EncodedChunk, Uint8Array> {
  let data = raw;
  let mask = 0;
  const step: EncodeStep = { elementSize, scratch: !async };
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    const entry = FILTERS[FILTER_IDS[f.id]];
    const out = async && entry.encodeAsync ? yield entry.encodeAsync(data, f) : entry.encode!(data, f, step);
    if (out === null) mask |= 1 << i;
    else data = out;
  }
  return { bytes: data, mask };
}

/** Runs a pipeline's generator, awaiting each step it yields. */
async function drive<R>(steps: Generator<Promise<Uint8Array>, R, Uint8Array>): Promise<R> {
  let r = steps.next();
  while (!r.done) r = steps.next(await r.value);
  return r.value;
}

/**
 * Decodes one stored chunk into its raw bytes (`rawSize` of them, the full
 * chunk). `into`, when given and of size `rawSize`, receives the result of
 * the last decoding step where that step can write in place (lzf, shuffle).
 */
export function decodeChunk(stored: Uint8Array, filters: Filter[], mask: number, rawSize: number, elementSize: number, into?: Uint8Array): Promise<Uint8Array> {
  return drive(decodeSteps(stored, filters, mask, rawSize, elementSize, into, true));
}

/**
 * decodeChunk on the calling thread: pipelines without deflate (lzf,
 * shuffle, fletcher32: synchronous kernels, so a promise per chunk only costs),
 * deflate in small reads (inflateSync beats a threadpool round trip), and the
 * decode workers.
 */
export function decodeChunkSync(stored: Uint8Array, filters: Filter[], mask: number, rawSize: number, elementSize: number, into?: Uint8Array): Uint8Array {
  return decodeSteps(stored, filters, mask, rawSize, elementSize, into, false).next().value as Uint8Array;
}

export interface EncodedChunk {
  bytes: Uint8Array;
  mask: number;
}

/** Runs a chunk through the writer's filters; deflate in Node on zlib's threadpool, so several chunks compress in parallel. */
export function encodeChunk(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): Promise<EncodedChunk> {
  return drive(encodeSteps(raw, filters, elementSize, true));
}

/**
 * encodeChunk, synchronously, on the calling thread (for callers that encode
 * in their own worker threads, where the data was made, and hand the writer
 * finished chunks: DatasetWriter.writeEncoded). The result may be a view of a
 * scratch buffer that the next call overwrites: copy it before then.
 */
export function encodeChunkSync(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): EncodedChunk {
  return encodeSteps(raw, filters, elementSize, false).next().value as EncodedChunk;
}
