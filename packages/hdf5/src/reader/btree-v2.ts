// Version 2 B-trees (format spec III.A.2): dense link and attribute name
// indexes, and the chunk index of layout v4 datasets with two or more
// unlimited dimensions. We only need every record, so the tree is walked whole.
import type { FileContext } from "./context.js";
import { bytesFor, Cursor } from "./cursor.js";

export interface BTree2 {
  type: number;
  recordSize: number;
  records: Uint8Array[];
}

const PREFIX = 10; // signature, version, type, checksum

export async function readBTree2(ctx: FileContext, address: number, path: string): Promise<BTree2> {
  return ctx.guard(path, `v2 B-tree at ${address}`, async () => {
    const c = await ctx.at(address, 16 + ctx.offsetSize + 2 + ctx.lengthSize + 4, path, "v2 B-tree header");
    c.signature("BTHD");
    c.u8();
    const type = c.u8();
    const nodeSize = c.u32();
    const recordSize = c.u16();
    const depth = c.u16();
    c.skip(2);
    const root = c.addr();
    const rootRecords = c.u16();
    const total = c.len();
    if (depth > 32 || recordSize === 0 || nodeSize < PREFIX) throw new RangeError("corrupt v2 B-tree header");
    // Sizes of the per-child record counts, as the library derives them from the node size.
    const maxNrec: number[] = [];
    const cumMax: number[] = [];
    const cumMaxSize: number[] = [];
    maxNrec[0] = Math.floor((nodeSize - PREFIX) / recordSize);
    cumMax[0] = maxNrec[0];
    cumMaxSize[0] = 0;
    const maxNrecSize = bytesFor(maxNrec[0]);
    for (let d = 1; d <= depth; d++) {
      const ptrSize = ctx.offsetSize + maxNrecSize + (d > 1 ? cumMaxSize[d - 1] : 0);
      maxNrec[d] = Math.floor((nodeSize - (PREFIX + ptrSize)) / (recordSize + ptrSize));
      cumMax[d] = (maxNrec[d] + 1) * cumMax[d - 1] + maxNrec[d];
      cumMaxSize[d] = bytesFor(cumMax[d]);
    }
    const records: Uint8Array[] = [];
    const walk = async (addr: number, nrec: number, d: number): Promise<void> => {
      if (records.length > total) throw new RangeError("v2 B-tree holds more records than its header says");
      if (nrec > maxNrec[d]) throw new RangeError(`v2 B-tree node with ${nrec} records (at most ${maxNrec[d]})`);
      const ptrSize = d === 0 ? 0 : ctx.offsetSize + maxNrecSize + (d > 1 ? cumMaxSize[d - 1] : 0);
      const n = await ctx.at(addr, 6 + nrec * recordSize + (d > 0 ? (nrec + 1) * ptrSize : 0), path, "v2 B-tree node");
      n.signature(d === 0 ? "BTLF" : "BTIN");
      n.skip(2);
      const own: Uint8Array[] = [];
      for (let i = 0; i < nrec; i++) own.push(n.take(recordSize));
      if (d === 0) {
        records.push(...own);
        return;
      }
      const children: { addr: number; nrec: number }[] = [];
      for (let i = 0; i <= nrec; i++) {
        const a = n.addr();
        const k = n.uint(maxNrecSize);
        if (d > 1) n.uint(cumMaxSize[d - 1]);
        children.push({ addr: a, nrec: k });
      }
      for (let i = 0; i <= nrec; i++) {
        await walk(children[i].addr, children[i].nrec, d - 1);
        if (i < nrec) records.push(own[i]);
      }
    };
    if (root !== -1 && total > 0) await walk(root, rootRecords, depth);
    return { type, recordSize, records };
  });
}

export function recordCursor(ctx: FileContext, r: Uint8Array): Cursor {
  return new Cursor(r, 0, ctx.offsetSize, ctx.lengthSize);
}
