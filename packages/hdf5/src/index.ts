// @cellfolio/hdf5: the HDF5 file format in TypeScript, knowing nothing of AnnData.
// This entry runs anywhere (browsers, workers, Node): HTTP, Blob and in-memory
// sources, in-memory sinks. Node resolves the package to node.ts, which adds
// local files and worker threads.

// The error base every cellfolio package's errors extend.
export { CellfolioError, isCellfolioError } from "@cellfolio/codecs";
// The n-dimensional box copies of the HDF5 reader and writer, shared with format's Zarr reader and writer.
export { type Box, copyElements, product, stridesOf } from "./box.js";
// The bound on reads under way, for the packages above too.
export { Limiter, runPool } from "./concurrency.js";
// HDF5's fletcher32, for Zarr readers of HDF5 chunks by reference (numcodecs' "fletcher32").
export { checkFletcher32 } from "./filters/decode-fletcher32.js";
export {
  CORS_REQUIREMENTS,
  type FetchLike,
  HTTP_CONCURRENCY,
  HTTP_DEFAULTS,
  HttpClient,
  HttpError,
  type HttpOptions,
  pickHttpOptions,
  type RangeAnswer,
} from "./http.js";
export {
  allocUninitialised,
  ChunkDecodeError,
  type DecodeJob,
  type DecodePool,
  type FilterPool,
  type Hdf5Platform,
  hdf5Platform,
  type Sink,
  setHdf5Platform,
} from "./platform.js";
export * from "./reader/index.js";
export * from "./writer/index.js";
