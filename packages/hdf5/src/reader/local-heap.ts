// The local heap (format spec III.D): link names of symbol-table groups.
import type { FileContext } from "./context.js";
import { Cursor } from "./cursor.js";

export class LocalHeap {
  private constructor(private readonly data: Uint8Array) {}

  static async read(ctx: FileContext, address: number, path: string): Promise<LocalHeap> {
    return ctx.guard(path, `local heap at ${address}`, async () => {
      const c = await ctx.at(address, 8 + 2 * ctx.lengthSize + ctx.offsetSize, path, "local heap");
      c.signature("HEAP");
      c.skip(4);
      const size = c.len();
      c.len(); // free list
      const dataAddress = c.addr();
      const d = await ctx.at(dataAddress, size, path, "local heap data");
      return new LocalHeap(d.bytes);
    });
  }

  /** The NUL-terminated string at `offset`. */
  string(offset: number): string {
    if (offset >= this.data.length) throw new RangeError(`local heap offset ${offset} past the heap (${this.data.length} bytes)`);
    return new Cursor(this.data, offset).cstring();
  }
}
