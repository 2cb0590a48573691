// The filter pool's worker thread: chunks run through the same filter
// pipeline as the calling thread (filters/registry.ts), with node:zlib.
// Message in: a batch of { id, buffer, filters, size }; out: one result per chunk.
import { parentPort } from "node:worker_threads";
import "@cellfolio/codecs/node";
import { encodeChunkSync, type H5Filter } from "../filters/registry.js";

interface Job {
  id: number;
  buffer: ArrayBuffer;
  filters: H5Filter[];
  size: number;
}

parentPort?.on("message", (batch: Job[]) => {
  const results = [];
  const transfer: ArrayBuffer[] = [];
  for (const { id, buffer, filters, size } of batch) {
    try {
      const { bytes, mask } = encodeChunkSync(new Uint8Array(buffer), filters, size);
      // encodeChunkSync's result may be its scratch, reused by the next chunk: send a copy
      const own = bytes.slice();
      results.push({ id, buffer: own.buffer, offset: 0, length: own.length, mask });
      transfer.push(own.buffer);
    } catch (e) {
      results.push({ id, error: String((e as Error)?.stack ?? e) });
    }
  }
  parentPort?.postMessage(results, transfer);
});
