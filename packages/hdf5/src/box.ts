// Boxes of elements of C-order arrays: copying a box as few long runs as
// possible (trailing dimensions that are whole in both arrays merge into one
// run). The one n-dimensional box of the project: HDF5's reader and writer,
// and format's Zarr reader and writer (through copyElements).

export interface Box {
  srcShape: readonly number[];
  srcStart: readonly number[];
  dstShape: readonly number[];
  dstStart: readonly number[];
  count: readonly number[];
}

/** Calls `run(srcByteOffset, dstByteOffset, byteLength)` for each contiguous run of the box. */
export function forEachRun(box: Box, elementSize: number, run: (src: number, dst: number, len: number) => void): void {
  const { srcShape, srcStart, dstShape, dstStart, count } = box;
  const rank = count.length;
  if (count.some((c) => c === 0)) return;
  if (rank === 0) {
    run(0, 0, elementSize);
    return;
  }
  // Merge trailing dimensions the box spans whole in source and destination.
  let inner = rank - 1;
  let runElems = count[inner];
  while (inner > 0 && count[inner] === srcShape[inner] && count[inner] === dstShape[inner]) {
    inner--;
    runElems *= count[inner];
  }
  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  const runBytes = runElems * elementSize;
  const idx = new Array(inner).fill(0);
  for (;;) {
    let s = srcStart[inner] * srcStrides[inner];
    let d = dstStart[inner] * dstStrides[inner];
    for (let a = 0; a < inner; a++) {
      s += (srcStart[a] + idx[a]) * srcStrides[a];
      d += (dstStart[a] + idx[a]) * dstStrides[a];
    }
    for (let a = inner + 1; a < rank; a++) {
      s += srcStart[a] * srcStrides[a];
      d += dstStart[a] * dstStrides[a];
    }
    run(s * elementSize, d * elementSize, runBytes);
    let a = inner - 1;
    while (a >= 0) {
      if (++idx[a] < count[a]) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

/** Box copy of bytes, elements of `elementSize` bytes. */
export function copyBox(src: Uint8Array, dst: Uint8Array, box: Box, elementSize: number): void {
  forEachRun(box, elementSize, (s, d, len) => {
    dst.set(src.subarray(s, s + len), d);
  });
}

type Elements = { subarray(a: number, b: number): ArrayLike<number | bigint>; set(v: ArrayLike<number | bigint>, at: number): void };

/** Box copy of elements: of a typed array (one `set` a run) or a plain array (strings). */
export function copyElements<T>(src: Elements | readonly T[], dst: Elements | T[], box: Box): void {
  if ("subarray" in src) {
    forEachRun(box, 1, (s, d, len) => (dst as Elements).set(src.subarray(s, s + len), d));
  } else {
    forEachRun(box, 1, (s, d, len) => {
      for (let i = 0; i < len; i++) (dst as T[])[d + i] = src[s + i];
    });
  }
}

/** The runs (element offset in the array, offset in the block, length) of a block of a C-order array. */
export function blockRuns(shape: readonly number[], start: readonly number[], count: readonly number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  const box = { srcShape: shape, srcStart: start, dstShape: count, dstStart: count.map(() => 0), count };
  forEachRun(box, 1, (s, d, len) => out.push([s, d, len]));
  return out;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
