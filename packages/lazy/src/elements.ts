// The AnnData dataframes a single-cell image dataset needs eagerly (obs,
// var; uns is format's readSingleCellLayout): small arrays, read through
// format's encoding registry, a dataframe's columns in parallel (over HTTP
// each is a request).
import type { DataFrame, Elem, NDArray, Nullable, StoreReader, TypedArray } from "@cellfolio/format";
import { readElem } from "@cellfolio/format";
import { DatasetError } from "./errors.js";

export type Column = TypedArray | string[];

export interface Frame {
  /** The index (obs / var names). */
  index: string[];
  /** Columns in column-order; categoricals decoded to their category strings. */
  columns: Record<string, Column>;
  /** Categorical columns: codes (-1 = missing) and categories. */
  categorical: Record<string, { codes: Int32Array; categories: string[] }>;
}

function asStrings(a: NDArray): string[] {
  return Array.from(a.data as ArrayLike<unknown>, (x) => (typeof x === "string" ? x : String(x)));
}

/** A column as lazy hands it out: categoricals decoded to their category strings, nullables as their values. */
function column(source: string, path: string, elem: Elem, frame: Frame, name: string): Column {
  if (!("kind" in elem)) return elem.dtype === "string" ? asStrings(elem) : (elem.data as TypedArray);
  if (elem.kind === "categorical") {
    const codes = Int32Array.from(elem.codes.data as ArrayLike<number>, Number);
    const categories = asStrings(elem.categories);
    frame.categorical[name] = { codes, categories };
    return Array.from(codes, (k) => (k < 0 ? "" : categories[k]));
  }
  if (elem.kind.startsWith("nullable")) {
    const { values } = elem as Nullable;
    return values.dtype === "string" ? asStrings(values) : (values.data as TypedArray);
  }
  throw new DatasetError(source, path, `unsupported column encoding ${JSON.stringify(elem.kind)}`);
}

/**
 * A dataframe through the encoding registry: its index and all columns, or
 * only the columns `only` (a partial read, without the index).
 */
export async function readFrame(store: StoreReader, path: string, only?: string[]): Promise<Frame> {
  const df = (await readElem(store, path, { handleThreshold: Number.POSITIVE_INFINITY, ...(only ? { columns: only } : {}) })) as DataFrame;
  if (df.kind !== "dataframe") throw new DatasetError(store.source, path, "expected an AnnData dataframe");
  const frame: Frame = { index: Array.isArray(df.index) ? df.index : asStrings(df.index), columns: {}, categorical: {} };
  for (const name of df.columnOrder) frame.columns[name] = column(store.source, `${path}/${name}`, df.columns[name], frame, name);
  return frame;
}

export const emptyFrame = (): Frame => ({ index: [], columns: {}, categorical: {} });

/** The dataframe at `path` (its columns `only`), or an empty one where the store has none. */
export const frameOrEmpty = async (store: StoreReader, path: string, only?: string[]): Promise<Frame> => ((await store.get(path)) ? readFrame(store, path, only) : emptyFrame());
