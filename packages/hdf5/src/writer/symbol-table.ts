// A symbol-table group as h5py writes it: a local heap ("HEAP", version 0)
// with the names, symbol table nodes ("SNOD", up to 2 x leaf-K = 8 entries
// each) and a type-0 v1 B-tree over them (internal K = 16: 32 children).
import { type BuiltNode, buildBTree } from "./btree-v1.js";
import { Bytes, pad8, textEncoder } from "./bytes.js";

export const GROUP_LEAF_K = 4;
export const GROUP_INTERNAL_K = 16;
const SNOD_ENTRIES = 2 * GROUP_LEAF_K;
const SNOD_SIZE = 8 + SNOD_ENTRIES * 40;

export interface SymbolEntry {
  name: string;
  objectHeader: number;
  /** For child groups: cached B-tree and heap addresses (cache type 1). */
  stab?: { btree: number; heap: number };
}

/** Writes a 40-byte symbol table entry. */
export function writeSymbolEntry(out: Bytes, nameOffset: number, e: { objectHeader: number; stab?: { btree: number; heap: number } }): void {
  out.u64(nameOffset).u64(e.objectHeader);
  if (e.stab) out.u32(1).u32(0).u64(e.stab.btree).u64(e.stab.heap);
  else out.u32(0).u32(0).zeros(16);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Children names sorted as the library compares them (strcmp on UTF-8 bytes). */
export function sortNames(names: readonly string[]): string[] {
  const enc = names.map((n) => ({ n, b: textEncoder.encode(n) }));
  enc.sort((x, y) => compareBytes(x.b, y.b));
  return enc.map((e) => e.n);
}

export interface PlannedGroup {
  heapAddress: number;
  btreeAddress: number;
  /** Bytes to write, each at its address, once the children's addresses are known. */
  encode(children: SymbolEntry[]): BuiltNode[];
}

/**
 * Allocates the heap, symbol nodes and B-tree for a group with these child
 * names (sizes depend only on the names), and returns an encoder that fills
 * them once the children's object headers have addresses.
 */
export async function planGroup(names: readonly string[], alloc: (size: number) => number): Promise<PlannedGroup> {
  const sorted = sortNames(names);
  // local heap data: "" at offset 0, then each name null-terminated, padded to 8
  const offsets = new Map<string, number>();
  let dataSize = 8;
  for (const n of sorted) {
    offsets.set(n, dataSize);
    dataSize += pad8(textEncoder.encode(n).length + 1);
  }
  const heapAddress = alloc(32 + dataSize);
  const snodCount = Math.ceil(sorted.length / SNOD_ENTRIES);
  const snodAddresses: number[] = [];
  for (let i = 0; i < snodCount; i++) snodAddresses.push(alloc(SNOD_SIZE));
  const keys = [0];
  for (let i = 0; i < snodCount; i++) {
    const last = sorted[Math.min(sorted.length, (i + 1) * SNOD_ENTRIES) - 1];
    keys.push(offsets.get(last)!);
  }
  const nodes: BuiltNode[] = [];
  const btreeAddress = await buildBTree(
    { type: 0, maxChildren: 2 * GROUP_INTERNAL_K, keySize: 8, writeKey: (out, i) => out.u64(keys[i]) },
    snodAddresses.length,
    (i) => snodAddresses[i],
    (bytes) => {
      const address = alloc(bytes.length);
      nodes.push({ address, bytes });
      return address;
    },
  );
  return {
    heapAddress,
    btreeAddress,
    encode(children: SymbolEntry[]): BuiltNode[] {
      const byName = new Map(children.map((c) => [c.name, c]));
      const heap = new Bytes(32 + dataSize);
      heap.bytes(new Uint8Array([0x48, 0x45, 0x41, 0x50])).u8(0).zeros(3);
      // data segment size, free list head (1 = none, the library's H5HL_FREE_NULL), data address
      heap.u64(dataSize).u64(1).u64(heapAddress + 32);
      heap.zeros(8);
      for (const n of sorted) {
        const b = textEncoder.encode(n);
        heap.bytes(b).zeros(pad8(b.length + 1) - b.length);
      }
      const out: BuiltNode[] = [{ address: heapAddress, bytes: heap.finish() }, ...nodes];
      for (let i = 0; i < snodCount; i++) {
        const part = sorted.slice(i * SNOD_ENTRIES, (i + 1) * SNOD_ENTRIES);
        const s = new Bytes(SNOD_SIZE);
        s.bytes(new Uint8Array([0x53, 0x4e, 0x4f, 0x44])).u8(1).u8(0).u16(part.length);
        for (const n of part) writeSymbolEntry(s, offsets.get(n)!, byName.get(n)!);
        s.zeros(SNOD_SIZE - s.length);
        out.push({ address: snodAddresses[i], bytes: s.finish() });
      }
      return out;
    },
  };
}
