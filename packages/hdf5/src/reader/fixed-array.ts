// Fixed arrays (format spec III.H): the chunk index of layout v4 datasets
// with fixed maximum dimensions. Entries are in chunk order; large arrays are
// split in pages with an initialisation bitmap.
import type { FileContext } from "./context.js";
import { type Cursor, UNDEFINED } from "./cursor.js";

export interface IndexEntry {
  address: number;
  /** Filtered entries only. */
  size?: number;
  filterMask?: number;
}

export function decodeEntry(c: Cursor, filtered: boolean, entrySize: number): IndexEntry {
  const address = c.addr();
  if (!filtered) return { address };
  const size = c.uint(entrySize - c.offsetSize - 4);
  return { address, size, filterMask: c.u32() };
}

export async function readFixedArray(ctx: FileContext, address: number, path: string): Promise<(IndexEntry | null)[]> {
  const O = ctx.offsetSize;
  const h = await ctx.at(address, 8 + ctx.lengthSize + O + 4, path, "fixed array header");
  h.signature("FAHD");
  h.u8();
  const client = h.u8();
  const entrySize = h.u8();
  const pageBits = h.u8();
  const n = h.len();
  const dblock = h.addr();
  if (dblock === UNDEFINED) return new Array(n).fill(null);
  if (n > ctx.fileSize) throw new RangeError(`fixed array of ${n} entries in a file of ${ctx.fileSize} bytes`);
  const filtered = client === 1;
  const pageN = 2 ** pageBits;
  const out: (IndexEntry | null)[] = [];
  if (n <= pageN) {
    const c = await ctx.at(dblock, 6 + O + n * entrySize, path, "fixed array data block");
    c.signature("FADB");
    c.pos = 6 + O;
    for (let i = 0; i < n; i++) out.push(decodeEntry(c, filtered, entrySize));
    return out;
  }
  const npages = Math.ceil(n / pageN);
  const bitmapSize = Math.ceil(npages / 8);
  const c = await ctx.at(dblock, 6 + O + bitmapSize + 4, path, "fixed array data block");
  c.signature("FADB");
  c.pos = 6 + O;
  const bitmap = c.take(bitmapSize);
  let pageAddr = dblock + 6 + O + bitmapSize + 4;
  for (let p = 0; p < npages; p++) {
    const count = Math.min(pageN, n - p * pageN);
    if (bitmap[p >> 3] & (0x80 >> (p & 7))) {
      const pc = await ctx.at(pageAddr, count * entrySize, path, "fixed array page");
      for (let i = 0; i < count; i++) out.push(decodeEntry(pc, filtered, entrySize));
    } else {
      for (let i = 0; i < count; i++) out.push(null);
    }
    pageAddr += pageN * entrySize + 4;
  }
  return out;
}
