// Version 1 B-trees (format spec III.A.1): group nodes (keys are local heap
// offsets, leaves point to symbol table nodes) and raw data chunk nodes (keys
// are chunk size, filter mask and chunk offsets; leaves point to chunks).
import type { FileContext } from "./context.js";

export interface ChunkRecord {
  /** Element offsets of the chunk's first element, one per dimension. */
  offset: number[];
  address: number;
  size: number;
  filterMask: number;
}

const MAX_DEPTH = 64;

async function visit(
  ctx: FileContext,
  address: number,
  nodeType: 0 | 1,
  keySize: number,
  path: string,
  depth: number,
  seen: Set<number>,
  leaf: (keys: Uint8Array[], children: number[]) => void,
  expectLevel?: number,
  want?: (left: Uint8Array, right: Uint8Array) => boolean,
  bounds?: { lo: Uint8Array; hi?: Uint8Array },
): Promise<void> {
  if (depth > MAX_DEPTH) throw new RangeError("B-tree deeper than 64 levels");
  if (seen.has(address)) throw new RangeError(`B-tree node ${address} visited twice (cycle)`);
  seen.add(address);
  const headSize = 8 + 2 * ctx.offsetSize;
  const entryBytes = keySize + ctx.offsetSize;
  // Chunk B-tree nodes lie among the chunks: read exactly them (local files).
  const read = nodeType === 1 ? ctx.direct.bind(ctx) : ctx.at.bind(ctx);
  // One read for the header and a node of up to NODE_ENTRIES_GUESS entries
  // (what h5py and this writer allocate), a second only for a larger one:
  // a search or a whole index costs half the reads.
  const left = ctx.fileSize - ctx.base - address;
  const h = await read(address, Math.max(headSize, Math.min(headSize + NODE_ENTRIES_GUESS * entryBytes + keySize, left)), path, "B-tree node");
  h.signature("TREE");
  const type = h.u8();
  const level = h.u8();
  const entries = h.u16();
  if (type !== nodeType) throw new RangeError(`B-tree node type ${type}, expected ${nodeType}`);
  if (expectLevel !== undefined && level !== expectLevel) throw new RangeError(`B-tree node level ${level}, expected ${expectLevel}`);
  const need = entries * entryBytes + keySize;
  h.pos = headSize;
  const c = h.remaining >= need ? h : await read(address + headSize, need, path, "B-tree node");
  const keys: Uint8Array[] = [];
  const children: number[] = [];
  for (let i = 0; i < entries; i++) {
    keys.push(c.take(keySize));
    children.push(c.addr());
  }
  keys.push(c.take(keySize));
  if (nodeType === 1) checkChunkKeyOrder(keys, entries, bounds);
  if (level === 0) {
    leaf(keys, children);
    return;
  }
  // Sibling subtrees are independent: read them concurrently (only those
  // whose key range can hold what is wanted), SIBLINGS_AT_ONCE at a time: all
  // at once, a chunk index of 5 million chunks had its 78,000 leaves in
  // flight together (1 GB, 4.8 s to open one cell; bench/hdf5-index.mjs --read).
  const wanted = children.map((child, i) => ({ child, i })).filter(({ i }) => !want || want(keys[i], keys[i + 1]));
  for (let s = 0; s < wanted.length; s += SIBLINGS_AT_ONCE) {
    await Promise.all(
      wanted.slice(s, s + SIBLINGS_AT_ONCE).map(({ child, i }) => {
        // child i holds keys from key i up to (not including) key i+1; the last child up to the parent's own bound
        const childBounds = { lo: keys[i], hi: i + 1 < entries ? keys[i + 1] : bounds?.hi };
        return visit(ctx, child, nodeType, keySize, path, depth + 1, seen, leaf, level - 1, want, childBounds);
      }),
    );
  }
}

/** Entries of a v1 B-tree node read with its header (2K for the default chunk K of 32). */
const NODE_ENTRIES_GUESS = 64;

/** Children of a node read at once (per level: 16 x 16 leaves under way below two levels). */
const SIBLINGS_AT_ONCE = 16;

/** The little-endian u32 at `at` of a key (no DataView or BigInt per call: keys are compared ~3 times each while an index loads). */
function u32(k: Uint8Array, at: number): number {
  return (k[at] | (k[at + 1] << 8) | (k[at + 2] << 16) | (k[at + 3] << 24)) >>> 0;
}

/** C-order comparison of two chunk keys' offsets (after the size and filter mask: u64 each). */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let at = 8; at < a.byteLength; at += 8) {
    const x = u32(a, at + 4);
    const y = u32(b, at + 4);
    if (x !== y) return x < y ? -1 : 1;
    const xl = u32(a, at);
    const yl = u32(b, at);
    if (xl !== yl) return xl < yl ? -1 : 1;
  }
  return 0;
}

