// HDF5 backend over @cellfolio/hdf5: reader.ts (StoreReader) and writer.ts (StoreWriter).
export { type OpenHdf5Options, openHdf5 } from "./reader.js";
export { type CreateHdf5Options, createHdf5, HDF5_CODECS } from "./writer.js";
