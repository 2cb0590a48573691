// The streaming HDF5 writer (superblock, object headers, B-trees, heaps, filters).
export {};
