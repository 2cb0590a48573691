// kerchunk reference sets: written from HDF5 AnnData, read as Zarr stores.
export {
  type Hdf5ReferenceOptions,
  type Hdf5ReferenceSummary,
  hdf5References,
  type KerchunkReferences,
  type ReferenceValue,
  stringifyReferences,
} from "./kerchunk.js";
export { isReferenceFile, type OpenReferencesOptions, openReferenceStore, ReferenceStore } from "./store.js";
