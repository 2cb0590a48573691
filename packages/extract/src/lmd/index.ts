// Laser-microdissection export: cells of a segmentation mask to the shapes a
// Leica LMD cuts, as py-lmd's SegmentationLoader makes them.
export { type CalibrationPoints, checkCalibration, parseCalibration } from "./calibration.js";
export { type CellSet, type LmdResult, type LmdSetSummary, type LmdShape, lmdExport } from "./export.js";
export { leicaXml, type XmlShape } from "./leica-xml.js";
export { LMD_DEFAULTS, LmdError, type LmdOptions, type PathOptimization, resolveLmdOptions } from "./options.js";
export { hilbertOrder, pathLength } from "./path.js";
