// The AnnData dataframes a single-cell image dataset needs eagerly (obs,
// var; uns is format's readSingleCellLayout), read straight from StoreReader primitives so
// that opening reads only these small arrays.
import type { AttrValue, NDArray, StoreReader, TypedArray } from "@cellfolio/format";
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

/** Strings out of an attribute that may be a JS array or a string NDArray. */
export function attrStrings(v: AttrValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === "object" && "data" in v && "dtype" in v) return Array.from(v.data as ArrayLike<unknown>, (x) => String(x));
  return [String(v)];
}

function asStrings(a: NDArray): string[] {
  return Array.from(a.data as ArrayLike<unknown>, (x) => (typeof x === "string" ? x : String(x)));
}

async function readColumn(store: StoreReader, path: string, frame: Frame, name: string): Promise<Column> {
  const node = await store.get(path);
  if (!node) throw new DatasetError(store.source, path, "column listed in column-order is missing");
  if (node.kind === "array") {
    const a = await store.readArray(path);
    return a.dtype === "string" ? asStrings(a) : (a.data as TypedArray);
  }
  const enc = node.attrs["encoding-type"];
  if (enc === "categorical") {
    const codes = await store.readArray(`${path}/codes`);
    const categories = asStrings(await store.readArray(`${path}/categories`));
    const c = Int32Array.from(codes.data as ArrayLike<number>, Number);
    frame.categorical[name] = { codes: c, categories };
    return Array.from(c, (k) => (k < 0 ? "" : categories[k]));
  }
  if (typeof enc === "string" && enc.startsWith("nullable")) {
    const values = await store.readArray(`${path}/values`);
    return values.dtype === "string" ? asStrings(values) : (values.data as TypedArray);
  }
  throw new DatasetError(store.source, path, `unsupported column encoding ${JSON.stringify(enc)}`);
}

/** Column names of a dataframe group, from its attributes (no data read). */
export async function frameColumns(store: StoreReader, path: string): Promise<string[]> {
  const node = await store.get(path);
  if (node?.kind !== "group") return [];
  return attrStrings(node.attrs["column-order"]);
}

/**
 * A dataframe group (anndata dataframe 0.2.0 / 0.1.0): its index and all
 * columns, or only `only` (and then not the index).
 */
export async function readFrame(store: StoreReader, path: string, only?: string[]): Promise<Frame> {
  const node = await store.get(path);
  if (!node) throw new DatasetError(store.source, path, "missing (expected an AnnData dataframe)");
  if (node.kind !== "group") throw new DatasetError(store.source, path, "expected a dataframe group, found an array");
  const indexName = typeof node.attrs._index === "string" ? node.attrs._index : "_index";
  let order = attrStrings(node.attrs["column-order"]);
  if (order.length === 0 && node.attrs["column-order"] === undefined) {
    order = (await store.list(path)).filter((n) => n !== indexName && n !== "__categories");
  }
  const frame: Frame = { index: [], columns: {}, categorical: {} };
  if (only) {
    order = order.filter((c) => only.includes(c));
  } else {
    const idx = await store.get(`${path}/${indexName}`);
    if (idx?.kind === "array") frame.index = asStrings(await store.readArray(`${path}/${indexName}`));
    // anndata >= 0.12 under pandas 3 writes a string index as a nullable-string-array group
    else if (idx?.kind === "group" && idx.attrs["encoding-type"] === "nullable-string-array") {
      frame.index = asStrings(await store.readArray(`${path}/${indexName}/values`));
    }
  }
  // Columns in parallel: over HTTP each is a request of its own.
  const cols = await Promise.all(order.map((name) => readColumn(store, `${path}/${name}`, frame, name)));
  order.forEach((name, i) => {
    frame.columns[name] = cols[i];
  });
  return frame;
}

