// Default chunk shape, following h5py's documented heuristic: aim for a chunk
// of 8 KiB..1 MiB that grows with the dataset's size, halving axes in turn
// (first to last) until the chunk is small enough.
const BASE = 16 * 1024;
const MIN = 8 * 1024;
const MAX = 1024 * 1024;

export function guessChunks(shape: readonly number[], elementSize: number): number[] {
  const chunks = shape.map((d) => (d === 0 ? 1024 : d));
  const rank = chunks.length;
  const total = chunks.reduce((a, b) => a * b, 1) * elementSize;
  let target = BASE * 2 ** Math.log10(total / (1024 * 1024));
  target = Math.min(MAX, Math.max(MIN, target));
  for (let i = 0; ; i++) {
    const n = chunks.reduce((a, b) => a * b, 1);
    const bytes = n * elementSize;
    if ((bytes < target || Math.abs(bytes - target) / target < 0.5) && bytes < MAX) break;
    if (n === 1) break;
    chunks[i % rank] = Math.ceil(chunks[i % rank] / 2);
  }
  return chunks.map((c, i) => (shape[i] === 0 ? c : Math.min(c, shape[i])));
}
