// Symbol-table groups (format spec III.C): a v1 B-tree whose leaves are
// symbol table nodes ("SNOD") of entries naming objects through the local heap.
import { groupNodes } from "./btree-v1.js";
import type { FileContext } from "./context.js";
import { LocalHeap } from "./local-heap.js";
import type { Link } from "./messages.js";

export async function symbolTableLinks(ctx: FileContext, btree: number, heapAddr: number, path: string): Promise<Link[]> {
  return ctx.guard(path, "symbol table", async () => {
    const [heap, nodes] = await Promise.all([LocalHeap.read(ctx, heapAddr, path), groupNodes(ctx, btree, path)]);
    const entrySize = 2 * ctx.offsetSize + 24;
    const lists = await Promise.all(
      nodes.map(async (addr) => {
        const h = await ctx.at(addr, 8, path, "symbol table node");
        h.signature("SNOD");
        h.skip(2);
        const n = h.u16();
        const c = await ctx.at(addr + 8, n * entrySize, path, "symbol table node");
        const links: Link[] = [];
        for (let i = 0; i < n; i++) {
          c.pos = i * entrySize;
          const nameOffset = c.addr();
          const address = c.addr();
          const cacheType = c.u32();
          c.skip(4);
          const name = heap.string(nameOffset);
          if (cacheType === 2) {
            // A symbolic link: the scratch pad holds the heap offset of its value.
            const target = heap.string(c.u32());
            links.push({ name, kind: "soft", address: -1, target });
          } else {
            links.push({ name, kind: "hard", address });
          }
        }
        return links;
      }),
    );
    return lists.flat();
  });
}
