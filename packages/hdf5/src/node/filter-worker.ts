// The filter pool's worker thread: a batch of chunks run through the calling
// thread's own pipeline (filters/registry.ts), with node:zlib; one result a chunk.
import "@cellfolio/codecs/node";
import { encodeChunkSync, type H5Filter } from "../filters/registry.js";
import { serveWorker } from "./worker-pool.js";

export interface FilterJob {
  buffer: ArrayBuffer;
  filters: readonly H5Filter[];
  elementSize: number;
}

export type FilterAnswer = { buffer: ArrayBuffer; mask: number } | { error: string };

serveWorker<FilterJob[], FilterAnswer[]>(
  (batch) =>
    batch.map(({ buffer, filters, elementSize }) => {
      try {
        const { bytes, mask } = encodeChunkSync(new Uint8Array(buffer), filters, elementSize);
        // the result may be the pipeline's scratch, reused by the next chunk: send a copy
        return { buffer: bytes.slice().buffer, mask };
      } catch (e) {
        return { error: String((e as Error)?.stack ?? e) };
      }
    }),
  (results) => results.flatMap((r) => ("buffer" in r ? [r.buffer] : [])),
);
