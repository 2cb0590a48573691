// The decode pool's worker thread: adjacent chunks decoded by the calling
// thread's own pipeline (filters/registry.ts), with node:zlib, into one
// buffer sent back; or the first chunk that fails.
import "@cellfolio/codecs/node";
import { decodeChunkSync } from "../filters/registry.js";
import type { DecodeJob } from "../platform.js";
import { serveWorker } from "./worker-pool.js";

export type DecodeAnswer = { out: Uint8Array } | { error: string; chunk: number };

serveWorker<DecodeJob, DecodeAnswer>(
  (job) => {
    const out = new Uint8Array(job.chunks.length * job.rawSize);
    for (let k = 0; k < job.chunks.length; k++) {
      const c = job.chunks[k];
      const target = out.subarray(k * job.rawSize, (k + 1) * job.rawSize);
      try {
        const decoded = decodeChunkSync(job.bytes.subarray(c.offset, c.offset + c.size), job.filters, c.mask, job.rawSize, job.elementSize, target);
        if (decoded.buffer !== target.buffer || decoded.byteOffset !== target.byteOffset) target.set(decoded);
      } catch (e) {
        return { error: (e as Error)?.message ?? String(e), chunk: k };
      }
    }
    return { out };
  },
  (a) => ("out" in a ? [a.out.buffer as ArrayBuffer] : []),
);
