// Sizes and typed-array constructors of the element dtypes, in one table.
import { copyElements, product } from "@cellfolio/hdf5";
import { FormatError } from "./errors.js";
import type { DType, NDArray, TypedArray } from "./types.js";

// One home for the n-dimensional box arithmetic: hdf5's.
export { product, stridesOf as strides } from "@cellfolio/hdf5";

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const TABLE: Record<Exclude<DType, "string">, TypedArrayConstructor> = {
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function typedArrayFor(dtype: Exclude<DType, "string">): TypedArrayConstructor {
  return TABLE[dtype];
}

/** Bytes per element; 0 for variable-length strings. */
export function itemSize(dtype: DType): number {
  return dtype === "string" ? 0 : TABLE[dtype].BYTES_PER_ELEMENT;
}

/** A zero-filled array (empty strings for "string"). */
export function allocate(dtype: DType, shape: number[]): NDArray {
  const n = product(shape);
  if (dtype === "string") return { dtype, shape, data: new Array<string>(n).fill("") };
  return { dtype, shape, data: new TABLE[dtype](n) };
}

/** numpy's dtype string for a little-endian dtype, as Zarr v2 and h5py name it. */
export function numpyTypestr(dtype: Exclude<DType, "string">): string {
  switch (dtype) {
    case "bool":
      return "|b1";
    case "int8":
      return "|i1";
    case "uint8":
      return "|u1";
    default: {
      const kind = dtype.startsWith("float") ? "f" : dtype.startsWith("uint") ? "u" : "i";
      return `<${kind}${itemSize(dtype)}`;
    }
  }
}

/** Copies the hyperslab `start`/`shape` of `src` (full array `srcShape`) into a new array. */
export function sliceArray(src: NDArray, start: number[], shape: number[]): NDArray {
  const out = allocate(src.dtype, shape);
  copyBlock(src.data, src.shape, start, out.data, shape, new Array(shape.length).fill(0), shape);
  return out;
}

/**
 * Copies a box of `count` elements per axis from `src` (shape `srcShape`) at
 * `srcStart` into `dst` (shape `dstShape`) at `dstStart`, as few long runs
 * as the shapes allow (hdf5's box copy: a (1, 5, 128, 128) chunk is one `set`).
 */
export function copyBlock(
  src: TypedArray | string[],
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: TypedArray | string[],
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
): void {
  copyElements(src as any, dst as any, { srcShape, srcStart, dstShape, dstStart, count });
}

/** The caller's `into` (readBlock's option) for a block of `dtype` and `shape`, checked: a view of its first elements. */
export function intoView(into: TypedArray, dtype: DType, shape: number[], source: string, path: string): TypedArray {
  const n = product(shape);
  const T = dtype === "string" ? null : typedArrayFor(dtype);
  if (!T || into.constructor !== T || into.length < n) {
    throw new FormatError(source, path, `into: expected ${T ? `a ${T.name} of at least ${n} elements` : "no buffer (a string array)"} for ${dtype} ${JSON.stringify(shape)}`);
  }
  return into.subarray(0, n);
}

/** A block read as usual, then copied into the caller's `into` (for backends that cannot read in place). */
export function intoBuffer(block: NDArray, into: TypedArray | undefined, source: string, path: string): NDArray {
  if (!into) return block;
  const data = intoView(into, block.dtype, block.shape, source, path);
  (data as any).set(block.data);
  return { dtype: block.dtype, shape: block.shape, data } as NDArray;
}
