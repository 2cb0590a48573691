// The few AnnData elements a single-cell image dataset needs eagerly (obs,
// var, uns/single_cell_images): small arrays, read through format's encoding
// registry, a dataframe's columns in parallel (over HTTP each is a request).
import type { AttrValue, DataFrame, Elem, NDArray, Nullable, StoreReader, TypedArray } from "@cellfolio/format";
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

/** An NDArray as a plain JS value: 0-d -> scalar, 1-d -> array; bigints become numbers. */
export function toValue(a: NDArray): unknown {
  const conv = (x: unknown) => (typeof x === "bigint" ? Number(x) : a.dtype === "bool" ? Boolean(x) : x);
  const data = a.data as ArrayLike<unknown>;
  if (a.shape.length === 0) return conv(data[0]);
  return Array.from(data, conv);
}

/** An attribute as a plain JS value (NDArrays unpacked as `toValue` does). */
export function attrValue(v: AttrValue): unknown {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && "data" in v && "dtype" in v && "shape" in v) {
    return toValue(v as NDArray);
  }
  if (typeof v === "bigint") return Number(v);
  return v;
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

/** A group's children as plain values (encoded dict or h5py's untagged group); subgroups recurse. */
export async function readPlainGroup(store: StoreReader, path: string): Promise<Record<string, unknown>> {
  const names = await store.list(path);
  const values = await Promise.all(
    names.map(async (name) => {
      const p = `${path}/${name}`;
      const node = await store.get(p);
      if (!node) return undefined;
      return node.kind === "group" ? readPlainGroup(store, p) : toValue(await store.readArray(p));
    }),
  );
  const out: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (values[i] !== undefined) out[name] = values[i];
  });
  return out;
}
