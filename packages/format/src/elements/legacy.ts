// Elements without encoding attributes (anndata's IOSpec("", "")): h5py's
// plain values in uns, and files of anndata < 0.8. anndata < 0.7 kept obs /
// var / obsm / varm as compound datasets (the first field of obs / var is the
// index), categoricals as integer codes with `uns/<col>_categories`, and
// sparse matrices as h5sparse groups (see sparse.ts); read as anndata's
// `_clean_up_old_format` reads them. anndata 0.7 tagged only its groups.
import { FormatError } from "../errors.js";
import type { Categorical, DataFrame, Dict, Elem } from "../model.js";
import type { ArrayInfo, NDArray, NodeInfo, StoreReader } from "../types.js";
import { readDenseArray, readStringArray } from "./array.js";
import { attrNumbers, attrString, type CheckContext, checkChildren, type ReadContext } from "./context.js";
import { checkDataFrame, dataframeShape } from "./dataframe.js";
import { readDict } from "./dict.js";
import { readRecArray } from "./recarray.js";
import { readScalar } from "./scalar.js";
import { readH5Sparse } from "./sparse.js";

/**
 * What makes an untagged element unreadable: a group that plainly is a
 * dataframe, sparse matrix or categorical which lost its encoding-type is an
 * error, not a silently wrong dict; an encoding-version alone is too.
 */
async function untaggedProblem(reader: StoreReader, path: string, node: NodeInfo): Promise<string | undefined> {
  if (node.kind === "group" && attrString(node.attrs, "h5sparse_format") !== undefined) return undefined;
  if (node.kind === "group" && (node.attrs._index !== undefined || node.attrs["column-order"] !== undefined)) {
    return "missing encoding-type (a dataframe by its _index / column-order attributes)";
  }
  if (node.attrs["encoding-version"] !== undefined) return "missing encoding-type";
  if (node.kind === "array") return undefined;
  const children = new Set(await reader.list(path));
  if (children.has("indptr") && children.has("indices") && children.has("data")) {
    return "missing encoding-type (a sparse matrix by its data / indices / indptr)";
  }
  if (children.has("codes") && children.has("categories") && children.size === 2) {
    return "missing encoding-type (a categorical by its codes / categories)";
  }
  return undefined;
}

/** Groups are dicts (anndata's rule) or anndata < 0.7's h5sparse matrices; arrays are plain arrays or scalars. */
export async function readUntagged(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const problem = await untaggedProblem(ctx.reader, path, node);
  if (problem) throw new FormatError(ctx.reader.source, path, problem);
  if (node.kind === "group") {
    return attrString(node.attrs, "h5sparse_format") !== undefined ? readH5Sparse(ctx, path, node) : readDict(ctx, path, node);
  }
  if (node.fields) return readRecArray(ctx, path, node);
  if (node.shape.length === 0) return readScalar(ctx, path, node);
  // anndata < 0.7 stored string scalars in HDF5 as one-element string arrays; anndata reads them as strings.
  if (node.dtype === "string" && node.shape.length === 1 && node.shape[0] === 1 && ctx.reader.backend !== "zarr") {
    return readScalar(ctx, path, node);
  }
  return node.dtype === "string" ? readStringArray(ctx, path, node) : readDenseArray(ctx, path, node);
}

/** An h5sparse matrix's shape, or a dataframe's that lost its encoding-type (reported by the check). */
export async function untaggedShape(reader: StoreReader, path: string, node: NodeInfo): Promise<number[] | null> {
  return attrNumbers(node.attrs, "h5sparse_shape") ?? (node.attrs._index !== undefined ? dataframeShape(reader, path, node) : null);
}

/**
 * anndata reads an untagged element with an OldFormatWarning: a note, said
 * once for a whole legacy file, never in uns (where h5py writes them).
 */
export async function checkUntagged(ctx: CheckContext, path: string, node: NodeInfo, inUns: boolean): Promise<void> {
  const problem = await untaggedProblem(ctx.reader, path, node);
  if (problem) {
    ctx.error(path, problem);
    // a dataframe that lost its tag is still checked as one: its columns may hold more problems
    if (node.kind === "group" && typeof node.attrs._index === "string") await checkDataFrame(ctx, path, node);
    return;
  }
  if (!inUns && !ctx.legacy) ctx.note(path, `no encoding attributes: anndata reads it as a plain ${node.kind === "group" ? "dict" : "array"} (an OldFormatWarning)`);
  if (node.kind === "group" && attrString(node.attrs, "h5sparse_format") === undefined) await checkChildren(ctx, path, true);
}

/**
 * Which anndata wrote a file whose root has no encoding attributes (anndata
 * >= 0.8 tags it "anndata", but reads it untagged too): < 0.7 kept obs as a
 * compound array, 0.7 as a dataframe 0.1.0 group. Undefined for a tagged root.
 */
export async function legacyWriter(reader: StoreReader, root: NodeInfo): Promise<string | undefined> {
  if (root.attrs["encoding-type"] !== undefined) return undefined;
  const obs = await reader.get("obs").catch(() => null);
  if (obs?.kind === "array") return "anndata < 0.7 (no encoding attributes; obs / var / obsm / varm as compound arrays, sparse matrices as h5sparse groups)";
  if (obs && attrString(obs.attrs, "encoding-version") === "0.1.0") {
    return "anndata 0.7 (arrays and mappings without encoding attributes, dataframes 0.1.0 with categories in __categories)";
  }
  return "anndata < 0.8 or another writer (no encoding attributes on the root)";
}

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
