// Sizes and typed-array constructors of the element dtypes, in one table.
import { FormatError } from "./errors.js";
import type { DType, NDArray, TypedArray } from "./types.js";

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

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
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
 * `srcStart` into `dst` (shape `dstShape`) at `dstStart`. The last axis is
 * copied as one run (typed-array `set`), so this is memcpy-speed for C-order boxes.
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
  const rank = count.length;
  if (rank === 0) {
    (dst as any)[0] = (src as any)[0];
    return;
  }
  if (count.some((c) => c === 0)) return;
  // Trailing axes that are whole in source, destination and box are one
  // contiguous run: merge them, so a (1, 5, 128, 128) chunk is one `set`, not 640.
  let k = rank - 1;
  while (k > 0 && count[k] === srcShape[k] && count[k] === dstShape[k]) k--;
  if (k < rank - 2) {
    const whole = product(srcShape.slice(k + 1));
    const merge = (v: readonly number[]) => [...v.slice(0, k), v[k] * whole];
    copyBlock(src, merge(srcShape), merge(srcStart), dst, merge(dstShape), merge(dstStart), merge(count));
    return;
  }
  const srcStrides = strides(srcShape);
  const dstStrides = strides(dstShape);
  const run = count[rank - 1];
  const idx = new Array(rank - 1).fill(0);
  const typed = !Array.isArray(src);
  for (;;) {
    let so = srcStart[rank - 1];
    let doff = dstStart[rank - 1];
    for (let a = 0; a < rank - 1; a++) {
      so += (srcStart[a] + idx[a]) * srcStrides[a];
      doff += (dstStart[a] + idx[a]) * dstStrides[a];
    }
    if (typed) {
      (dst as TypedArray).set((src as any).subarray(so, so + run), doff);
    } else {
      for (let i = 0; i < run; i++) (dst as string[])[doff + i] = (src as string[])[so + i];
    }
    let a = rank - 2;
    while (a >= 0) {
      if (++idx[a] < count[a]) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
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
