// A worker thread of the pipeline: a CellThread (cell-batch.ts) that holds
// the bands of the slide it is sent (shared memory, no copy) and hands each
// batch's stacks, or their encoded rows, back by transfer.
import { serveWorker } from "@cellfolio/format/node";
import { type BatchResult, type CellRequest, CellThread } from "./cell-batch.js";

let cells: CellThread | undefined;

serveWorker<CellRequest, BatchResult | undefined>(
  (msg) => {
    if (msg.type === "init") cells = new CellThread(msg);
    else if (!cells) throw new Error("worker: init missing");
    else return cells.handle(msg);
  },
  (r) => (!r ? [] : r.records ? [r.records.buffer as ArrayBuffer, r.offsets!.buffer as ArrayBuffer] : [r.out!.buffer as ArrayBuffer]),
);
