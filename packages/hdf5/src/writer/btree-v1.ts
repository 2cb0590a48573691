// Version-1 B-tree nodes ("TREE"), built bottom-up from sorted leaf entries.
// Node type 0 indexes a group's symbol table nodes (keys: local-heap offsets
// of names, key[i+1] = largest name under child i); type 1 indexes chunks
// (keys: chunk size, filter mask, chunk offsets; key[i] = first chunk of
// child i, the last key bounds the last chunk). Every node is allocated for
// 2K children, as the library reads it whole.
import { Bytes, UNDEF } from "./bytes.js";

export interface BTreeKind {
  type: 0 | 1;
  /** Maximum children per node (2K). */
  maxChildren: number;
  keySize: number;
  /** Writes leaf key `i` (0 to n: key n bounds the last child); a node above the leaves repeats its children's keys. */
  writeKey(out: Bytes, i: number): void;
}

export interface BuiltNode {
  address: number;
  bytes: Uint8Array;
}

/**
 * The tree over `n` leaf children (`child(i)`: the address of the i-th),
 * level by level; each node is handed to `place`, which writes or keeps it
 * and returns its address. Only one level's addresses are held (~n / 2K), not
 * the nodes: a chunk index of millions of chunks streams to the file.
 * `pause` is awaited every PAUSE_NODES nodes (a sink's backpressure).
 * Returns the root's address.
 */
export async function buildBTree(
  kind: BTreeKind,
  n: number,
  child: (i: number) => number,
  place: (bytes: Uint8Array) => number,
  pause?: () => Promise<void>,
): Promise<number> {
  const nodeSize = 24 + kind.maxChildren * 8 + (kind.maxChildren + 1) * kind.keySize;
  // this level's children: addresses and the leaf key each starts at (plus the end key)
  let childOf = child;
  let keyOf = (i: number) => i;
  let level = 0;
  let placed = 0;
  for (;;) {
    const count = Math.max(1, Math.ceil(n / kind.maxChildren));
    // spread children evenly over the nodes of this level
    const per = Math.ceil(n / count) || 0;
    const addresses = new Float64Array(count);
    const keys = new Float64Array(count + 1);
    for (let j = 0; j < count; j++) {
      const lo = j * per;
      const hi = Math.min(n, lo + per);
      const out = new Bytes(nodeSize);
      out.bytes(new Uint8Array([0x54, 0x52, 0x45, 0x45])).u8(kind.type).u8(level).u16(hi - lo);
      out.u64(UNDEF).u64(UNDEF); // siblings: readers of these files do not need them
      for (let i = lo; i < hi; i++) {
        kind.writeKey(out, keyOf(i));
        out.u64(childOf(i));
      }
      kind.writeKey(out, keyOf(hi));
      out.zeros(nodeSize - out.length);
      addresses[j] = place(out.finish());
      keys[j] = keyOf(lo);
      if (j === count - 1) keys[count] = keyOf(hi);
      if (pause && ++placed % PAUSE_NODES === 0) await pause();
    }
    if (count === 1) return addresses[0];
    childOf = (i) => addresses[i];
    keyOf = (i) => keys[i];
    n = count;
    level++;
  }
}

/** Nodes placed between pauses (~1 MB of chunk-index nodes). */
const PAUSE_NODES = 256;
