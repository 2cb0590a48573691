// Zarr v2 / v3 backend: reading through zarrita, writing with our own writer.
import type { StoreReader, StoreWriter } from "../types.js";

export interface OpenZarrOptions {
  /** HTTP only: extra fetch options (headers). */
  fetchInit?: RequestInit;
}

export interface CreateZarrOptions {
  zarrFormat?: 2 | 3;
  /** Replace an existing output (only at close; until then it is left alone). */
  overwrite?: boolean;
  /** Write consolidated metadata at close (default true). */
  consolidated?: boolean;
}

/** Opens a Zarr v2 or v3 store: a local directory, a `.zarr.zip` file, or an http(s) URL. */
export async function openZarr(source: string, _options: OpenZarrOptions = {}): Promise<StoreReader> {
  throw new Error(`openZarr(${source}): not implemented yet`);
}

/** Creates a Zarr store at `path`, written under a temporary name until `close()`. */
export async function createZarr(path: string, _options: CreateZarrOptions = {}): Promise<StoreWriter> {
  throw new Error(`createZarr(${path}): not implemented yet`);
}
