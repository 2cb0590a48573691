// "rec-array" 0.2.0: a structured (compound) dataset, read field by field.
// Our stores write no compound arrays (and anndata writes no rec-arrays to
// Zarr v3), so one is written as a dict of its fields; a "/" in a field name
// (legal in numpy, refused as a key) becomes "_".
import { FormatError } from "../errors.js";
import type { Elem, RecArray } from "../model.js";
import type { NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import { encodingAttrs, expectArray, join, type ReadContext, setExtraAttrs, type WriteContext, withExtra } from "./context.js";

export async function readRecArray(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const info = expectArray(ctx, path, node, "a rec-array");
  if (!info.fields) throw new FormatError(ctx.reader.source, path, "rec-array is not a compound array");
  if (!ctx.reader.readRecords) throw new FormatError(ctx.reader.source, path, `the ${ctx.reader.backend} backend reads no compound arrays`);
  const fields = await ctx.reader.readRecords(path);
  return setExtraAttrs({ kind: "rec-array", fields } satisfies RecArray, info.attrs);
}

export function recFieldKey(name: string): string {
  return name.replaceAll("/", "_") || "_";
}

export async function writeRecArrayAsDict(ctx: WriteContext, path: string, elem: Elem): Promise<void> {
  const r = elem as RecArray;
  await ctx.writer.createGroup(path, withExtra(elem, encodingAttrs("dict", "0.1.0")));
  for (const [name, arr] of Object.entries(r.fields)) {
    await writePlainArray(
      ctx,
      join(path, recFieldKey(name)),
      arr,
      encodingAttrs(arr.dtype === "string" ? "string-array" : "array", "0.2.0"),
    );
  }
}
