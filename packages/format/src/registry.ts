// The whole AnnData format in one table: (encoding-type, encoding-version) ->
// reader and writer, as anndata's _io/specs/methods.py.
import type { Elem } from "./model.js";
import type { StoreReader, StoreWriter } from "./types.js";

/** Reads the element at `path` (any encoding anndata writes or wrote). */
export async function readElem(_reader: StoreReader, path: string): Promise<Elem> {
  throw new Error(`readElem(${path}): not implemented yet`);
}

/** Writes `elem` at `path` with the encoding anndata 0.13 writes for it. */
export async function writeElem(_writer: StoreWriter, path: string, _elem: Elem): Promise<void> {
  throw new Error(`writeElem(${path}): not implemented yet`);
}
