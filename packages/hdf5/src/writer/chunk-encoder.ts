// Runs a chunk through the filter pipeline. Deflate goes to @cellfolio/codecs'
// deflate (in Node on zlib's threadpool, so several chunks compress in
// parallel); shuffle and lzf run
// here (WebAssembly kernels of @cellfolio/codecs). An optional filter that fails (lzf not shrinking the chunk) is
// skipped and its bit set in the chunk's filter mask, as HDF5 does.
// encodeChunkSync is the same pipeline run synchronously, for callers that
// encode in their own worker threads (where the data was made) and hand the
// writer finished chunks (DatasetWriter.writeEncoded).
import { deflate, deflateSync, lzfCompress, shuffleBytes } from "@cellfolio/codecs";
import type { H5Filter } from "./filter-pipeline.js";

export interface EncodedChunk {
  bytes: Uint8Array;
  mask: number;
}

export async function encodeChunk(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): Promise<EncodedChunk> {
  let data = raw;
  let mask = 0;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    if (f.id === "shuffle") data = shuffleBytes(data, elementSize);
    else if (f.id === "deflate") {
      data = await deflate(data, "zlib", { level: f.level, rle: f.strategy === "rle" });
    } else {
      const out = new Uint8Array(data.length);
      const n = lzfCompress(data, out);
      if (n === 0) mask |= 1 << i;
      else data = out.subarray(0, n);
    }
  }
  return { bytes: data, mask };
}

/** Scratch of encodeChunkSync: reused chunk after chunk (no per-chunk allocation for shuffle / lzf). */
let shuffled = new Uint8Array(0);
let lzfOut = new Uint8Array(0);

/**
 * encodeChunk, synchronously, on the calling thread. The result may be a view
 * of a scratch buffer that the next call overwrites: copy it before then.
 */
export function encodeChunkSync(raw: Uint8Array, filters: readonly H5Filter[], elementSize: number): EncodedChunk {
  let data = raw;
  let mask = 0;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    if (f.id === "shuffle") {
      if (shuffled.length < data.length) shuffled = new Uint8Array(data.length);
      data = shuffleBytes(data, elementSize, shuffled.subarray(0, data.length));
    } else if (f.id === "deflate") {
      data = deflateSync(data, "zlib", { level: f.level, rle: f.strategy === "rle" });
    } else {
      if (lzfOut.length < data.length) lzfOut = new Uint8Array(data.length);
      // lzf may not write into the buffer it reads (shuffle output is its own scratch)
      const n = lzfCompress(data, lzfOut.subarray(0, data.length));
      if (n === 0) mask |= 1 << i;
      else data = lzfOut.subarray(0, n);
    }
  }
  return { bytes: data, mask };
}
