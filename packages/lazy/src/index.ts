export type { Batch, BatchOptions, SplitOptions } from "./batches.js";
export { batches, labelsOf, split } from "./batches.js";
export { type CacheStats, ChunkCache } from "./cache.js";
export type { Cells, ChannelSelector, Crop, OpenDatasetOptions, ReadOptions, SingleCellImagesInfo } from "./dataset.js";
export { Dataset, IMAGES_PATH, openDataset } from "./dataset.js";
export type { Column, Frame } from "./elements.js";
export { DatasetError } from "./errors.js";
export { mulberry32 } from "./prng.js";
export { type FetchLike, isUrl, probeRange } from "./sources/http.js";
