// Little-endian field reads over a buffer, with the file's address and length
// sizes; every read is bounds-checked so a corrupt size field gives an error,
// not garbage or a hang.

/** The undefined address (all bits set), returned as this value. */
export const UNDEFINED = -1;

export class Cursor {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
    readonly offsetSize = 8,
    readonly lengthSize = 8,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new RangeError(`structure truncated: need ${n} bytes at ${this.pos}, have ${this.bytes.length - this.pos}`);
    }
  }

  skip(n: number): this {
    this.need(n);
    this.pos += n;
    return this;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An unsigned little-endian integer of `n` bytes (n <= 8), as a number; all-ones gives UNDEFINED. */
  uint(n: number): number {
    this.need(n);
    let v = 0;
    let allOnes = true;
    for (let i = n - 1; i >= 0; i--) {
      const b = this.bytes[this.pos + i];
      if (b !== 0xff) allOnes = false;
      v = v * 256 + b;
    }
    this.pos += n;
    if (allOnes && n >= 4) return UNDEFINED;
    if (v > Number.MAX_SAFE_INTEGER) throw new RangeError(`integer field too large (${v})`);
    return v;
  }

  u64(): number {
    return this.uint(8);
  }

  /** A file address (offset size); UNDEFINED for the undefined address. */
  addr(): number {
    return this.uint(this.offsetSize);
  }

  /** A length field (length size). */
  len(): number {
    return this.uint(this.lengthSize);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  signature(expected: string): void {
    this.need(4);
    const got = String.fromCharCode(...this.bytes.subarray(this.pos, this.pos + 4));
    if (got !== expected) {
      throw new RangeError(`bad signature: expected "${expected}", found "${printable(got)}"`);
    }
    this.pos += 4;
  }

  /** A NUL-terminated string (UTF-8), the cursor left after the NUL. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) throw new RangeError(`unterminated string at ${this.pos}`);
    const s = decodeUtf8(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  align(n: number, from = 0): void {
    const rel = this.pos - from;
    const pad = (n - (rel % n)) % n;
    this.pos = Math.min(this.pos + pad, this.bytes.length);
  }
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

const utf8 = new TextDecoder("utf-8");
export function decodeUtf8(b: Uint8Array): string {
  return utf8.decode(b);
}

/** A fixed-size string field: up to the first NUL (null-terminated/padded) or trailing spaces trimmed (space-padded). */
export function decodeFixedString(b: Uint8Array, padding: number): string {
  if (padding === 2) {
    let end = b.length;
    while (end > 0 && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
    return decodeUtf8(b.subarray(0, end));
  }
  const nul = b.indexOf(0);
  return decodeUtf8(nul >= 0 ? b.subarray(0, nul) : b);
}

/** Bytes needed to store the value `n` (at least 1), as HDF5 sizes its variable-width fields. */
export function bytesFor(n: number): number {
  let b = 1;
  while (n >= 256 ** b && b < 8) b++;
  return b;
}
