// "dataframe" 0.2.0 (and 0.1.0, anndata 0.7, whose categoricals keep their
// categories in `__categories/<col>`): a group with one element per column,
// the index at the child named by `_index`, the order in `column-order`.
import { FormatError } from "../errors.js";
import type { DataFrame, Elem } from "../model.js";
import type { NDArray, NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import { legacyCategorical } from "./categorical.js";
import {
  attempt,
  attrString,
  attrStringList,
  encodingAttrs,
  expectGroup,
  isHandle,
  join,
  loadArray,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
  withExtra,
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

export function dataframeReader(version: "0.1.0" | "0.2.0") {
  return async (ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> => {
    expectGroup(ctx, path, node, "a dataframe");
    const indexName = attrString(node.attrs, "_index");
    if (indexName === undefined) throw new FormatError(ctx.reader.source, path, "dataframe without an _index attribute");
    const indexPath = join(path, indexName);
    const indexNode = await ctx.reader.get(indexPath);
    let index: NDArray;
    let indexElem: Elem | undefined;
    if (indexNode?.kind === "group" && indexNode.attrs["encoding-type"] === "nullable-string-array") {
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
    const columnOrder = attrStringList(node.attrs, "column-order");
    const columns: Record<string, Elem> = {};
    const kept: string[] = [];
    for (const col of columnOrder) {
      const colPath = join(path, col);
      const elem = await attempt(ctx, colPath, async () => {
        if (version === "0.1.0") {
          const catPath = join(join(path, "__categories"), col);
          if (await ctx.reader.get(catPath)) return legacyCategorical(ctx, colPath, catPath);
        }
        return readColumn(ctx, colPath);
      });
      if (elem !== undefined) {
        columns[col] = elem;
        kept.push(col);
      }
    }
    const df: DataFrame = { kind: "dataframe", index: indexValues(index), indexName, columns, columnOrder: kept };
    if (indexElem) df.indexElem = indexElem;
    return setExtraAttrs(df, node.attrs);
  };
}

export function indexArray(df: DataFrame): NDArray {
  return Array.isArray(df.index) ? { dtype: "string", shape: [df.index.length], data: df.index } : df.index;
}

export async function writeDataFrame(ctx: WriteContext, path: string, elem: Elem): Promise<void> {
  const df = elem as DataFrame;
  const indexName = df.indexName || "_index";
  const order = df.columnOrder.filter((c) => c in df.columns);
  for (const c of order) checkKey(ctx.writer.target, path, c);
  // h5py stores an empty list attribute as an empty float64 array; Zarr as [].
  const columnOrder =
    order.length === 0 && ctx.writer.backend === "hdf5" ? { dtype: "float64" as const, shape: [0], data: new Float64Array(0) } : order;
  await ctx.writer.createGroup(
    path,
    withExtra(elem, { _index: indexName, "column-order": columnOrder, ...encodingAttrs("dataframe", "0.2.0") }),
  );
  const stored = df.indexElem;
  if (stored && "kind" in stored && stored.kind === "nullable-string-array" && stored.values.shape[0] === indexArray(df).shape[0]) {
    await ctx.write(join(path, indexName), stored);
    for (const c of order) await ctx.write(join(path, c), df.columns[c]);
    return;
  }
  const index = indexArray(df);
  await writePlainArray(ctx, join(path, indexName), index, encodingAttrs(index.dtype === "string" ? "string-array" : "array", "0.2.0"));
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
