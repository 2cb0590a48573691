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
  /**
   * Columns in column-order; categoricals decoded to their category strings.
   * At the rows `missing` marks, a value is a placeholder, not data (a
   * nullable's stored fill, often 0 / false / ""; a categorical's "").
   */
  columns: Record<string, Column>;
  /** Categorical columns: codes (-1 = missing) and categories. */
  categorical: Record<string, { codes: Int32Array; categories: string[] }>;
  /**
   * Every nullable (pandas Int*, boolean, string with <NA>) and categorical
   * column: 1 at the rows whose value is missing, else 0. Other columns have
   * no entry: a plain array cannot mark a value missing (a float's NaN stays
   * a value).
   */
  missing: Record<string, Uint8Array>;
}

export const emptyFrame = (): Frame => ({ index: [], columns: {}, categorical: {}, missing: {} });

function asStrings(a: NDArray): string[] {
  return Array.from(a.data as ArrayLike<unknown>, (x) => (typeof x === "string" ? x : String(x)));
}

/**
 * A column as lazy hands it out: categoricals decoded to their category
 * strings, nullables as their values (the same array types as their
 * non-nullable kin); where a value can be missing, its mask in frame.missing.
 */
function column(source: string, path: string, elem: Elem, frame: Frame, name: string): Column {
  if (!("kind" in elem)) return elem.dtype === "string" ? asStrings(elem) : (elem.data as TypedArray);
  if (elem.kind === "categorical") {
    const codes = Int32Array.from(elem.codes.data as ArrayLike<number>, Number);
    const categories = asStrings(elem.categories);
    frame.categorical[name] = { codes, categories };
    frame.missing[name] = Uint8Array.from(codes, (k) => (k < 0 ? 1 : 0));
    return Array.from(codes, (k) => (k < 0 ? "" : categories[k]));
  }
  if (elem.kind.startsWith("nullable")) {
    const { values, mask } = elem as Nullable;
    frame.missing[name] = Uint8Array.from(mask.data as ArrayLike<number | boolean>, (m) => (m ? 1 : 0));
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
  const frame: Frame = { ...emptyFrame(), index: Array.isArray(df.index) ? df.index : asStrings(df.index) };
  for (const name of df.columnOrder) frame.columns[name] = column(store.source, `${path}/${name}`, df.columns[name], frame, name);
  return frame;
}

/** The dataframe at `path` (its columns `only`), or an empty one where the store has none. */
export const frameOrEmpty = async (store: StoreReader, path: string, only?: string[]): Promise<Frame> => ((await store.get(path)) ? readFrame(store, path, only) : emptyFrame());
