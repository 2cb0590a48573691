// Numbers (mask labels, or pair keys made of two indices) to dense indices
// 0, 1, 2, ... in order of first sight, in typed arrays: the plan's scan
// (masks.ts, cells.ts) looks a label up for every run of every row, millions
// of times on a slide. A Map did it with a heap entry per key (a boxed number
// for keys past 2^31): tens of MB of garbage and a third of the scan's time
// on a 50,000-cell slide. Open addressing with linear probing, at most half
// full; keys compare as numbers, so any integer below 2^53 (and any float
// label) is its own key.

const EMPTY = -1;

export class LabelTable {
  /** Key of each index, in order of first sight. */
  private keyOf = new Float64Array(1024);
  private n = 0;
  /** Slot -> index, EMPTY where free; slot keys in `slotKey`. */
  private slots = new Int32Array(2048).fill(EMPTY);
  private slotKey = new Float64Array(2048);
  private mask = 2047;

  /** How many keys. */
  get size(): number {
    return this.n;
  }

  /** The index of `key`, or -1 if it was never added. */
  get(key: number): number {
    for (let s = hash(key) & this.mask; ; s = (s + 1) & this.mask) {
      const k = this.slots[s];
      if (k === EMPTY || this.slotKey[s] === key) return k;
    }
  }

  /** The index of `key`, the next one if new. */
  add(key: number): number {
    let s = hash(key) & this.mask;
    for (; ; s = (s + 1) & this.mask) {
      const k = this.slots[s];
      if (k === EMPTY) break;
      if (this.slotKey[s] === key) return k;
    }
    const k = this.n++;
    if (k === this.keyOf.length) {
      const grown = new Float64Array(2 * k);
      grown.set(this.keyOf);
      this.keyOf = grown;
    }
    this.keyOf[k] = key;
    this.slots[s] = k;
    this.slotKey[s] = key;
    if (2 * this.n > this.mask) this.rehash();
    return k;
  }

  /** The key of index k. */
  key(k: number): number {
    return this.keyOf[k];
  }

  /** The keys by index (a view: valid until the next add). */
  keys(): Float64Array {
    return this.keyOf.subarray(0, this.n);
  }

  private rehash(): void {
    const cap = 2 * (this.mask + 1);
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.slotKey = new Float64Array(cap);
    for (let k = 0; k < this.n; k++) {
      const key = this.keyOf[k];
      let s = hash(key) & this.mask;
      while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
      this.slots[s] = k;
      this.slotKey[s] = key;
    }
  }
}

/** Both 32-bit halves of an integer key mixed (pair keys differ in the high half); a float's fraction only spreads less. */
function hash(key: number): number {
  const lo = key | 0;
  const hi = (key / 4294967296) | 0;
  const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  return h ^ (h >>> 15);
}
