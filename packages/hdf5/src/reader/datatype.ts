// The datatype message (format spec IV.A.2.d): every class h5py and anndata
// write, parsed into a plain description.
import { type Cursor, decodeFixedString } from "./cursor.js";

export type Datatype =
  | { class: "integer"; size: number; signed: boolean; littleEndian: boolean }
  | { class: "float"; size: number; littleEndian: boolean }
  | { class: "bitfield"; size: number; littleEndian: boolean }
  /** Fixed-length string; padding 0 null-terminated, 1 null-padded, 2 space-padded; charset 0 ASCII, 1 UTF-8. */
  | { class: "string"; size: number; padding: number; charset: number }
  /** Variable-length string: on disk a length and a global heap id. */
  | { class: "vlen-string"; size: number; padding: number; charset: number }
  | { class: "vlen"; size: number; base: Datatype }
  | { class: "enum"; size: number; base: Datatype; members: { name: string; value: number | bigint }[] }
  | { class: "compound"; size: number; members: { name: string; offset: number; type: Datatype }[] }
  | { class: "array"; size: number; dims: number[]; base: Datatype }
  /** refType 0: object reference, 1: dataset region reference. */
  | { class: "reference"; size: number; refType: number }
  | { class: "opaque"; size: number; tag: string }
  | { class: "time"; size: number };

export function parseDatatype(c: Cursor): Datatype {
  const cv = c.u8();
  const cls = cv & 0x0f;
  const version = cv >> 4;
  const b0 = c.u8();
  const b1 = c.u8();
  c.u8();
  const size = c.u32();
  switch (cls) {
    case 0: {
      c.skip(4); // bit offset, precision
      return { class: "integer", size, signed: (b0 & 0x08) !== 0, littleEndian: (b0 & 0x01) === 0 };
    }
    case 1: {
      c.skip(12); // bit offset, precision, exponent/mantissa layout, bias
      if ((b0 & 0x40) !== 0) throw new RangeError("VAX-order floats are not supported");
      return { class: "float", size, littleEndian: (b0 & 0x01) === 0 };
    }
    case 2:
      c.skip(2);
      return { class: "time", size };
    case 3:
      return { class: "string", size, padding: b0 & 0x0f, charset: b0 >> 4 };
    case 4:
      c.skip(4);
      return { class: "bitfield", size, littleEndian: (b0 & 0x01) === 0 };
    case 5: {
      const tagLen = b0;
      const tag = decodeFixedString(c.take(tagLen), 0);
      return { class: "opaque", size, tag };
    }
    case 6: {
      const n = b0 | (b1 << 8);
      const members: { name: string; offset: number; type: Datatype }[] = [];
      for (let i = 0; i < n; i++) {
        const start = c.pos;
        const name = c.cstring();
        let offset: number;
        if (version < 3) {
          c.align(8, start);
          offset = c.u32();
          if (version === 1) {
            const rank = c.u8();
            c.skip(3 + 4 + 4);
            const dims: number[] = [];
            for (let d = 0; d < 4; d++) dims.push(c.u32());
            const type = parseDatatype(c);
            members.push({
              name,
              offset,
              type: rank > 0 ? { class: "array", size: type.size * dims.slice(0, rank).reduce((a, b) => a * b, 1), dims: dims.slice(0, rank), base: type } : type,
            });
            continue;
          }
        } else {
          offset = c.uint(size < 256 ? 1 : size < 65536 ? 2 : size < 1 << 24 ? 3 : 4);
        }
        members.push({ name, offset, type: parseDatatype(c) });
      }
      return { class: "compound", size, members };
    }
    case 7:
      return { class: "reference", size, refType: b0 & 0x0f };
    case 8: {
      const n = b0 | (b1 << 8);
      const base = parseDatatype(c);
      const names: string[] = [];
      for (let i = 0; i < n; i++) {
        const start = c.pos;
        names.push(c.cstring());
        if (version < 3) c.align(8, start);
      }
      const members = names.map((name) => ({ name, value: readInteger(c.take(base.size), base) }));
      return { class: "enum", size, base, members };
    }
    case 9: {
      const kind = b0 & 0x0f;
      const base = parseDatatype(c);
      if (kind === 1) return { class: "vlen-string", size, padding: b0 >> 4, charset: b1 & 0x0f };
      return { class: "vlen", size, base };
    }
    case 10: {
      const rank = c.u8();
      if (version < 3) c.skip(3);
      const dims: number[] = [];
      for (let i = 0; i < rank; i++) dims.push(c.u32());
      if (version < 3) c.skip(4 * rank); // permutation
      return { class: "array", size, dims, base: parseDatatype(c) };
    }
    default:
      throw new RangeError(`unknown datatype class ${cls}`);
  }
}

/** An integer of an integer/enum base type, as a number (bigint beyond 2^53). */
export function readInteger(b: Uint8Array, t: Datatype): number | bigint {
  const le = t.class === "integer" || t.class === "bitfield" ? t.littleEndian : true;
  const signed = t.class === "integer" && t.signed;
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[le ? b.length - 1 - i : i]);
  if (signed && b.length > 0 && v >= 1n << BigInt(8 * b.length - 1)) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** h5py's bool: an enum of int8 with FALSE = 0 and TRUE = 1. */
export function isBoolEnum(t: Datatype): boolean {
  if (t.class !== "enum" || t.size !== 1 || t.members.length !== 2) return false;
  const byName = new Map(t.members.map((m) => [m.name, m.value]));
  return byName.get("FALSE") === 0 && byName.get("TRUE") === 1;
}

/** A short description, for messages ("little-endian int32", "vlen UTF-8 string"). */
export function describeDatatype(t: Datatype): string {
  switch (t.class) {
    case "integer":
      return `${t.littleEndian ? "" : "big-endian "}${t.signed ? "int" : "uint"}${t.size * 8}`;
    case "float":
      return `${t.littleEndian ? "" : "big-endian "}float${t.size * 8}`;
    case "string":
      return `fixed ${t.charset === 1 ? "UTF-8" : "ASCII"} string of ${t.size} bytes`;
    case "vlen-string":
      return `vlen ${t.charset === 1 ? "UTF-8" : "ASCII"} string`;
    case "enum":
      return `enum of ${describeDatatype(t.base)}`;
    case "compound":
      return `compound {${t.members.map((m) => `${m.name}: ${describeDatatype(m.type)}`).join(", ")}}`;
    case "array":
      return `array [${t.dims.join(", ")}] of ${describeDatatype(t.base)}`;
    case "vlen":
      return `vlen sequence of ${describeDatatype(t.base)}`;
    default:
      return `${t.class} (${t.size} bytes)`;
  }
}
