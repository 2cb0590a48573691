// Finished cells arrive in spatial order (bands of the slide) but are written
// in row (cellID) order. This holds the early arrivals, hands rows to the
// writer as soon as they are next, and keeps memory bounded: when too much is
// held only because an earlier row is still to come (ids not in raster order),
// the held rows go to a temporary spill file and come back when their turn comes.
// A row is any typed array (a stack, or an encoded row of variable length).
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Where a spilled row is: its bytes, and the run of rows written with it (read back at once). */
interface Spilled {
  at: number;
  length: number;
  group: SpillGroup;
}

/** Rows that shared a buffer, spilled together: one read brings them all back. */
interface SpillGroup {
  at: number;
  length: number;
  /** Their bytes once read back, until the last of them is written. */
  bytes: Uint8Array | null;
  left: number;
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
  /** The first error of the writer; the pipeline checks it and stops. */
  error: unknown = null;
  /** Rows that went through the spill file (for the summary / tests). */
  spilledRows = 0;

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
      const group: SpillGroup = { at: this.spillEnd, length: 0, bytes: null, left: rows.length };
      for (const row of rows) {
        const stack = this.held.get(row) as T;
        writeSync(this.spillFd, new Uint8Array(stack.buffer, stack.byteOffset, stack.byteLength), 0, stack.byteLength, this.spillEnd);
        this.spilled.set(row, { at: this.spillEnd, length: stack.byteLength, group });
        this.spillEnd += stack.byteLength;
        group.length += stack.byteLength;
        this.held.delete(row);
        this.heldBytes -= stack.byteLength;
        this.spilledRows++;
        this.release(stack);
      }
    }
  }

  /** A spilled row's bytes: its group is read back whole the first time one of its rows is due. */
  private readBack(where: Spilled): Uint8Array {
    const g = where.group;
    if (!g.bytes) {
      g.bytes = new Uint8Array(g.length);
      readSync(this.spillFd as number, g.bytes, 0, g.length, g.at);
    }
    const bytes = g.bytes.subarray(where.at - g.at, where.at - g.at + where.length);
    if (--g.left === 0) g.bytes = null;
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
          stack = this.revive(this.readBack(where));
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
