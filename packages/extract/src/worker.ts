// A worker thread of the pipeline: holds the bands of the slide it is sent
// (shared memory, no copy), extracts batches of cells with one scratch, and
// hands each batch's stacks back by transfer. With a chunk encoding it also
// compresses them here, where they are, and hands back only the encoded rows
// (its result buffer then stays here, reused batch after batch).
import { parentPort } from "node:worker_threads";
import { CELL_FIELDS, type ChunkEncoding, type EncodeScratch, encodeBatch, extractBatch, resultBuffer } from "./cell-batch.js";
import { createScratch, type Scratch, type Window } from "./extract-cell.js";
import type { ExtractionParams } from "./presets.js";
import type { WorkerReply, WorkerRequest } from "./worker-pool.js";

if (!parentPort) throw new Error("worker.ts runs as a worker thread");
const port = parentPort;
const bands = new Map<number, Window>();
let params: ExtractionParams | null = null;
let scratch: Scratch | null = null;
let stackLength = 0;
let encoding: ChunkEncoding | undefined;
const encodeScratch: EncodeScratch = { buf: new Uint8Array(1 << 20) };
let raw: ArrayBuffer | undefined;

port.on("message", (msg: WorkerRequest) => {
  switch (msg.type) {
    case "init":
      params = msg.params;
      stackLength = msg.stackLength;
      encoding = msg.encoding;
      scratch = createScratch(msg.params, msg.nChannels, msg.kernels);
      break;
    case "band":
      bands.set(msg.band, msg.win);
      break;
    case "release":
      bands.delete(msg.band);
      break;
    case "task": {
      let reply: WorkerReply;
      try {
        const win = bands.get(msg.band);
        if (!win || !params || !scratch) throw new Error(`worker: band ${msg.band} or init missing`);
        const n = msg.cells.length / CELL_FIELDS;
        const out = resultBuffer(n * stackLength * 2, encoding ? raw : msg.out);
        const missing = extractBatch(win, msg.cells, params, scratch, out, stackLength);
        if (encoding) {
          raw = out.buffer as ArrayBuffer;
          const { records, offsets } = encodeBatch(out, n, stackLength, encoding, encodeScratch);
          reply = { task: msg.task, records, offsets, missing };
          port.postMessage(reply, [records.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer]);
        } else {
          reply = { task: msg.task, out, missing };
          port.postMessage(reply, [out.buffer as ArrayBuffer]);
        }
      } catch (e) {
        reply = { task: msg.task, error: (e as Error).stack ?? String(e) };
        port.postMessage(reply);
      }
      break;
    }
  }
});
