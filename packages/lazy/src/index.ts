export {
  CellfolioError,
  type DecodeWorkerStats,
  decodeWorkerStats,
  detectLayout,
  IMAGES_PATH,
  isCellfolioError,
  type LayoutId,
  maskChannels,
  type SingleCellImagesInfo,
  type SingleCellLayout,
} from "@cellfolio/format";
export type { Batch, BatchOptions, SplitOptions } from "./batches.js";
export { batches, labelsOf, split } from "./batches.js";
export { type CacheStats, ChunkCache } from "./cache.js";
export { splitZarrGroup } from "./collection.js";
export type { Cells, ChannelSelector, Crop, OpenDatasetOptions, ReadOptions } from "./dataset.js";
export { Dataset, openDataset } from "./dataset.js";
export type { Column, Frame } from "./elements.js";
export { DatasetError } from "./errors.js";
export { mulberry32 } from "./prng.js";
export { type FetchLike, isUrl, probeRange } from "./sources/http.js";
