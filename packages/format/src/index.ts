export type * from "./types.js";
export type * from "./model.js";
export { FormatError } from "./errors.js";
export { allocate, copyBlock, itemSize, numpyTypestr, product, sliceArray, strides, typedArrayFor } from "./dtype.js";
export { RowAppender } from "./streaming.js";
export { openZarr, createZarr, type OpenZarrOptions, type CreateZarrOptions } from "./zarr/index.js";
export { openHdf5, createHdf5, type OpenHdf5Options, type CreateHdf5Options } from "./hdf5/index.js";
export { openStore, createStore, type CreateStoreOptions } from "./store.js";
export { readElem, writeElem } from "./registry.js";
