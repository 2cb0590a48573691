// Version-1 B-tree nodes ("TREE"), built bottom-up from sorted leaf entries.
// Node type 0 indexes a group's symbol table nodes (keys: local-heap offsets
// of names, key[i+1] = largest name under child i); type 1 indexes chunks
// (keys: chunk size, filter mask, chunk offsets; key[i] = first chunk of
// child i, the last key bounds the last chunk). Every node is allocated for
// 2K children, as the library reads it whole.
import { Bytes, UNDEF } from "./bytes.js";

export interface BTreeKind<K> {
  type: 0 | 1;
  /** Maximum children per node (2K). */
  maxChildren: number;
  keySize: number;
  writeKey(out: Bytes, key: K): void;
}

export interface BuiltNode {
  address: number;
  bytes: Uint8Array;
}

/**
 * `keys` has one more element than `children`. `alloc(size)` returns where a
 * node of `size` bytes goes. Returns the root's address and the nodes to write.
 */
export function buildBTree<K>(kind: BTreeKind<K>, keys: K[], children: number[], alloc: (size: number) => number): { root: number; nodes: BuiltNode[] } {
  const nodeSize = 24 + kind.maxChildren * 8 + (kind.maxChildren + 1) * kind.keySize;
  const nodes: BuiltNode[] = [];
  let level = 0;
  for (;;) {
    const n = children.length;
    const count = Math.max(1, Math.ceil(n / kind.maxChildren));
    // spread children evenly over the nodes of this level
    const per = Math.ceil(n / count) || 0;
    const nextKeys: K[] = [];
    const nextChildren: number[] = [];
    for (let j = 0; j < count; j++) {
      const lo = j * per;
      const hi = Math.min(n, lo + per);
      const out = new Bytes(nodeSize);
      out.bytes(new Uint8Array([0x54, 0x52, 0x45, 0x45])).u8(kind.type).u8(level).u16(hi - lo);
      out.u64(UNDEF).u64(UNDEF); // siblings: readers of these files do not need them
      for (let i = lo; i < hi; i++) {
        kind.writeKey(out, keys[i]);
        out.u64(children[i]);
      }
      kind.writeKey(out, keys[hi]);
      out.zeros(nodeSize - out.length);
      const address = alloc(nodeSize);
      nodes.push({ address, bytes: out.finish() });
      nextKeys.push(keys[lo]);
      nextChildren.push(address);
      if (j === count - 1) nextKeys.push(keys[hi]);
    }
    if (count === 1) return { root: nextChildren[0], nodes };
    keys = nextKeys;
    children = nextChildren;
    level++;
  }
}
