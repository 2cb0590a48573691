// The chunk index of a dataset while it is written, small enough for the
// millions of chunks of a large extraction until the B-tree is written at
// close. Chunks written one after the other (consecutive in the chunk grid
// and in the file: the channels of a cell, or cells in a row) form one run:
// where it starts in the grid and in the file, 20 bytes; each chunk adds its
// size and filter mask, 5 bytes. A cell of 5 channels costs 45 bytes, not the
// 120 of four numbers a chunk. Arrays grow in pages, never as a doubled copy
// of all of them (at 5 million chunks the doubling held ~200 MB of capacity
// and briefly 300 MB while it copied).

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const MASK = PAGE - 1;
/** Chunks a run holds at most: a chunk's address is its run's plus the sizes before it in the run. */
const RUN_MAX = 64;

/** Typed arrays in pages of PAGE (the first starts small: most datasets have a few chunks). */
class Paged<T extends Float64Array | Uint32Array | Uint8Array> {
  pages: T[] = [];
  constructor(private readonly make: (n: number) => T) {}

  get(k: number): number {
    return this.pages[k >>> PAGE_BITS][k & MASK];
  }

  set(k: number, v: number): void {
    const p = k >>> PAGE_BITS;
    if (p === this.pages.length) this.pages.push(this.make(p === 0 ? 256 : PAGE));
    let page = this.pages[p];
    const i = k & MASK;
    if (i === page.length) {
      const grown = this.make(2 * page.length);
      grown.set(page as never);
      this.pages[p] = page = grown;
    }
    page[i] = v;
  }
}

export class ChunkRecords {
  // per run
  private runLinear = new Paged((n) => new Float64Array(n));
  private runAddress = new Paged((n) => new Float64Array(n));
  private runFirst = new Paged((n) => new Uint32Array(n));
  private runs = 0;
  // per chunk
  private sizes = new Paged((n) => new Uint32Array(n));
  /** Filter masks: one byte each (pipelines of 8 filters at most); larger ones kept apart. */
  private masks = new Paged((n) => new Uint8Array(n));
  private wideMasks = new Map<number, number>();
  private inOrder = true;
  private lastLinear = -1;
  private nextAddress = -1;
  count = 0;
  /** The run of the last lookup: records are mostly read run by run. */
  private cached = -1;
  /** The record addressOf answered last, and its address. */
  private lastAsked = -1;
  private lastAddress = 0;

  /** Records chunk `linear` (its C-order index in the chunk grid); a chunk written again replaces the earlier record. */
  add(linear: number, address: number, size: number, mask: number): void {
    const k = this.count;
    if (k > 0 && linear <= this.lastLinear) this.inOrder = false;
    if (k === 0 || linear !== this.lastLinear + 1 || address !== this.nextAddress || k - this.runFirst.get(this.runs - 1) === RUN_MAX) {
      this.runLinear.set(this.runs, linear);
      this.runAddress.set(this.runs, address);
      this.runFirst.set(this.runs, k);
      this.runs++;
    }
    this.sizes.set(k, size);
    this.masks.set(k, mask > 0xff ? 0xff : mask);
    if (mask >= 0xff) this.wideMasks.set(k, mask);
    this.lastLinear = linear;
    this.nextAddress = address + size;
    this.count = k + 1;
  }

  /** The run holding record k. */
  private runOf(k: number): number {
    const c = this.cached;
    if (c >= 0 && this.runFirst.get(c) <= k && this.runEnd(c) > k) return c;
    let lo = 0;
    let hi = this.runs - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.runFirst.get(mid) <= k) lo = mid;
      else hi = mid - 1;
    }
    this.cached = lo;
    return lo;
  }

  /** Record numbers in chunk order, one per chunk (its last write). */
  order(): Uint32Array {
    const all = new Uint32Array(this.count);
    if (this.inOrder) {
      for (let k = 0; k < all.length; k++) all[k] = k;
      return all;
    }
    // Runs sorted by where they start in the grid (a run's chunks are
    // consecutive there): 1 key a run, not a chunk, for the sort. Runs that
    // overlap hold a chunk written twice: then chunk by chunk.
    const runs = new Uint32Array(this.runs);
    const start = new Float64Array(this.runs);
    for (let r = 0; r < runs.length; r++) {
      runs[r] = r;
      start[r] = this.runLinear.get(r);
    }
    runs.sort((a, b) => start[a] - start[b]);
    let n = 0;
    let end = -1;
    for (const r of runs) {
      const first = this.runFirst.get(r);
      const len = this.runEnd(r) - first;
      if (start[r] < end) return this.orderByChunk();
      for (let j = 0; j < len; j++) all[n++] = first + j;
      end = start[r] + len;
    }
    return all;
  }

  /** The record after the last of run r. */
  private runEnd(r: number): number {
    return r + 1 < this.runs ? this.runFirst.get(r + 1) : this.count;
  }

  /** order(), for records where a chunk was written more than once: a key a chunk; the last write kept. */
  private orderByChunk(): Uint32Array {
    const all = new Uint32Array(this.count);
    const lin = new Float64Array(this.count);
    for (let r = 0; r < this.runs; r++) {
      const first = this.runFirst.get(r);
      const l0 = this.runLinear.get(r);
      for (let k = first; k < this.runEnd(r); k++) {
        all[k] = k;
        lin[k] = l0 + (k - first);
      }
    }
    all.sort((a, b) => lin[a] - lin[b] || a - b);
    let kept = 0;
    for (let i = 0; i < all.length; i++) {
      if (i + 1 < all.length && lin[all[i + 1]] === lin[all[i]]) continue; // a later write of the same chunk follows
      all[kept++] = all[i];
    }
    return all.subarray(0, kept);
  }

  linearOf(k: number): number {
    const r = this.runOf(k);
    return this.runLinear.get(r) + (k - this.runFirst.get(r));
  }

  addressOf(k: number): number {
    const r = this.runOf(k);
    const first = this.runFirst.get(r);
    // The index asks in chunk order, mostly record after record of a run:
    // the last answer plus its size, not the run's sizes summed again.
    let a: number;
    if (k === this.lastAsked + 1 && k > first) a = this.lastAddress + this.sizes.get(k - 1);
    else {
      a = this.runAddress.get(r);
      for (let j = first; j < k; j++) a += this.sizes.get(j);
    }
    this.lastAsked = k;
    this.lastAddress = a;
    return a;
  }

  sizeOf(k: number): number {
    return this.sizes.get(k);
  }

  maskOf(k: number): number {
    const m = this.masks.get(k);
    return m === 0xff ? (this.wideMasks.get(k) ?? m) : m;
  }
}
