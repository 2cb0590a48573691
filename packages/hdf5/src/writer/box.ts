// Copying a box of elements between two C-order arrays, one run of the
// innermost axis at a time (typed-array `set` for bytes).

function forEachRun(
  srcShape: readonly number[],
  srcStart: readonly number[],
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
  fn: (srcOffset: number, dstOffset: number, run: number) => void,
): void {
  const rank = count.length;
  if (rank === 0) {
    fn(0, 0, 1);
    return;
  }
  if (count.some((c) => c === 0)) return;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  const run = count[rank - 1];
  const idx = new Array(rank - 1).fill(0);
  for (;;) {
    let so = srcStart[rank - 1];
    let dof = dstStart[rank - 1];
    for (let a = 0; a < rank - 1; a++) {
      so += (srcStart[a] + idx[a]) * ss[a];
      dof += (dstStart[a] + idx[a]) * ds[a];
    }
    fn(so, dof, run);
    let a = rank - 2;
    while (a >= 0) {
      if (++idx[a] < count[a]) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
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
  for (const d of shape) n *= d;
  return n;
}

/** Box copy of elements of `size` bytes. */
export function copyBytesBox(
  src: Uint8Array,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: Uint8Array,
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
  size: number,
): void {
  forEachRun(srcShape, srcStart, dstShape, dstStart, count, (so, dof, run) => {
    dst.set(src.subarray(so * size, (so + run) * size), dof * size);
  });
}

/** Box copy of array elements (strings). */
export function copyItemsBox<T>(
  src: readonly T[],
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: T[],
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
): void {
  forEachRun(srcShape, srcStart, dstShape, dstStart, count, (so, dof, run) => {
    for (let i = 0; i < run; i++) dst[dof + i] = src[so + i];
  });
}

/** The runs (element offset in the array, offset in the block, length) of a block of a C-order array. */
export function blockRuns(shape: readonly number[], start: readonly number[], count: readonly number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  // merge trailing axes the block covers whole into one run
  let k = shape.length;
  while (k > 1 && count[k - 1] === shape[k - 1] && start[k - 1] === 0) k--;
  const inner = product(shape.slice(k));
  const outerShape = [...shape.slice(0, k - 1), shape[k - 1] * inner];
  const outerStart = [...start.slice(0, k - 1), (start[k - 1] ?? 0) * inner];
  const outerCount = [...count.slice(0, k - 1), (count[k - 1] ?? 1) * inner];
  if (shape.length === 0) return [[0, 0, 1]];
  const blockShape = outerCount;
  forEachRun(outerShape, outerStart, blockShape, outerCount.map(() => 0), outerCount, (so, dof, run) => out.push([so, dof, run]));
  return out;
}
