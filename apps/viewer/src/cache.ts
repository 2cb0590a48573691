// Decoded cells held for drawing, within a byte budget: least recently used
// first out, except the cells the page still shows (in view, in the detail).
// Each cell is its own Float32Array, so that dropping one frees its memory
// (a view into a batch buffer would keep the whole batch alive).

export const DEFAULT_BUDGET = 256 * 2 ** 20;

export class CellCache {
  private cells = new Map<number, Float32Array>();
  private used = 0;

  constructor(
    readonly maxBytes = DEFAULT_BUDGET,
    /** Cells not to drop (in view): the budget may be exceeded by them alone. */
    private readonly keep: (row: number) => boolean = () => false,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.cells.size;
  }

  has(row: number): boolean {
    return this.cells.has(row);
  }

  /** The cell, marked as just used. */
  get(row: number): Float32Array | undefined {
    const c = this.cells.get(row);
    if (c) {
      this.cells.delete(row);
      this.cells.set(row, c);
    }
    return c;
  }

  set(row: number, data: Float32Array): void {
    const old = this.cells.get(row);
    if (old) {
      this.used -= old.byteLength;
      this.cells.delete(row);
    }
    this.cells.set(row, data);
    this.used += data.byteLength;
    this.evict();
  }

  clear(): void {
    this.cells.clear();
    this.used = 0;
  }

  private evict(): void {
    if (this.used <= this.maxBytes) return;
    for (const [row, c] of this.cells) {
      if (this.used <= this.maxBytes) break;
      if (this.keep(row)) continue;
      this.cells.delete(row);
      this.used -= c.byteLength;
    }
  }
}

/** "1 cell", "2 cells", "1,234 cells". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

/**
 * A failed read as the status line says it: the message (it names the URL)
 * and, where the browser only says the fetch failed (a cross-origin server
 * without CORS headers looks just like that), what to check.
 */
export function readError(err: unknown, what: string | null = "cannot read cells"): string {
  const msg = err instanceof Error ? err.message : String(err);
  const network = /failed to fetch|networkerror|load failed|cors|cannot reach the server/i.test(msg);
  const hint = network
    ? " — the server did not answer: check that it is running and, if the dataset is on another origin, that it sends CORS headers (Access-Control-Allow-Origin, and Range in Access-Control-Allow-Headers)"
    : "";
  return `${what ? `${what}: ` : ""}${msg}${hint}`;
}
