// Files of anndata < 0.7, which carry no encoding attributes: obs / var /
// obsm / varm as compound datasets (the first field of obs / var is the
// index), categoricals as integer codes with `uns/<col>_categories`, and
// sparse matrices as h5sparse groups (see sparse.ts). Read as anndata's
// `_clean_up_old_format` reads them.
import { FormatError } from "../errors.js";
import type { Categorical, DataFrame, Dict, Elem } from "../model.js";
import type { ArrayInfo, NDArray } from "../types.js";
import type { ReadContext } from "./context.js";

async function records(ctx: ReadContext, path: string, info: ArrayInfo): Promise<Record<string, NDArray>> {
  if (!ctx.reader.readRecords) throw new FormatError(ctx.reader.source, path, `the ${ctx.reader.backend} backend reads no compound arrays`);
  const fields = await ctx.reader.readRecords(path);
  const n = info.shape[0] ?? 0;
  for (const [name, arr] of Object.entries(fields)) {
    // A sub-array field ([50] float) flattened by the backend: give it its rows.
    if (arr.shape.length === 1 && n > 0 && arr.shape[0] !== n && arr.data.length % n === 0) {
      fields[name] = { ...arr, shape: [n, arr.data.length / n] };
    }
  }
  return fields;
}

/**
 * A compound obs / var: the first field (named "index") is the index; a column
 * whose `<col>_categories` `categoriesOf` returns becomes a categorical.
 */
export async function readLegacyFrame(
  ctx: ReadContext,
  path: string,
  info: ArrayInfo,
  categoriesOf: (column: string) => NDArray | undefined,
): Promise<DataFrame> {
  const fields = await records(ctx, path, info);
  const names = info.fields?.map((f) => f.name) ?? Object.keys(fields);
  if (names.length === 0) throw new FormatError(ctx.reader.source, path, "compound dataframe without fields");
  const indexName = names[0];
  const index = fields[indexName];
  const columns: Record<string, Elem> = {};
  for (const name of names.slice(1)) {
    const values = fields[name];
    const categories = categoriesOf(name);
    if (categories && values.dtype !== "string" && !values.dtype.startsWith("float")) {
      columns[name] = { kind: "categorical", codes: values, categories, ordered: false } satisfies Categorical;
    } else {
      columns[name] = values;
    }
  }
  return {
    kind: "dataframe",
    index: index.dtype === "string" ? (index.data as string[]) : index,
    indexName,
    columns,
    columnOrder: names.slice(1),
  };
}

/** A compound obsm / varm: one array per field. */
export async function readLegacyArrays(ctx: ReadContext, path: string, info: ArrayInfo): Promise<Dict> {
  const fields = await records(ctx, path, info);
  return { kind: "dict", items: { ...fields } };
}
