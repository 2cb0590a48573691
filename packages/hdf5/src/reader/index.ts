// The HDF5 metadata and chunk-index reader over byte ranges.
export { Hdf5File, Group, openHdf5File, type Attribute, type Node, type OpenOptions } from "./file.js";
export { Dataset, type ReadOptions } from "./dataset.js";
export type { ChunkInfo } from "./chunk-index.js";
export { type Datatype, describeDatatype, isBoolEnum } from "./datatype.js";
export type { Dataspace, Filter, Layout, Link } from "./messages.js";
export { describeFilters, FILTER_NAMES } from "./pipeline.js";
export { Hdf5Error } from "./errors.js";
export { numericArray, type TypedArray, type Values } from "./values.js";
export { type ByteSource, BlockCache, FileSource, HttpSource, type HttpSourceOptions, openSource, SourceError } from "../source.js";
