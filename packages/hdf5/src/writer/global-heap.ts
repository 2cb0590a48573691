// Global heap collections ("GCOL", version 1) holding the bytes of
// variable-length strings. A string's 16-byte descriptor in the dataset or
// attribute points at (collection address, object index).
import { type Utf8Strings, utf8At, utf8Length } from "@cellfolio/codecs";
import { Bytes, pad8 } from "./bytes.js";

/** The library reads at least this much of a collection, so none is smaller. */
const MIN_COLLECTION = 4096;
/** Keep collections to about this much so a reader holds little at a time. */
const TARGET_COLLECTION = 1 << 20;
const MAX_OBJECTS = 65535;
const OBJ_HEADER = 16;

/** Where packCollections put each string: its collection (-1: empty, no object) and object index there. */
export interface HeapPlacement {
  collections: Uint8Array[];
  collectionOf: Int32Array;
  indexOf: Uint32Array;
}

/** Packs string bytes into collections; empty strings get no object. */
export function packCollections(strings: Utf8Strings): HeapPlacement {
  const n = strings.ends.length;
  const collections: Uint8Array[] = [];
  const collectionOf = new Int32Array(n);
  const indexOf = new Uint32Array(n);
  let group: number[] = []; // string indices of the collection being filled
  let used = 16; // collection header
  const flush = () => {
    if (group.length === 0) return;
    const size = Math.max(MIN_COLLECTION, used + OBJ_HEADER);
    const out = new Bytes(size);
    out.bytes(new Uint8Array([0x47, 0x43, 0x4f, 0x4c])).u8(1).zeros(3).u64(size);
    group.forEach((s, i) => {
      const b = utf8At(strings, s);
      out.u16(i + 1).u16(0).u32(0).u64(b.length).bytes(b).zeros(pad8(b.length) - b.length);
    });
    // the rest is the free-space object (index 0), its size counting its own header
    const free = size - out.length;
    out.u16(0).u16(0).u32(0).u64(free).zeros(free - OBJ_HEADER);
    collections.push(out.finish());
    group = [];
    used = 16;
  };
  for (let i = 0; i < n; i++) {
    const length = utf8Length(strings, i);
    if (length === 0) {
      collectionOf[i] = -1;
      continue;
    }
    const need = OBJ_HEADER + pad8(length);
    if (group.length > 0 && (used + need > TARGET_COLLECTION || group.length >= MAX_OBJECTS)) flush();
    group.push(i);
    used += need;
    collectionOf[i] = collections.length;
    indexOf[i] = group.length;
  }
  flush();
  return { collections, collectionOf, indexOf };
}

/** The 16-byte vlen descriptors of strings [from, to), given where each collection went. */
export function encodeDescriptors(strings: Utf8Strings, heap: HeapPlacement, addresses: readonly number[], from = 0, to = strings.ends.length): Uint8Array {
  const out = new Uint8Array((to - from) * 16);
  const view = new DataView(out.buffer);
  for (let i = from; i < to; i++) {
    const c = heap.collectionOf[i];
    if (c < 0) continue; // empty string: length 0, address 0, index 0
    const o = (i - from) * 16;
    view.setUint32(o, utf8Length(strings, i), true);
    view.setBigUint64(o + 4, BigInt(addresses[c]), true);
    view.setUint32(o + 12, heap.indexOf[i], true);
  }
  return out;
}
