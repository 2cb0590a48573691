// The HDF5 metadata and chunk-index reader over byte ranges.
export {};
