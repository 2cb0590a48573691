// A growable little-endian byte builder for metadata structures. Offsets and
// lengths are 8 bytes throughout (superblock "size of offsets/lengths" = 8).

/** The undefined address (all bits set), as the HDF5 spec writes "no address". */
export const UNDEF = -1;

export class Bytes {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }
  /** An 8-byte unsigned value (address or length); UNDEF writes all bits set. */
  u64(v: number | bigint): this {
    this.reserve(8);
    if (v === UNDEF) this.view.setBigUint64(this.length, 0xffffffffffffffffn, true);
    else this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  zeros(n: number): this {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  /** Zero bytes up to a multiple of `m` from the start of this builder. */
  align(m: number): this {
    const r = this.length % m;
    return r ? this.zeros(m - r) : this;
  }
  /** Overwrites a 4-byte value at `at` (for sizes known only after the body). */
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export const textEncoder = new TextEncoder();

/** Rounds up to a multiple of 8, as version-1 structures pad their fields. */
export function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
