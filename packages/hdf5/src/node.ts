// @cellfolio/hdf5 under Node: everything of the core entry, plus local files
// (positional reads, a write-behind sink renamed at close) and worker threads
// for filters. Node resolves the package here through the "node" export
// condition, so `import "@cellfolio/hdf5"` reads local paths in Node as it is.
import { availableParallelism } from "node:os";
import "@cellfolio/codecs/node"; // node:zlib for deflate
import { sharedDecodePool } from "./node/decode-pool.js";
import { FileSink } from "./node/file-sink.js";
import { FileSource } from "./node/file-source.js";
import { WorkerFilterPool } from "./node/filter-pool.js";
import { setHdf5Platform } from "./platform.js";

/** CELLFOLIO_HDF5_WORKERS=N: many-chunk reads decode on N worker threads by default (0 or unset: on the calling thread). */
const decodeWorkers = Number(process.env.CELLFOLIO_HDF5_WORKERS ?? 0);

setHdf5Platform({
  openFile: (path) => FileSource.open(path),
  createFileSink: (path, overwrite) => FileSink.create(path, overwrite),
  decodePool: () => sharedDecodePool(decodeWorkers),
  decodeWorkersByDefault: decodeWorkers > 0,
  filterPool: (workers) => new WorkerFilterPool(workers),
  filterWorkers: availableParallelism(),
  // its own ArrayBuffer (allocUnsafeSlow does not pool), so the whole buffer is the caller's
  allocUninitialised: (bytes) => Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer,
});

export * from "./index.js";
export { FileSink } from "./node/file-sink.js";
export { FileSource } from "./node/file-source.js";
export { BackgroundSync, notReplaceable, removeStaleTemps, renameDurably, syncDir, tempPathFor } from "./node/temp-output.js";
export { serveWorker, WorkerPool, type WorkerPoolOptions, workerFile } from "./node/worker-pool.js";
