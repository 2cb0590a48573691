// Global heap collections ("GCOL", version 1) holding the bytes of
// variable-length strings. A string's 16-byte descriptor in the dataset or
// attribute points at (collection address, object index).
import { Bytes, pad8 } from "./bytes.js";

/** The library reads at least this much of a collection, so none is smaller. */
const MIN_COLLECTION = 4096;
/** Keep collections to about this much so a reader holds little at a time. */
const TARGET_COLLECTION = 1 << 20;
const MAX_OBJECTS = 65535;
const OBJ_HEADER = 16;

export interface HeapRef {
  collection: number; // index into the collections returned
  index: number; // object index inside it (0 = empty string, no object)
}

/** Packs string bytes into collections; empty strings get no object. */
export function packCollections(items: readonly Uint8Array[]): { collections: Uint8Array[]; refs: HeapRef[] } {
  const collections: Uint8Array[] = [];
  const refs: HeapRef[] = new Array(items.length);
  let group: Uint8Array[] = [];
  let used = 16; // collection header
  const flush = () => {
    if (group.length === 0) return;
    const size = Math.max(MIN_COLLECTION, used + OBJ_HEADER);
    const out = new Bytes(size);
    out.bytes(new Uint8Array([0x47, 0x43, 0x4f, 0x4c])).u8(1).zeros(3).u64(size);
    group.forEach((b, i) => {
      out.u16(i + 1).u16(0).u32(0).u64(b.length).bytes(b).zeros(pad8(b.length) - b.length);
    });
    // the rest is the free-space object (index 0), its size counting its own header
    const free = size - out.length;
    out.u16(0).u16(0).u32(0).u64(free).zeros(free - OBJ_HEADER);
    collections.push(out.finish());
    group = [];
    used = 16;
  };
  for (let i = 0; i < items.length; i++) {
    const b = items[i];
    if (b.length === 0) {
      refs[i] = { collection: -1, index: 0 };
      continue;
    }
    const need = OBJ_HEADER + pad8(b.length);
    if (group.length > 0 && (used + need > TARGET_COLLECTION || group.length >= MAX_OBJECTS)) flush();
    group.push(b);
    used += need;
    refs[i] = { collection: collections.length, index: group.length };
  }
  flush();
  return { collections, refs };
}

/** The 16-byte vlen descriptors for `items`, given where each collection went. */
export function encodeDescriptors(items: readonly Uint8Array[], refs: readonly HeapRef[], addresses: readonly number[]): Uint8Array {
  const out = new Uint8Array(items.length * 16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < items.length; i++) {
    const r = refs[i];
    if (r.index === 0) continue; // empty string: length 0, address 0, index 0
    view.setUint32(i * 16, items[i].length, true);
    view.setBigUint64(i * 16 + 4, BigInt(addresses[r.collection]), true);
    view.setUint32(i * 16 + 12, r.index, true);
  }
  return out;
}
