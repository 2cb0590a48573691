// Global heap collections (format spec III.E): the bytes of variable-length
// strings and sequences. Collections are read whole (a few KB) and cached.
import type { FileContext } from "./context.js";
import type { Cursor } from "./cursor.js";

export class GlobalHeap {
  private readonly collections = new Map<number, Promise<Map<number, Uint8Array>>>();

  constructor(private readonly ctx: FileContext) {}

  private collection(address: number, path: string): Promise<Map<number, Uint8Array>> {
    let p = this.collections.get(address);
    if (!p) {
      p = this.ctx.guard(path, `global heap collection at ${address}`, async () => {
        const ctx = this.ctx;
        const h = await ctx.at(address, 8 + ctx.lengthSize, path, "global heap collection");
        h.signature("GCOL");
        h.skip(4);
        const size = h.len();
        const c = await ctx.at(address, size, path, "global heap collection");
        c.pos = 8 + ctx.lengthSize;
        const objects = new Map<number, Uint8Array>();
        while (c.remaining >= 8 + ctx.lengthSize) {
          const index = c.u16();
          c.skip(6);
          const objSize = c.len();
          if (index === 0) break; // free space: the rest of the collection
          objects.set(index, c.take(objSize));
          c.align(8);
        }
        return objects;
      });
      p.catch(() => this.collections.delete(address));
      this.collections.set(address, p);
    }
    return p;
  }

  async object(address: number, index: number, path: string): Promise<Uint8Array> {
    const objects = await this.collection(address, path);
    const o = objects.get(index);
    if (!o) throw this.ctx.error(path, `global heap object ${index} missing from the collection at ${address}`);
    return o;
  }

  /** Reads a vlen element (length, collection address, index) at `c`. */
  async vlen(c: Cursor, path: string): Promise<Uint8Array | null> {
    const length = c.u32();
    const address = c.addr();
    const index = c.u32();
    if (length === 0 || address === 0 || address === -1) return length === 0 ? new Uint8Array(0) : null;
    const o = await this.object(address, index, path);
    return o;
  }
}
