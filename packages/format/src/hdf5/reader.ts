import type { StoreReader } from "../types.js";

export interface OpenHdf5Options {
  /** HTTP only: extra fetch options (headers). */
  fetchInit?: RequestInit;
}

/** Opens an HDF5 file (.h5ad, .h5sc) on disk or over http(s) with range requests. */
export async function openHdf5(source: string, _options: OpenHdf5Options = {}): Promise<StoreReader> {
  throw new Error(`openHdf5(${source}): not implemented yet`);
}
