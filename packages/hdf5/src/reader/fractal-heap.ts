// Fractal heaps (format spec III.G): where dense groups keep link messages and
// dense attribute storage keeps attribute messages. Objects are found by heap
// id: managed objects by walking the doubling table of direct and indirect
// blocks; tiny objects are inside the id itself.
import type { FileContext } from "./context.js";
import { Cursor } from "./cursor.js";

export class FractalHeap {
  private constructor(
    private readonly ctx: FileContext,
    private readonly path: string,
    private readonly h: {
      idLength: number;
      filtered: boolean;
      checksummedDirect: boolean;
      maxManaged: number;
      width: number;
      startBlock: number;
      maxDirectBlock: number;
      maxHeapBits: number;
      rootAddress: number;
      rootRows: number;
    },
  ) {}

  static async open(ctx: FileContext, address: number, path: string): Promise<FractalHeap> {
    return ctx.guard(path, `fractal heap at ${address}`, async () => {
      const O = ctx.offsetSize;
      const L = ctx.lengthSize;
      const c = await ctx.at(address, 4 + 1 + 2 + 2 + 1 + 4 + L + O + L + O + 8 * L + 2 + L + L + 2 + 2 + O + 2, path, "fractal heap header");
      c.signature("FRHP");
      c.u8();
      const idLength = c.u16();
      const filterLen = c.u16();
      const flags = c.u8();
      const maxManaged = c.u32();
      c.len(); // next huge id
      c.addr(); // huge object B-tree
      c.len(); // free space
      c.addr(); // free space manager
      c.len();
      c.len();
      c.len();
      c.len(); // managed objects
      c.len();
      c.len();
      c.len();
      c.len();
      const width = c.u16();
      const startBlock = c.len();
      const maxDirectBlock = c.len();
      const maxHeapBits = c.u16();
      c.u16(); // starting rows
      const rootAddress = c.addr();
      const rootRows = c.u16();
      if (width === 0 || startBlock === 0 || maxHeapBits > 64) throw new RangeError("corrupt fractal heap header");
      return new FractalHeap(ctx, path, {
        idLength,
        filtered: filterLen > 0,
        checksummedDirect: (flags & 2) !== 0,
        maxManaged,
        width,
        startBlock,
        maxDirectBlock,
        maxHeapBits,
        rootAddress,
        rootRows,
      });
    });
  }

  private get offsetBytes(): number {
    return Math.ceil(this.h.maxHeapBits / 8);
  }

  private get lengthBytes(): number {
    const dblk = Math.ceil(Math.log2(this.h.maxDirectBlock) / 8);
    const managed = Math.floor(Math.log2(this.h.maxManaged) / 8) + 1;
    return Math.min(dblk, managed);
  }

  private rowBlockSize(row: number): number {
    return row === 0 ? this.h.startBlock : this.h.startBlock * 2 ** (row - 1);
  }

  /** The object a heap id names. */
  async object(id: Uint8Array): Promise<Uint8Array> {
    return this.ctx.guard(this.path, "fractal heap object", async () => {
      const type = (id[0] >> 4) & 3;
      if (type === 2) {
        const len = (id[0] & 0x0f) + 1;
        return id.subarray(1, 1 + len);
      }
      if (type !== 0) throw new RangeError("huge fractal heap objects are not supported");
      if (this.h.filtered) throw new RangeError("filtered fractal heaps are not supported");
      const c = new Cursor(id, 1);
      const offset = c.uint(this.offsetBytes);
      const length = c.uint(this.lengthBytes);
      return this.managed(offset, length);
    });
  }

  private async managed(offset: number, length: number): Promise<Uint8Array> {
    const ctx = this.ctx;
    const prefix = 5 + ctx.offsetSize + this.offsetBytes;
    if (this.h.rootRows === 0) {
      // Offsets count from the block's first byte, header included.
      const c = await ctx.at(this.h.rootAddress, offset + length, this.path, "fractal heap direct block");
      c.signature("FHDB");
      return c.bytes.subarray(offset, offset + length);
    }
    let iblock = this.h.rootAddress;
    let nrows = this.h.rootRows;
    let rel = offset; // offset within the current indirect block's span
    const maxDirectRows = Math.log2(this.h.maxDirectBlock) - Math.log2(this.h.startBlock) + 2;
    for (let depth = 0; depth < 64; depth++) {
      // Find the row and column holding `rel`.
      let row = 0;
      let acc = 0;
      while (row < nrows && acc + this.h.width * this.rowBlockSize(row) <= rel) {
        acc += this.h.width * this.rowBlockSize(row);
        row++;
      }
      if (row >= nrows) throw new RangeError(`heap offset ${offset} outside the heap`);
      const bsize = this.rowBlockSize(row);
      const col = Math.floor((rel - acc) / bsize);
      const entry = row * this.h.width + col;
      const entrySize = ctx.offsetSize; // (unfiltered heaps: addresses only)
      const c = await ctx.at(iblock, prefix + (entry + 1) * entrySize, this.path, "fractal heap indirect block");
      c.signature("FHIB");
      c.pos = prefix + entry * entrySize;
      const child = c.addr();
      if (child === -1) throw new RangeError(`heap offset ${offset} in an unallocated block`);
      const within = rel - acc - col * bsize;
      if (row < maxDirectRows) {
        const d = await ctx.at(child, within + length, this.path, "fractal heap direct block");
        d.signature("FHDB");
        return d.bytes.subarray(within, within + length);
      }
      iblock = child;
      nrows = Math.log2(bsize) - Math.log2(this.h.startBlock * this.h.width) + 1;
      rel = within;
    }
    throw new RangeError("fractal heap deeper than 64 levels");
  }
}
