// Block reads of a local store shared between the calling thread and codec
// workers: the layout of the shared memory, the states a chunk ends in, and
// the reused scratch. Plain JavaScript (SharedArrayBuffer, Atomics); the
// workers themselves are Node's (node/codec-pool.ts).

/**
 * Memory shared with the workers for one block read. Chunk i decodes
 * straight into `shared` at byte offset `offsets[i]`, by whichever thread
 * (the caller's included) increments `ctl[0]` to i first; a worker then sets
 * `ctl[1 + i]` to DONE, ABSENT (no file: the fill value) or FAILED (its
 * reply says why).
 */
export interface SharedTarget {
  shared: SharedArrayBuffer;
  offsets: number[];
  ctl: Int32Array;
}
export const DONE = 1;
export const ABSENT = 2;
export const FAILED = 3;

/** A worker's answer: per chunk it took, the error's text when it failed. */
export interface ReadReport {
  errors: Record<number, string>;
}

/**
 * Shared scratch memory, reused: a SharedArrayBuffer costs ~7 ms to allocate
 * for 5 MB on this VM (zeroed, fresh pages) and is freed only by a full GC,
 * so one per block read took the RSS past 1 GB.
 */
const scratches: SharedArrayBuffer[] = [];
const MAX_SCRATCHES = 2;
/** The largest scratch a block read takes (larger reads go in parts of it): at most 32 MB kept. */
export const SCRATCH_BYTES = 16 << 20;
export function takeScratch(bytes: number): SharedArrayBuffer {
  const k = scratches.findIndex((s) => s.byteLength >= bytes);
  return k >= 0 ? scratches.splice(k, 1)[0] : new SharedArrayBuffer(Math.max(bytes, 1));
}
export function giveScratch(s: SharedArrayBuffer): void {
  if (scratches.length < MAX_SCRATCHES) scratches.push(s);
}

