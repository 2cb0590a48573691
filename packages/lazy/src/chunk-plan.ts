// Which chunks a read of cells needs, and in which groups to read them: pure
// functions of the chunk grid and the read, for Dataset's two paths (through
// the chunk cache, and row by row).

/** The chunk indices along one axis of `values` (sorted, each once). */
function chunksOf(values: Iterable<number>, k: number): number[] {
  return [...new Set(Array.from(values, (v) => Math.floor(v / k)))].sort((a, b) => a - b);
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/**
 * The chunks of `grid` that rows x chans in the window (y0, x0, s) touch, in
 * row order (neighbouring reads in the file and in the chunk index), as runs
 * of neighbouring channel chunks not `held` (read as one block, which costs a
 * backend about half as much as chunk by chunk); a held chunk is a run alone.
 * Lazily, so that `held` sees what the caller started for the runs before.
 */
export function* planChunkReads(grid: readonly number[], rows: Iterable<number>, chans: number[], y0: number, x0: number, s: number, held: (coords: number[]) => boolean): Generator<number[][]> {
  const [kn, kc, ky, kx] = grid;
  const yChunks = range(Math.floor(y0 / ky), Math.floor((y0 + s - 1) / ky));
  const xChunks = range(Math.floor(x0 / kx), Math.floor((x0 + s - 1) / kx));
  const cChunks = chunksOf(chans, kc);
  for (const rn of chunksOf(rows, kn)) {
    for (const yy of yChunks) {
      for (const xx of xChunks) {
        let run: number[][] = [];
        for (const cc of cChunks) {
          const coords = [rn, cc, yy, xx];
          if (held(coords)) {
            if (run.length) yield run;
            yield [coords];
            run = [];
          } else {
            if (run.length && run[run.length - 1][1] !== cc - 1) {
              yield run;
              run = [];
            }
            run.push(coords);
          }
        }
        if (run.length) yield run;
      }
    }
  }
}

/** The channel spans [c0, c1) to read for `chans`: neighbouring chunks of the channels asked for, merged. */
export function channelRuns(chans: number[], kc: number, nChannels: number): [number, number][] {
  const runs: [number, number][] = [];
  for (const cc of chunksOf(chans, kc)) {
    const last = runs[runs.length - 1];
    if (last && last[1] === cc * kc) last[1] = Math.min(nChannels, (cc + 1) * kc);
    else runs.push([cc * kc, Math.min(nChannels, (cc + 1) * kc)]);
  }
  return runs;
}
