// "null" 0.1.0: None in uns. anndata writes an empty dataset; with no empty
// dataspace in our backends, a 0-d array (bool in Zarr v3 as anndata does,
// float64 elsewhere as zarr.empty(()) gives) carries the encoding.
import type { Elem } from "../model.js";
import type { Attrs } from "../types.js";
import type { WriteContext } from "./context.js";

export async function readNull(): Promise<Elem> {
  return { kind: "null" };
}

export async function writeNull(ctx: WriteContext, path: string, _elem: Elem, attrs: Attrs): Promise<void> {
  const v3 = ctx.writer.backend === "zarr" && ctx.writer.zarrFormat === 3;
  const arr = v3 ? { dtype: "bool" as const, shape: [], data: new Uint8Array(1) } : { dtype: "float64" as const, shape: [], data: new Float64Array(1) };
  await ctx.writer.writeArray(path, arr, { attrs });
}
