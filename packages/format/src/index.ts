// @cellfolio/format: AnnData on disk. This entry runs anywhere (browsers,
// workers, Node): HTTP URLs, Blobs, bytes and stores in memory, written into
// memory sinks. Node resolves the package to node.ts, which adds local files
// and directories, the directory writer and codec worker threads.

// The one HTTP client of every remote read lives in @cellfolio/hdf5; here for the packages above format,
// with the chunk encoder of writers' chunkFilters (extract's workers encode HDF5 chunks themselves),
// the bound on reads under way and MemorySource (to sniff bytes already fetched).
export {
  allocUninitialised,
  CellfolioError,
  CORS_REQUIREMENTS,
  encodeChunkSync,
  type FetchLike,
  type H5Filter,
  HTTP_CONCURRENCY,
  HTTP_DEFAULTS,
  HttpClient,
  HttpError,
  type HttpOptions,
  isCellfolioError,
  Limiter,
  MemorySource,
  pickHttpOptions,
  SourceError,
} from "@cellfolio/hdf5";
export {
  type ReadAnnDataOptions,
  type ReadAnnDataResult,
  readAnnData,
  type WriteAnnDataOptions,
  writeAnnData,
  writeAnnDataTo,
} from "./anndata.js";
export { annDataBytes, type ConvertOptions, type ConvertProgress, type ConvertResult, convert } from "./convert.js";
export { type DecodeWorkerStats, decodeWorkerStats, useDecodeWorkers } from "./decode-workers.js";
export { allocate, copyBlock, itemSize, numpyTypestr, product, sliceArray, strides, typedArrayFor } from "./dtype.js";
export { attrString, type CheckContext, type ChunksOption, extraAttrs, loadArray, setExtraAttrs } from "./elements/context.js";
export { legacyWriter } from "./elements/legacy.js";
export { FormatError } from "./errors.js";
export { float16BitsToNumber, float16Table, float16ToFloat32, float32ToFloat16, toFloat16Bits } from "./float16.js";
export { type CreateHdf5Options, createHdf5, HDF5_CODECS, type OpenHdf5Options, openHdf5 } from "./hdf5/index.js";
// The single-cell layout (docs/format.md): its names, writing, reading, validating.
export * from "./layout.js";
export { createMemoryStore, MemoryStore } from "./memory.js";
export type * from "./model.js";
export {
  type CodecPool,
  type FormatPlatform,
  formatPlatform,
  type H5wasmFile,
  type LocalKind,
  NO_LOCAL_FILES,
  setFormatPlatform,
} from "./platform.js";
export {
  type Hdf5ReferenceOptions,
  type Hdf5ReferenceSummary,
  hdf5References,
  isReferenceFile,
  type KerchunkReferences,
  type OpenReferencesOptions,
  openReferenceStore,
  ReferenceStore,
  type ReferenceValue,
  stringifyReferences,
} from "./references/index.js";
export {
  checkElem,
  DEFAULT_HANDLE_THRESHOLD,
  ENCODINGS,
  type Encoding,
  elemShape,
  encodingAttrs,
  type ReadElemOptions,
  readElem,
  type WriteElemOptions,
  writeElem,
} from "./registry.js";
export { type CreateStoreOptions, createStore, isZarrName, type OpenStoreOptions, openStore, plausibleSize, SNIFF_BYTES, type StoreSource, sniffBytes } from "./store.js";
export { RowAppender } from "./streaming.js";
export type * from "./types.js";
export {
  type ByteCodec,
  type CreateZarrOptions,
  createZarr,
  encodeByteCodecsSync,
  type KeyFile,
  type KeySink,
  type KeyStore,
  MapKeyStore,
  MemoryKeySink,
  type OpenZarrOptions,
  openZarr,
  ZipStore,
} from "./zarr/index.js";
