// Boxes of elements of C-order arrays, shared by the reader and the writer:
// copying a box as few long runs as possible (trailing dimensions that are
// whole in both arrays merge into one run).

export interface Box {
  srcShape: number[];
  srcStart: number[];
  dstShape: number[];
  dstStart: number[];
  count: number[];
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

export function copyBox(src: Uint8Array, dst: Uint8Array, box: Box, elementSize: number): void {
  forEachRun(box, elementSize, (s, d, len) => {
    dst.set(src.subarray(s, s + len), d);
  });
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
