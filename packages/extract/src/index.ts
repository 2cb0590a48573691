// @cellfolio/extract: single-cell image extraction from an image and its
// segmentation masks, streamed to an AnnData dataset (HDF5 .h5sc or Zarr).

export { CellfolioError, isCellfolioError } from "@cellfolio/format";
export { ExtractError } from "./errors.js";
export {
  type ImageInput,
  type ImageSource,
  openImageSource,
  type PixelArray,
  type PixelType,
  StackedSource,
  TiffSource,
  ZarrSource,
} from "./inputs/index.js";
export { type LabelRows, type Labels, type LabelValue, parseCsv, readLabels } from "./inputs/labels-csv.js";
export { chunkGrid, copyChunk, decompress, decompressSync, finishChunk, lzwDecode, pagePixelType } from "./inputs/tiff-decode.js";
export { type ReadAt, readTiffPages, type TiffPage, TiffUnsupported } from "./inputs/tiff-format.js";
export type { CellInfo } from "./kernels/cells.js";
export {
  HDF5_DEFAULT_COMPRESSION,
  IMAGES_PATH,
  type ImagesArrayLayout,
  imagesArrayLayout,
  type LayoutInfo,
  obsFrame,
  rowsPerShard,
  singleCellImagesUns,
  storedChannelNames,
  varFrame,
  writeObsVarUns,
  writeRootAndObsm,
} from "./layout.js";
export {
  type CalibrationPoints,
  type CellSet,
  checkCalibration,
  LMD_DEFAULTS,
  LmdError,
  type LmdOptions,
  type LmdResult,
  type LmdSetSummary,
  type LmdShape,
  lmdExport,
  parseCalibration,
} from "./lmd/index.js";
export {
  checkParts,
  extractPart,
  type FinalizeSummary,
  finalizeParts,
  isFinalized,
  type PartRecord,
  type PartSpec,
  type PartSummary,
  parsePart,
  type StorePlan,
} from "./parts.js";
export { type ExtractOptions, type ExtractSummary, extract, type StreamOptions, streamStacks } from "./pipeline.js";
export { type ExtractionPlan, type PlanOptions, type PlanPart, planCells, planParts } from "./plan.js";
export { type ExtractionParams, PRESETS, type Preset, resolveParams } from "./presets.js";
