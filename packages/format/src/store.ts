// Which backend a path or URL is: one place for the dispatch.
import type { StoreReader, StoreWriter } from "./types.js";

export interface CreateStoreOptions {
  zarrFormat?: 2 | 3;
  overwrite?: boolean;
}

/** Opens any AnnData store: .h5ad / .h5sc / .h5 (HDF5), .zarr (v2/v3), .zarr.zip; local path or URL. */
export async function openStore(source: string): Promise<StoreReader> {
  throw new Error(`openStore(${source}): not implemented yet`);
}

/** Creates a store for writing, its backend chosen by the extension (.zarr -> Zarr, else HDF5). */
export async function createStore(path: string, _options: CreateStoreOptions = {}): Promise<StoreWriter> {
  throw new Error(`createStore(${path}): not implemented yet`);
}
