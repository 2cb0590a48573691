// @cellfolio/extract: single-cell image extraction from an image and its
// segmentation masks, streamed to an AnnData dataset (HDF5 .h5sc or Zarr).

// The single-cell layout extract writes lives in @cellfolio/format (layout.ts); here for callers of extract.
export { CellfolioError, 
  createImagesArray,
  HDF5_DEFAULT_COMPRESSION,
  IMAGES_PATH,
  type ImagesArrayLayout,
  imagesArrayLayout,isCellfolioError, 
  type LayoutInfo,
  rowsPerShard,
  storedChannelNames,
  writeSingleCellLayout,} from "@cellfolio/format";
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
export { decodeJpeg2000, loadJpeg2000 } from "./inputs/tiff-jpeg2000.js";
export { type CellInfo, CellTable } from "./kernels/cells.js";
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
  type PartSummary,
  parsePart,
  type StorePlan,
} from "./parts.js";
export { extract } from "./pipeline.js";
export { type ExtractionPlan, type PlanOptions, type PlanPart, planCells, planParts } from "./plan.js";
export type { ExtractOptions, ExtractSummary, PartSpec } from "./prepare.js";
export { type ExtractionParams, PRESETS, type Preset, resolveParams } from "./presets.js";
export { type StreamOptions, streamStacks } from "./stream.js";
