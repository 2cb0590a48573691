// The HDF5 metadata and chunk-index reader over byte ranges.

export { BlockCache, type ByteSource } from "../byte-source.js";
export { decodeChunk, describeFilters, FILTER_NAMES, unsupportedFilter } from "../filters/registry.js";
export { BlobSource, HttpSource, type HttpSourceOptions, MemorySource, openSource, SourceError } from "../source.js";
export type { ChunkInfo } from "./chunk-index.js";
export { Dataset, type ReadOptions } from "./dataset.js";
export { type Datatype, describeDatatype, isBoolEnum } from "./datatype.js";
export { Hdf5Error } from "./errors.js";
export { Group, Hdf5File, NamedDatatype, type Node, type OpenOptions, openHdf5File } from "./file.js";
export type { Dataspace, Filter, Layout, Link } from "./messages.js";
export { HDF5_SIGNATURE, superblockOffsets } from "./superblock.js";
export type { Attribute } from "./values.js";
export { numericArray, type TypedArray, type Values } from "./values.js";