/**
 * A chunk B-tree's keys (one per child) must rise strictly and lie within the
 * parent's range. The HDF5 library finds a chunk by binary search over them,
 * so with a key out of order it misses chunks that are present (which ones
 * depends on the search path): no reading of such an index is right, so it
 * is refused. (The node's last key, a bound some writers leave loose, is not
 * checked.)
 */
function checkChunkKeyOrder(keys: Uint8Array[], entries: number, bounds?: { lo: Uint8Array; hi?: Uint8Array }): void {
  for (let i = 0; i < entries; i++) {
    if (i > 0 && compareKeys(keys[i - 1], keys[i]) >= 0) throw new RangeError(`chunk B-tree keys out of order (key ${i} is not after key ${i - 1}): the chunk index is corrupt`);
    if (bounds && compareKeys(keys[i], bounds.lo) < 0) throw new RangeError(`chunk B-tree key ${i} lies before its parent's key: the chunk index is corrupt`);
    if (bounds?.hi && compareKeys(keys[i], bounds.hi) >= 0) throw new RangeError(`chunk B-tree key ${i} lies past its parent's next key: the chunk index is corrupt`);
  }
}

/** Addresses of the symbol table nodes (SNOD) of a group's B-tree (in no particular order). */
export async function groupNodes(ctx: FileContext, address: number, path: string): Promise<number[]> {
  const out: number[] = [];
  await visit(ctx, address, 0, ctx.lengthSize, path, 0, new Set(), (_keys, children) => {
    out.push(...children);
  });
  return out;
}

/** Chunk offsets of a key, compared in C order. */
function compareKey(k: Uint8Array, offset: number[]): number {
  for (let d = 0; d < offset.length; d++) {
    const v = u32(k, 8 + 8 * d) + u32(k, 12 + 8 * d) * 4294967296;
    if (v !== offset[d]) return v < offset[d] ? -1 : 1;
  }
  return 0;
}

/**
 * The chunks of a v1 B-tree chunk index (layout v1-v3); with `range`, only
 * the subtrees whose keys can hold chunks between the first and last chunk
 * offsets given (C order), so one small read visits one path down the tree.
 */
export async function chunkRecords(
  ctx: FileContext,
  address: number,
  rank: number,
  path: string,
  range?: { first: number[]; last: number[] },
): Promise<ChunkRecord[]> {
  const keySize = 8 + 8 * (rank + 1);
  const out: ChunkRecord[] = [];
  // Child i holds chunks from key i (inclusive) to key i+1 (exclusive).
  const want = range ? (left: Uint8Array, right: Uint8Array) => compareKey(left, range.last) <= 0 && compareKey(right, range.first) > 0 : undefined;
  await visit(ctx, address, 1, keySize, path, 0, new Set(), (keys, children) => {
    if (children.length === 0) return;
    // One view for the node (its keys share a buffer); 64-bit offsets as two
    // 32-bit halves (no BigInt per value: a whole index has 100,000s of them).
    const dv = new DataView(keys[0].buffer);
    for (let i = 0; i < children.length; i++) {
      const at = keys[i].byteOffset;
      const offset: number[] = new Array(rank);
      for (let d = 0; d < rank; d++) offset[d] = dv.getUint32(at + 8 + 8 * d, true) + dv.getUint32(at + 12 + 8 * d, true) * 4294967296;
      out.push({ offset, address: children[i], size: dv.getUint32(at, true), filterMask: dv.getUint32(at + 4, true) });
    }
  }, undefined, want);
  return out;
}

/**
 * Every chunk of a v1 B-tree chunk index handed to `fn` as it is decoded
 * (`offset` is one array reused across calls): no object per chunk, for
 * indexes of 100,000s of chunks kept in typed arrays.
 */
export async function forEachChunkRecord(
  ctx: FileContext,
  address: number,
  rank: number,
  path: string,
  fn: (offset: number[], address: number, size: number, filterMask: number) => void,
): Promise<void> {
  const keySize = 8 + 8 * (rank + 1);
  const offset: number[] = new Array(rank).fill(0);
  await visit(ctx, address, 1, keySize, path, 0, new Set(), (keys, children) => {
    if (children.length === 0) return;
    const dv = new DataView(keys[0].buffer);
    for (let i = 0; i < children.length; i++) {
      const at = keys[i].byteOffset;
      for (let d = 0; d < rank; d++) offset[d] = dv.getUint32(at + 8 + 8 * d, true) + dv.getUint32(at + 12 + 8 * d, true) * 4294967296;
      fn(offset, children[i], dv.getUint32(at, true), dv.getUint32(at + 4, true));
    }
  });
}
