// The chunk cache: decoded chunks kept by an LRU under a byte budget, and
// concurrent requests for one chunk coalesced into one read (one promise).
import type { NDArray } from "@cellfolio/format";

export interface CacheStats {
  /** Chunks served from memory. */
  hits: number;
  /** Chunks read from the store. */
  misses: number;
  /** Requests that joined a read already under way. */
  coalesced: number;
  /** Chunks dropped to stay under the budget. */
  evictions: number;
  /** Bytes held now. */
  bytes: number;
}

function byteSize(a: NDArray): number {
  return Array.isArray(a.data) ? a.data.length * 16 : a.data.byteLength;
}

export class ChunkCache {
  private readonly done = new Map<string, NDArray>();
  private readonly pending = new Map<string, Promise<NDArray>>();
  readonly stats: CacheStats = { hits: 0, misses: 0, coalesced: 0, evictions: 0, bytes: 0 };

  /** `maxBytes` 0 keeps nothing beyond the reads under way (coalescing still works). */
  constructor(readonly maxBytes = 256 * 1024 * 1024) {}

  /** The chunk `key`, from memory, from a read under way, or by calling `load` once. */
  get(key: string, load: () => Promise<NDArray>): Promise<NDArray> {
    const hit = this.done.get(key);
    if (hit) {
      // Map order is the LRU order: move to the back.
      this.done.delete(key);
      this.done.set(key, hit);
      this.stats.hits++;
      return Promise.resolve(hit);
    }
    const inFlight = this.pending.get(key);
    if (inFlight) {
      this.stats.coalesced++;
      return inFlight;
    }
    this.stats.misses++;
    const p = load().then(
      (chunk) => {
        this.pending.delete(key);
        this.put(key, chunk);
        return chunk;
      },
      (err) => {
        // A failed read is not remembered: the next request tries again.
        this.pending.delete(key);
        throw err;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  /** Whether `key` is held or being read. */
  has(key: string): boolean {
    return this.done.has(key) || this.pending.has(key);
  }

  /**
   * Several chunks by one read: `loadAll` resolves to them in the order of
   * `keys`; if it fails, each chunk falls back to `loadOne(i)`, so that one
   * bad chunk fails alone. Keys already held or under way are served as `get` does.
   */
  getTogether(keys: string[], loadAll: () => Promise<NDArray[]>, loadOne: (i: number) => Promise<NDArray>): Promise<NDArray>[] {
    let all: Promise<NDArray[]> | null = null;
    const once = () => {
      if (!all) {
        all = loadAll();
        all.catch(() => {}); // each chunk handles the failure below
      }
      return all;
    };
    return keys.map((key, i) => this.get(key, () => once().then((a) => a[i], () => loadOne(i))));
  }

  private put(key: string, chunk: NDArray): void {
    const size = byteSize(chunk);
    if (size > this.maxBytes) return;
    this.done.set(key, chunk);
    this.stats.bytes += size;
    for (const [k, v] of this.done) {
      if (this.stats.bytes <= this.maxBytes) break;
      this.done.delete(k);
      this.stats.bytes -= byteSize(v);
      this.stats.evictions++;
    }
  }

  /** Number of chunks held. */
  get size(): number {
    return this.done.size;
  }

  clear(): void {
    this.done.clear();
    this.stats.bytes = 0;
  }
}
