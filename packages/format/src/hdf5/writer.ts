import type { StoreWriter } from "../types.js";

export interface CreateHdf5Options {
  /** Replace an existing output (only at close; until then it is left alone). */
  overwrite?: boolean;
}

/** Creates an HDF5 file at `path`, written under a temporary name until `close()`. */
export async function createHdf5(path: string, _options: CreateHdf5Options = {}): Promise<StoreWriter> {
  throw new Error(`createHdf5(${path}): not implemented yet`);
}
