// Runs a chunk through the filter pipeline. Deflate goes to node:zlib's
// threadpool (so several chunks compress in parallel); shuffle and lzf run
// here in JS. An optional filter that fails (lzf not shrinking the chunk) is
// skipped and its bit set in the chunk's filter mask, as HDF5 does.
import { promisify } from "node:util";
import { deflate } from "node:zlib";
import { lzfCompress } from "../filters/encode-lzf.js";
import { shuffleBytes } from "../filters/encode-shuffle.js";
import type { H5Filter } from "./filter-pipeline.js";

const deflateAsync = promisify(deflate);

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
      const out = await deflateAsync(data, { level: f.level });
      data = new Uint8Array(out.buffer, out.byteOffset, out.length);
    } else {
      const out = new Uint8Array(data.length);
      const n = lzfCompress(data, out);
      if (n === 0) mask |= 1 << i;
      else data = out.subarray(0, n);
    }
  }
  return { bytes: data, mask };
}
