// The streaming HDF5 writer (superblock, object headers, B-trees, heaps, filters).

export type { H5Filter } from "../filters/registry.js";
export { type EncodedChunk, encodeChunkSync } from "../filters/registry.js";
export { guessChunks } from "./chunk-guess.js";
export { type DatasetOptions, DatasetWriter, type ElementData } from "./dataset.js";
export { type CompoundMember, type H5Type, packedCompound } from "./datatype.js";
export { MemorySink } from "./memory-sink.js";
export { type AttributeValue, type CreateFileOptions, Hdf5Writer } from "./writer.js";
