// HDF5 backend over @cellfolio/hdf5: reader.ts (StoreReader) and writer.ts (StoreWriter).
export { openHdf5, type OpenHdf5Options } from "./reader.js";
export { createHdf5, type CreateHdf5Options } from "./writer.js";
