// Finished cells arrive in spatial order (bands of the slide), batches of them
// out of turn; a sink takes them in turn: in row (cellID) order, or (an
// extraction's writers) in the order the batches were dispatched, where only
// batches finishing before an earlier one wait. This holds the early
// arrivals, hands rows to the writer as soon as they are next, and keeps
// memory bounded: when too much is held only because an earlier row is still
// to come (ids not in raster order), the held rows go to a temporary spill
// file and come back when their turn comes.
// A row is any typed array (a stack, or an encoded row of variable length).
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The most bytes one read back from the spill file brings (more than a batch of rows). */
const SPAN_BYTES = 8 << 20;

/** Where a spilled row's bytes are in the spill file. */
interface Spilled {
  at: number;
  length: number;
}

/** Spilled rows read back at once: rows [first, end), their bytes from file offset `at`. */
interface Span {
  first: number;
  end: number;
  at: number;
  bytes: Uint8Array;
}

export class InOrderRows<T extends ArrayBufferView = Uint16Array> {
  private readonly held = new Map<number, T>();
  private readonly spilled = new Map<number, Spilled>();
  private heldBytes = 0;
  private next: number;
  private pumping = false;
  private waiters: (() => void)[] = [];
  private spillFd: number | null = null;
  private spillPath = "";
  private spillEnd = 0;
  /** The spilled rows read back last, while rows of them are still to be written. */
  private span: Span | null = null;
  /** The first error of the writer; the pipeline checks it and stops. */
  error: unknown = null;
  /** Rows that went through the spill file (for the summary / tests). */
  spilledRows = 0;
  /** The most bytes read back from the spill file and held at once (for tests). */
  mostReadBack = 0;

  constructor(
    private readonly sink: (row: number, stack: T) => Promise<void>,
    /** A row read back from the spill file, from its bytes. */
    private readonly revive: (bytes: Uint8Array) => T,
    private readonly budgetBytes: number,
    /** The first row to write (a part of the rows starts past 0). */
    firstRow = 0,
    /** Called once a held stack is no longer needed (written or spilled), so its buffer can be reused. */
    private readonly release: (stack: T) => void = () => {},
  ) {
    this.next = firstRow;
  }

  /** The next row to write. */
  get nextRow(): number {
    return this.next;
  }

  put(row: number, stack: T): void {
    this.held.set(row, stack);
    this.heldBytes += stack.byteLength;
    void this.pump();
  }

  /** Resolves once there is room for more results (spilling if the writer waits on a row still to come). */
  async waitForRoom(): Promise<void> {
    while (this.heldBytes > this.budgetBytes && this.error === null) {
      if (!this.pumping && !this.held.has(this.next)) this.spill();
      else await this.progress();
    }
    if (this.error !== null) throw this.error;
  }

  /** Resolves when every row before `endRow` is written. */
  async finish(endRow: number): Promise<void> {
    while (this.next < endRow && this.error === null) {
      if (!this.pumping && !this.held.has(this.next) && !this.spilled.has(this.next)) {
        throw new Error(`row ${this.next} never arrived`);
      }
      await this.progress();
    }
    if (this.error !== null) throw this.error;
  }

  close(): void {
    if (this.spillFd !== null) {
      closeSync(this.spillFd);
      rmSync(this.spillPath, { force: true });
      this.spillFd = null;
    }
    this.held.clear();
    this.spilled.clear();
    this.span = null;
  }

  private progress(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private spill(): void {
    if (this.spillFd === null) {
      this.spillPath = path.join(tmpdir(), `cellfolio-spill-${process.pid}-${Date.now()}.bin`);
      this.spillFd = openSync(this.spillPath, "w+");
      // Unlinked at once where the system allows (the open descriptor keeps it): a
      // process killed mid-run (Ctrl-C, SIGTERM) then leaves no spill file behind.
      try {
        rmSync(this.spillPath);
      } catch {}
    }
    // The rows of a batch share one buffer, which is freed only once none of
    // them is held; their row numbers are scattered (cells come in spatial
    // order), so spilling row by row, furthest first, freed almost no buffer.
    // Whole buffers go instead: those whose earliest row is furthest from its turn.
    const groups = new Map<ArrayBufferLike, number[]>();
    for (const [row, stack] of this.held) {
      const rows = groups.get(stack.buffer);
      if (rows) rows.push(row);
      else groups.set(stack.buffer, [row]);
    }
    const order = [...groups.values()].map((rows) => ({ rows, first: Math.min(...rows) })).sort((a, b) => b.first - a.first);
    for (const { rows } of order) {
      if (this.heldBytes <= this.budgetBytes / 2) break;
      // in row order, so that rows due one after the other come back with one read
      rows.sort((a, b) => a - b);
      for (const row of rows) {
        const stack = this.held.get(row) as T;
        writeSync(this.spillFd, new Uint8Array(stack.buffer, stack.byteOffset, stack.byteLength), 0, stack.byteLength, this.spillEnd);
        this.spilled.set(row, { at: this.spillEnd, length: stack.byteLength });
        this.spillEnd += stack.byteLength;
        this.held.delete(row);
        this.heldBytes -= stack.byteLength;
        this.spilledRows++;
        this.release(stack);
      }
    }
  }

  /**
   * A spilled row's bytes. The rows after it that follow it in the file too
   * (consecutive rows of one spilled batch: ids in raster order) come back
   * with it in one read; rows spilled apart are read one by one. A batch read
   * back whole at its first due row was held until its last one, and with ids
   * in random order that was nearly every spilled byte at once at the end.
   */
  private readBack(row: number, where: Spilled): Uint8Array {
    let s = this.span;
    if (!s || row < s.first || row >= s.end) {
      let end = row + 1;
      let length = where.length;
      for (let w = this.spilled.get(end); w && w.at === where.at + length && length + w.length <= SPAN_BYTES; w = this.spilled.get(++end)) length += w.length;
      s = this.span = { first: row, end, at: where.at, bytes: new Uint8Array(length) };
      readSync(this.spillFd as number, s.bytes, 0, length, where.at);
      if (length > this.mostReadBack) this.mostReadBack = length;
    }
    const bytes = s.bytes.subarray(where.at - s.at, where.at - s.at + where.length);
    if (row === s.end - 1) this.span = null;
    return bytes;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        let stack = this.held.get(this.next);
        let fromSpill = false;
        if (stack) {
          this.held.delete(this.next);
          this.heldBytes -= stack.byteLength;
        } else {
          fromSpill = true;
          const where = this.spilled.get(this.next);
          if (where === undefined || this.spillFd === null) break;
          this.spilled.delete(this.next);
          stack = this.revive(this.readBack(this.next, where));
        }
        await this.sink(this.next, stack);
        if (!fromSpill) this.release(stack);
        this.next++;
        this.notify();
      }
    } catch (e) {
      this.error ??= e;
    } finally {
      this.pumping = false;
      this.notify();
    }
  }
}
