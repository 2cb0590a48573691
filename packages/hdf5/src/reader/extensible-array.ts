// Extensible arrays (format spec III.I): the chunk index of layout v4 datasets
// with one unlimited dimension. Elements live in the index block, then in data
// blocks that double in size, reached directly from the index block or through
// secondary blocks.
import type { FileContext } from "./context.js";
import { UNDEFINED } from "./cursor.js";
import { decodeEntry, type IndexEntry } from "./fixed-array.js";

export async function readExtensibleArray(ctx: FileContext, address: number, path: string): Promise<(IndexEntry | null)[]> {
  const O = ctx.offsetSize;
  const L = ctx.lengthSize;
  const h = await ctx.at(address, 12 + 6 * L + O + 4, path, "extensible array header");
  h.signature("EAHD");
  h.u8();
  const client = h.u8();
  const elSize = h.u8();
  const maxBits = h.u8();
  const iblockEls = h.u8();
  const dblkMinEls = h.u8();
  const sblkMinPtrs = h.u8();
  const pageBits = h.u8();
  for (let i = 0; i < 4; i++) h.len();
  const maxIndexSet = h.len();
  h.len();
  const iblock = h.addr();
  const filtered = client === 1;
  if (iblock === UNDEFINED || maxIndexSet === 0) return [];
  if (maxIndexSet > ctx.fileSize) throw new RangeError("corrupt extensible array header");
  const arrOffSize = Math.ceil(maxBits / 8);
  const pageN = 2 ** pageBits;
  // Super block table: super block s has 2^floor(s/2) data blocks of dblkMinEls * 2^ceil(s/2) elements.
  const nsblks = 1 + maxBits - Math.log2(dblkMinEls);
  const sblk = Array.from({ length: nsblks }, (_, s) => ({ ndblks: 2 ** Math.floor(s / 2), nelmts: 2 ** Math.floor((s + 1) / 2) * dblkMinEls }));
  const ndblkAddrs = 2 * (sblkMinPtrs - 1);
  const iblockSblks = 2 * Math.log2(sblkMinPtrs);
  const nsblkAddrs = nsblks - iblockSblks;

  const ic = await ctx.at(iblock, 6 + O + iblockEls * elSize + (ndblkAddrs + nsblkAddrs) * O, path, "extensible array index block");
  ic.signature("EAIB");
  ic.pos = 6 + O;
  const out: (IndexEntry | null)[] = [];
  for (let i = 0; i < iblockEls; i++) out.push(decodeEntry(ic, filtered, elSize));
  const dblkAddrs: number[] = [];
  for (let i = 0; i < ndblkAddrs; i++) dblkAddrs.push(ic.addr());
  const sblkAddrs: number[] = [];
  for (let i = 0; i < nsblkAddrs; i++) sblkAddrs.push(ic.addr());

  const readDblock = async (addr: number, nelmts: number, pageInit: (p: number) => boolean): Promise<void> => {
    if (addr === UNDEFINED) {
      for (let i = 0; i < nelmts; i++) out.push(null);
      return;
    }
    const prefix = 6 + O + arrOffSize;
    if (nelmts <= pageN) {
      const c = await ctx.at(addr, prefix + nelmts * elSize, path, "extensible array data block");
      c.signature("EADB");
      c.pos = prefix;
      for (let i = 0; i < nelmts; i++) out.push(decodeEntry(c, filtered, elSize));
      return;
    }
    const npages = nelmts / pageN;
    let pageAddr = addr + prefix + 4;
    for (let p = 0; p < npages; p++) {
      if (pageInit(p)) {
        const c = await ctx.at(pageAddr, pageN * elSize, path, "extensible array data block page");
        for (let i = 0; i < pageN; i++) out.push(decodeEntry(c, filtered, elSize));
      } else {
        for (let i = 0; i < pageN; i++) out.push(null);
      }
      pageAddr += pageN * elSize + 4;
    }
  };

  let d = 0;
  for (let s = 0; s < nsblks && out.length < maxIndexSet; s++) {
    const { ndblks, nelmts } = sblk[s];
    if (s < iblockSblks) {
      for (let k = 0; k < ndblks && out.length < maxIndexSet; k++) await readDblock(dblkAddrs[d++], nelmts, () => true);
      continue;
    }
    const sAddr = sblkAddrs[s - iblockSblks];
    if (sAddr === UNDEFINED) {
      for (let i = 0; i < ndblks * nelmts && out.length < maxIndexSet; i++) out.push(null);
      continue;
    }
    const npages = nelmts > pageN ? nelmts / pageN : 0;
    const bitmapSize = npages > 0 ? Math.ceil((ndblks * npages) / 8) : 0;
    const sc = await ctx.at(sAddr, 6 + O + arrOffSize + bitmapSize + ndblks * O, path, "extensible array secondary block");
    sc.signature("EASB");
    sc.pos = 6 + O + arrOffSize;
    const bitmap = sc.take(bitmapSize);
    const addrs: number[] = [];
    for (let k = 0; k < ndblks; k++) addrs.push(sc.addr());
    for (let k = 0; k < ndblks && out.length < maxIndexSet; k++) {
      await readDblock(addrs[k], nelmts, (p) => {
        const bit = k * npages + p;
        return (bitmap[bit >> 3] & (0x80 >> (bit & 7))) !== 0;
      });
    }
  }
  return out.slice(0, maxIndexSet);
}
