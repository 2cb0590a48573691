// @cellfolio/hdf5: the HDF5 file format in TypeScript, knowing nothing of AnnData.

export * from "./reader/index.js";
export * from "./writer/index.js";
