// "rec-array" 0.2.0: a structured (compound) array, read field by field and
// written back as one, as anndata writes it: an HDF5 compound dataset (string
// fields variable-length UTF-8, or fixed bytes where the source had "S<n>"),
// a Zarr structured array (v2: numpy's dtype list; v3: the "struct" data
// type; string fields fixed UTF-32 "U<n>", or "S<n>" where the source had
// it). Where a store holds no such array (sub-array fields, a backend
// without writeRecords), it becomes a dict of its fields; a "/" in a field
// name (legal in numpy, refused as a key) then becomes "_".
import { itemSize, product } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { Dict, Elem, RecArray } from "../model.js";
import type { Attrs, FieldInfo, FieldText, NDArray, NodeInfo, StoreWriter } from "../types.js";
import { expectArray, extraAttrs, type ReadContext, setExtraAttrs, type WriteContext } from "./context.js";

const utf8 = new TextEncoder();

export async function readRecArray(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const info = expectArray(ctx, path, node, "a rec-array");
  if (!info.fields) throw new FormatError(ctx.reader.source, path, "rec-array is not a compound array");
  if (!ctx.reader.readRecords) throw new FormatError(ctx.reader.source, path, `the ${ctx.reader.backend} backend reads no compound arrays`);
  const fields = await ctx.reader.readRecords(path);
  const rec: RecArray = { kind: "rec-array", fields };
  const text: Record<string, FieldText> = {};
  for (const f of info.fields) if (f.text) text[f.name] = f.text;
  if (Object.keys(text).length > 0) rec.text = text;
  return setExtraAttrs(rec, info.attrs);
}

export function recFieldKey(name: string): string {
  return name.replaceAll("/", "_") || "_";
}

/**
 * How a string field is stored in `writer`, as anndata 0.13 stores it there:
 * HDF5 keeps fixed bytes and makes everything else variable-length (it has no
 * UTF-32); Zarr keeps fixed bytes and UTF-32 and makes a variable-length
 * field UTF-32 as wide as its longest value in UTF-8 bytes (anndata's rule).
 */
function textFor(writer: StoreWriter, col: NDArray, text: FieldText | undefined): FieldText {
  if (text?.kind === "bytes") return text;
  if (writer.backend === "hdf5") return { kind: "vlen" };
  if (writer.backend === "zarr") {
    if (text?.kind === "utf32") return text;
    let chars = 1;
    for (const s of col.data as string[]) chars = Math.max(chars, utf8.encode(s).length);
    return { kind: "utf32", chars };
  }
  return text ?? { kind: "vlen" };
}

export async function writeRecArray(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const r = elem as RecArray;
  const writer = ctx.writer;
  const names = Object.keys(r.fields);
  const columns = names.map((n) => r.fields[n]);
  const n = columns[0]?.shape[0];
  // numpy's structured arrays as stored by anndata: 1-D, scalar fields
  if (!writer.writeRecords || names.length === 0 || columns.some((c) => c.shape.length !== 1 || c.shape[0] !== n)) {
    return ctx.write(path, asDict(r));
  }
  const fields: FieldInfo[] = names.map((name, i) =>
    columns[i].dtype === "string" ? { name, dtype: "string", text: textFor(writer, columns[i], r.text?.[name]) } : { name, dtype: columns[i].dtype },
  );
  await writer.writeRecords(path, fields, columns, attrs);
  // progress counts numeric bytes, as for plain arrays
  ctx.onBytes?.(columns.reduce((s, c) => s + (c.dtype === "string" ? 0 : product(c.shape) * itemSize(c.dtype)), 0));
}

/** The fields as a dict (where a store holds no compound array), with the array's extra attributes. */
function asDict(r: RecArray): Dict {
  const items: Dict["items"] = {};
  for (const [name, arr] of Object.entries(r.fields)) items[recFieldKey(name)] = arr;
  return setExtraAttrs({ kind: "dict", items }, extraAttrs(r) ?? {}) as Dict;
}
