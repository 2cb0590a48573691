// "dataframe" 0.2.0 (and 0.1.0, anndata 0.7, whose categoricals keep their
// categories in `__categories/<col>`): a group with one element per column,
// the index at the child named by `_index`, the order in `column-order`.
import { FormatError } from "../errors.js";
import type { DataFrame, Elem } from "../model.js";
import type { Attrs, NDArray, NodeInfo, StoreReader } from "../types.js";
import { legacyCategorical } from "./categorical.js";
import {
  attempt,
  attrString,
  attrStringList,
  type CheckContext,
  checkChild,
  expectGroup,
  isHandle,
  join,
  loadArray,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
} from "./context.js";
import { checkKey } from "./dict.js";

async function readColumn(ctx: ReadContext, path: string): Promise<Elem> {
  const node = await ctx.reader.get(path);
  if (node?.kind === "array" && node.attrs["encoding-type"] === undefined && !node.fields) return ctx.reader.readArray(path);
  const elem = await ctx.read(path);
  return isHandle(elem) ? loadArray(elem) : elem;
}

function indexValues(arr: NDArray): string[] | NDArray {
  return arr.dtype === "string" ? (arr.data as string[]) : arr;
}

/** `v0_7`: anndata 0.7's dataframe (0.1.0), with categories in __categories/<col>. */
export function dataframeReader(v0_7: boolean) {
  return async (ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> => {
    expectGroup(ctx, path, node, "a dataframe");
    const indexName = attrString(node.attrs, "_index");
    if (indexName === undefined) throw new FormatError(ctx.reader.source, path, "dataframe without an _index attribute");
    const indexPath = join(path, indexName);
    const only = ctx.partial?.path === path ? ctx.partial.columns : undefined;
    const indexNode = only ? null : await ctx.reader.get(indexPath);
    let index: NDArray | string[];
    let indexElem: Elem | undefined;
    if (only) {
      index = [];
    } else if (indexNode?.kind === "group" && indexNode.attrs["encoding-type"] === "nullable-string-array") {
      // anndata >= 0.13 with pandas 3: the index is a nullable string array (none of it missing).
      const elem = await ctx.read(indexPath);
      if (!("kind" in elem) || elem.kind !== "nullable-string-array") {
        throw new FormatError(ctx.reader.source, indexPath, "expected the dataframe index (a nullable-string-array)");
      }
      if ((elem.mask.data as Uint8Array).some((m) => m !== 0)) {
        throw new FormatError(ctx.reader.source, indexPath, "the dataframe index has missing values");
      }
      index = elem.values;
      indexElem = elem;
    } else {
      index = await readWhole(ctx, indexPath, "the dataframe index");
    }
    const columnOrder = attrStringList(node.attrs, "column-order").filter((c) => !only || only.includes(c));
    // in parallel: over HTTP each column is a request of its own
    const read = await Promise.all(
      columnOrder.map((col) => {
        const colPath = join(path, col);
        return attempt(ctx, colPath, async () => {
          if (v0_7) {
            const catPath = join(join(path, "__categories"), col);
            if (await ctx.reader.get(catPath)) return legacyCategorical(ctx, colPath, catPath);
          }
          return readColumn(ctx, colPath);
        });
      }),
    );
    const columns: Record<string, Elem> = {};
    const kept: string[] = [];
    columnOrder.forEach((col, i) => {
      const elem = read[i];
      if (elem === undefined) return;
      columns[col] = elem;
      kept.push(col);
    });
    const df: DataFrame = { kind: "dataframe", index: Array.isArray(index) ? index : indexValues(index), indexName, columns, columnOrder: kept };
    if (indexElem) df.indexElem = indexElem;
    return setExtraAttrs(df, node.attrs);
  };
}

export function indexArray(df: DataFrame): NDArray {
  return Array.isArray(df.index) ? { dtype: "string", shape: [df.index.length], data: df.index } : df.index;
}

/** Rows of a dataframe: the length of its index (an array, or anndata 0.13's nullable-string-array). */
export async function dataframeShape(reader: StoreReader, path: string, node: NodeInfo): Promise<number[] | null> {
  const index = join(path, attrString(node.attrs, "_index") ?? "_index");
  const idx = await reader.get(index);
  const values = idx?.kind === "group" ? await reader.get(join(index, "values")) : idx;
  return values?.kind === "array" ? values.shape.slice(0, 1) : null;
}

/** `v0_7`: anndata 0.7's dataframe (0.1.0), whose columns are arrays without encoding attributes. */
export const dataframeChecker = (v0_7: boolean) => (ctx: CheckContext, path: string, node: NodeInfo) => checkDataFrame(ctx, path, node, v0_7);

export async function checkDataFrame(ctx: CheckContext, path: string, node: NodeInfo, plain = false): Promise<void> {
  const indexName = attrString(node.attrs, "_index");
  if (!indexName) ctx.error(path, 'dataframe without an "_index" attribute');
  if (node.attrs["column-order"] === undefined) ctx.error(path, 'dataframe without a "column-order" attribute');
  const n = indexName ? (await dataframeShape(ctx.reader, path, node).catch(() => null))?.[0] ?? null : null;
  if (indexName) {
    const index = await checkChild(ctx, path, indexName, "dataframe");
    if (index?.kind === "group" && attrString(index.attrs, "encoding-type") !== "nullable-string-array") {
      ctx.error(join(path, indexName), "the index must be an array or a nullable-string-array");
    } else if (index) await ctx.check(join(path, indexName), index, plain);
  }
  for (const name of attrStringList(node.attrs, "column-order")) {
    const c = await checkChild(ctx, path, name, "dataframe");
    if (!c) continue;
    await ctx.check(join(path, name), c, plain);
    const len = (await ctx.shape(join(path, name), c))?.[0];
    if (n !== null && len !== undefined && len !== n) ctx.error(join(path, name), `column of length ${len}, the index has ${n}`);
  }
}

export async function writeDataFrame(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const df = elem as DataFrame;
  const indexName = df.indexName || "_index";
  const order = df.columnOrder.filter((c) => c in df.columns);
  for (const c of order) checkKey(ctx.writer.target, path, c);
  // h5py stores an empty list attribute as an empty float64 array; Zarr as [].
  const columnOrder =
    order.length === 0 && ctx.writer.backend === "hdf5" ? { dtype: "float64" as const, shape: [0], data: new Float64Array(0) } : order;
  await ctx.writer.createGroup(path, { _index: indexName, "column-order": columnOrder, ...attrs });
  const stored = df.indexElem;
  if (stored && "kind" in stored && stored.kind === "nullable-string-array" && stored.values.shape[0] === indexArray(df).shape[0]) {
    await ctx.write(join(path, indexName), stored);
    for (const c of order) await ctx.write(join(path, c), df.columns[c]);
    return;
  }
  await ctx.write(join(path, indexName), indexArray(df));
  for (const c of order) await ctx.write(join(path, c), df.columns[c]);
}

/** A dataframe with an index and no columns (what anndata makes of a missing obs/var). */
export function emptyFrame(n: number): DataFrame {
  return {
    kind: "dataframe",
    index: Array.from({ length: n }, (_, i) => String(i)),
    indexName: "_index",
    columns: {},
    columnOrder: [],
  };
}
