// The decode pool's worker thread: adjacent chunks decoded by the same filter
// pipeline as the calling thread (filters/registry.ts), with node:zlib.
// Message in: { id, buffer, byteOffset, byteLength, chunks, filters, rawSize, elementSize };
// out: { id, out } (transferred), or { id, error, chunk } for the first chunk that fails.
import { parentPort } from "node:worker_threads";
import "@cellfolio/codecs/node";
import type { Filter } from "../reader/messages.js";
import { decodeChunkSync } from "../filters/registry.js";

interface Job {
  id: number;
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  chunks: { offset: number; size: number; mask: number }[];
  filters: Filter[];
  rawSize: number;
  elementSize: number;
}

parentPort?.on("message", (m: Job) => {
  const bytes = new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
  const out = new Uint8Array(m.chunks.length * m.rawSize);
  for (let k = 0; k < m.chunks.length; k++) {
    const c = m.chunks[k];
    const target = out.subarray(k * m.rawSize, (k + 1) * m.rawSize);
    try {
      const decoded = decodeChunkSync(bytes.subarray(c.offset, c.offset + c.size), m.filters, c.mask, m.rawSize, m.elementSize, target);
      if (decoded.buffer !== target.buffer || decoded.byteOffset !== target.byteOffset) target.set(decoded);
    } catch (e) {
      parentPort?.postMessage({ id: m.id, error: (e as Error)?.message ?? String(e), chunk: k });
      return;
    }
  }
  parentPort?.postMessage({ id: m.id, out }, [out.buffer]);
});
