// Child of scripts/fuzz.mjs: opens a dataset with @cellfolio/lazy and reads
// every cell twice (through the chunk cache, and row by row without it).
// A refused input prints one line and exits 1; anything else escaping
// (an unhandled rejection, a crash) is what the fuzzer looks for.
import { openDataset } from "@cellfolio/lazy";

const path = process.argv[2];
try {
  const ds = await openDataset(path);
  const n = ds.shape[0];
  for (const cache of [true, false]) {
    for (let i = 0; i < n; i += 32) {
      const rows = Array.from({ length: Math.min(32, n - i) }, (_, k) => i + k);
      await ds.getCells(rows, { cache });
    }
  }
  await ds.close();
  console.log(`read ${n} cells`);
} catch (e) {
  console.error(`fuzz-lazy: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(1);
}
