// Zarr v3 sharding (the sharding_indexed codec), read and written: where an
// inner chunk sits in its shard, and the shard index. The index holds, per
// inner chunk in C order, its offset and length in the shard as
// little-endian u64 (both 2^64 - 1 for a chunk not stored), then, with the
// crc32c index codec, a checksum of those pairs.
import { product } from "../dtype.js";
import { crc32c, readU32, writeU32 } from "./codecs.js";
import type { KeyStore } from "./key-store.js";
import type { ShardSpec } from "./metadata.js";

/** Offset and length of an inner chunk the shard does not hold. */
export const MISSING = 0xffffffffffffffffn;

/** The inner chunks of one shard: `per` along each axis, `count` in all. */
export function shardGrid(shardShape: number[], inner: number[]): { per: number[]; count: number } {
  const per = shardShape.map((s, i) => Math.ceil(s / inner[i]));
  return { per, count: product(per) };
}

/** The shard of inner chunk `idx` (of the array's inner-chunk grid), and the chunk's place in that shard. */
export function innerPlace(idx: number[], per: number[]): { shard: number[]; local: number[]; flat: number } {
  const shard = idx.map((c, i) => Math.floor(c / per[i]));
  const local = idx.map((c, i) => c - shard[i] * per[i]);
  return { shard, local, flat: flatIndex(local, per) };
}

/** The position in the shard index of the inner chunk at `local` in its shard. */
export function flatIndex(local: number[], per: number[]): number {
  let flat = 0;
  for (let i = 0; i < local.length; i++) flat = flat * per[i] + local[i];
  return flat;
}

/** Where the inner chunk at `flat` is in the shard; null when it is not stored (or the shard is not). */
export function innerRange(index: BigUint64Array | null, flat: number): { offset: number; length: number } | null {
  if (!index || (index[2 * flat] === MISSING && index[2 * flat + 1] === MISSING)) return null;
  return { offset: Number(index[2 * flat]), length: Number(index[2 * flat + 1]) };
}

/** Bytes of a shard's index and where they are: a range of the shard file (negative offset: from its end). */
export function indexRange(spec: ShardSpec, count: number): { offset: number; length: number } {
  const length = count * 16 + (spec.indexCrc ? 4 : 0);
  return { offset: spec.indexLocation === "end" ? -length : 0, length };
}

/** The index of a shard from its bytes (`whole`: the shard, else the index range alone); throws when cut short or its checksum fails. */
export function parseShardIndex(spec: ShardSpec, count: number, bytes: Uint8Array, whole: boolean): BigUint64Array {
  const size = indexRange(spec, count).length;
  const b = !whole ? bytes : spec.indexLocation === "end" ? bytes.subarray(bytes.length - size) : bytes.subarray(0, size);
  if (b.length !== size) throw new Error(`shard index is ${b.length} bytes, expected ${size} (truncated shard?)`);
  if (spec.indexCrc && crc32c(b.subarray(0, size - 4)) !== readU32(b, size - 4)) throw new Error("shard index crc32c checksum mismatch");
  const copy = new Uint8Array(b.subarray(0, count * 16)); // aligned copy
  return new BigUint64Array(copy.buffer, 0, count * 2);
}

/**
 * The shard indexes of one store, each read (one range request) and parsed
 * (checksum, u64 pairs) once. Kept parsed, not as bytes in a caching store,
 * because a random cell read would otherwise checksum a whole index again.
 * At most `max` shards; past that the cache starts over.
 */
export class ShardIndexes {
  private readonly cache = new Map<string, Promise<BigUint64Array | null>>();
  constructor(
    private readonly store: Pick<KeyStore, "getRange">,
    private readonly max = 512,
  ) {}

  /** The index of the shard at `key` (`whole`: the shard's bytes, read already); null: no such shard. */
  get(spec: ShardSpec, key: string, count: number, whole?: Uint8Array): Promise<BigUint64Array | null> {
    let p = this.cache.get(key);
    if (p && !whole) return p;
    p = (async () => {
      const { offset, length } = indexRange(spec, count);
      const b = whole ?? (await this.store.getRange(key, offset, length));
      return b ? parseShardIndex(spec, count, b, whole !== undefined) : null;
    })();
    p.catch(() => this.cache.delete(key)); // a failed read is tried again next time
    if (this.cache.size >= this.max) this.cache.clear();
    this.cache.set(key, p);
    return p;
  }
}

/** A new shard's index: no inner chunk stored yet. */
export function emptyShardIndex(count: number): BigUint64Array {
  return new BigUint64Array(2 * count).fill(MISSING);
}

/** The bytes the writer appends to a shard: the index and its crc32c (the writer's index codecs). */
export function encodeShardIndex(index: BigUint64Array): Uint8Array {
  const out = new Uint8Array(index.byteLength + 4);
  out.set(new Uint8Array(index.buffer, index.byteOffset, index.byteLength));
  writeU32(out, index.byteLength, crc32c(out.subarray(0, index.byteLength)));
  return out;
}
