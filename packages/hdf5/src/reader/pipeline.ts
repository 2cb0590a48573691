// A chunk's filter pipeline undone, last filter first, skipping the filters
// its filter mask marks as not applied.

import { inflate, inflateSync, lzfDecode, unshuffle } from "@cellfolio/codecs";
import { checkFletcher32 } from "../filters/decode-fletcher32.js";
import type { Filter } from "./messages.js";

export const FILTER_NAMES: Record<number, string> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32015: "zstd",
};

const SUPPORTED = new Set([1, 2, 3, 32000]);

/** The first filter we cannot decode, or undefined. */
export function unsupportedFilter(filters: Filter[]): Filter | undefined {
  return filters.find((f) => !SUPPORTED.has(f.id));
}

export function describeFilters(filters: Filter[]): string {
  if (filters.length === 0) return "none";
  return filters.map((f) => (f.id === 1 ? `gzip(${f.values[0] ?? 0})` : (FILTER_NAMES[f.id] ?? (f.name || `filter ${f.id}`)))).join("+");
}

/** Whether undoing the pipeline under `mask` has a deflate step (inflated asynchronously: in Node on the libuv pool). */
export function hasDeflate(filters: Filter[], mask: number): boolean {
  for (let i = 0; i < filters.length; i++) if (filters[i].id === 1 && !(mask & (1 << i))) return true;
  return false;
}

/** One step other than deflate undone: lzf, shuffle or fletcher32 (into `into` where the step can write in place). */
function undoStep(f: Filter, buf: Uint8Array, last: boolean, into: Uint8Array | undefined, rawSize: number, elementSize: number): Uint8Array {
  switch (f.id) {
    case 2: {
      const size = f.values[0] ?? elementSize;
      const dst = last && into && into.length === buf.length ? into : new Uint8Array(buf.length);
      unshuffle(buf, dst, size);
      return dst;
    }
    case 3:
      return checkFletcher32(buf);
    case 32000: {
      const size = Math.max(rawSize, f.values[2] ?? 0);
      const dst = last && into && into.length === size ? into : new Uint8Array(size);
      const n = lzfDecode(buf, dst);
      return n === dst.length ? dst : dst.subarray(0, n);
    }
    default:
      throw new Error(`filter ${f.id} (${FILTER_NAMES[f.id] ?? f.name ?? "unknown"}) is not supported`);
  }
}

/** Whether no filter before `i` is applied under `mask` (step `i` is the last one undone). */
function lastStep(i: number, mask: number): boolean {
  for (let j = 0; j < i; j++) if (!(mask & (1 << j))) return false;
  return true;
}

/**
 * Decodes one stored chunk into its raw bytes (`rawSize` of them, the full
 * chunk). `into`, when given and of size `rawSize`, receives the result of
 * the last decoding step where that step can write in place (lzf, shuffle).
 */
export async function decodeChunk(
  stored: Uint8Array,
  filters: Filter[],
  mask: number,
  rawSize: number,
  elementSize: number,
  into?: Uint8Array,
): Promise<Uint8Array> {
  if (!hasDeflate(filters, mask)) return decodeChunkSync(stored, filters, mask, rawSize, elementSize, into);
  let buf = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const f = filters[i];
    buf = f.id === 1 ? await inflate(buf, "zlib", rawSize) : undoStep(f, buf, lastStep(i, mask), into, rawSize, elementSize);
  }
  if (buf.length !== rawSize) {
    throw new Error(`decoded chunk has ${buf.length} bytes, expected ${rawSize}`);
  }
  return buf;
}

/**
 * decodeChunk on the calling thread: pipelines without deflate (lzf,
 * shuffle, fletcher32: synchronous kernels, so a promise per chunk only costs),
 * and deflate in small reads (inflateSync beats a threadpool round trip).
 */
export function decodeChunkSync(
  stored: Uint8Array,
  filters: Filter[],
  mask: number,
  rawSize: number,
  elementSize: number,
  into?: Uint8Array,
): Uint8Array {
  let buf = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const f = filters[i];
    buf = f.id === 1 ? inflateSync(buf, "zlib", rawSize) : undoStep(f, buf, lastStep(i, mask), into, rawSize, elementSize);
  }
  if (buf.length !== rawSize) {
    throw new Error(`decoded chunk has ${buf.length} bytes, expected ${rawSize}`);
  }
  return buf;
}
