// AnnData in memory: the values the element registry reads and writes.
// Dense arrays are plain NDArrays; every other element carries `kind`, named
// after its anndata encoding-type.
import type { ArrayInfo, Attrs, DType, FieldText, NDArray, StoreReader } from "./types.js";

export interface DataFrame {
  kind: "dataframe";
  /** The index values (obs names / var names). */
  index: string[] | NDArray;
  /** The `_index` attribute: name of the index column on disk ("_index" by default). */
  indexName: string;
  /**
   * The index element as stored when it is not a plain array: anndata >= 0.13
   * under pandas 3 writes a string index as a "nullable-string-array" group.
   * Written back as such while `index` holds its values.
   */
  indexElem?: Elem;
  /** Columns in `column-order` order. */
  columns: Record<string, Elem>;
  columnOrder: string[];
}

export interface Categorical {
  kind: "categorical";
  /** Signed integer codes; -1 is a missing value. */
  codes: NDArray;
  categories: NDArray;
  ordered: boolean;
}

export interface Nullable {
  kind: "nullable-integer" | "nullable-boolean" | "nullable-string-array";
  values: NDArray;
  /** bool, 1 where the value is missing. */
  mask: NDArray;
  /** nullable-string-array only: anndata's optional `na-value` attribute. */
  naValue?: string;
}

export interface SparseMatrix {
  kind: "csr_matrix" | "csc_matrix";
  shape: [number, number];
  data: NDArray;
  indices: NDArray;
  indptr: NDArray;
}

export interface Dict {
  kind: "dict";
  items: Record<string, Elem>;
}

/** A 0-d value: encoding `numeric-scalar` (numbers, bools) or `string`. */
export interface Scalar {
  kind: "numeric-scalar" | "string";
  dtype: DType;
  value: number | bigint | boolean | string;
}

/** anndata's awkward-array: its buffers and the form/length attributes, kept as they are. */
export interface AwkwardArray {
  kind: "awkward-array";
  form: string;
  length: number;
  buffers: Record<string, NDArray>;
}

/** A rec-array (structured numpy array) as columns. */
export interface RecArray {
  kind: "rec-array";
  fields: Record<string, NDArray>;
  /** How each string field was stored (fixed bytes, UTF-32, variable length), where the source said. */
  text?: Record<string, FieldText>;
}

export interface NullElem {
  kind: "null";
}

/**
 * A dense array left on disk: read lazily, copied chunk by chunk. Readers hand
 * these out for large arrays so that nothing loads a whole dataset.
 */
export interface ArrayHandle {
  kind: "array-handle";
  reader: StoreReader;
  path: string;
  info: ArrayInfo;
}

export type Elem =
  | NDArray
  | ArrayHandle
  | DataFrame
  | Categorical
  | Nullable
  | SparseMatrix
  | Dict
  | Scalar
  | AwkwardArray
  | RecArray
  | NullElem;

export interface AnnData {
  obs: DataFrame;
  var: DataFrame;
  X?: Elem;
  layers: Record<string, Elem>;
  obsm: Record<string, Elem>;
  varm: Record<string, Elem>;
  obsp: Record<string, Elem>;
  varp: Record<string, Elem>;
  uns: Record<string, Elem>;
  raw?: { X?: Elem; var: DataFrame; varm: Record<string, Elem> };
  /** Root attributes as found (encoding-type "anndata" etc.). */
  attrs?: Attrs;
}

/** An element that could not be read, kept so that a partial AnnData still opens. */
export interface ReadProblem {
  path: string;
  message: string;
}
