// Writing an array row block by row block, whatever its write unit.
import { allocate, copyBlock, product } from "./dtype.js";
import type { ArrayWriter, NDArray } from "./types.js";

/**
 * Takes rows (blocks along axis 0 that span every other axis whole) in order
 * and hands the writer whole units of rows: holds at most one unit of rows,
 * so memory stays bounded by the writer's unit, not by the array.
 */
export class RowAppender {
  private buffer: NDArray;
  private filled = 0;
  private next = 0;
  private readonly rowsPerUnit: number;
  private readonly rowSize: number;

  constructor(private readonly writer: ArrayWriter) {
    const { shape, dtype } = writer.info;
    if (shape.length === 0) throw new Error("RowAppender needs an array of rank >= 1");
    this.rowsPerUnit = writer.unit[0];
    this.rowSize = product(shape.slice(1));
    this.buffer = allocate(dtype, [this.rowsPerUnit, ...shape.slice(1)]);
  }

  /** Rows written so far (handed to the writer or buffered). */
  get rows(): number {
    return this.next + this.filled;
  }

  async append(rows: NDArray): Promise<void> {
    const n = rows.shape[0];
    let taken = 0;
    while (taken < n) {
      const k = Math.min(this.rowsPerUnit - this.filled, n - taken);
      copyBlock(
        rows.data,
        rows.shape,
        [taken, ...rows.shape.slice(1).map(() => 0)],
        this.buffer.data,
        this.buffer.shape,
        [this.filled, ...rows.shape.slice(1).map(() => 0)],
        [k, ...rows.shape.slice(1)],
      );
      this.filled += k;
      taken += k;
      if (this.filled === this.rowsPerUnit) await this.flush();
    }
  }

  /** Writes the rows held; call once after the last append. */
  async flush(): Promise<void> {
    if (this.filled === 0) return;
    const { shape, dtype } = this.writer.info;
    const block: NDArray =
      this.filled === this.rowsPerUnit
        ? this.buffer
        : {
            dtype,
            shape: [this.filled, ...shape.slice(1)],
            data: (Array.isArray(this.buffer.data)
              ? this.buffer.data.slice(0, this.filled * this.rowSize)
              : this.buffer.data.subarray(0, this.filled * this.rowSize)) as NDArray["data"],
          };
    await this.writer.setBlock([this.next, ...shape.slice(1).map(() => 0)], block);
    this.next += this.filled;
    this.filled = 0;
    // The writer may keep a reference to the block until its write completes.
    this.buffer = allocate(dtype, this.buffer.shape);
  }
}
