// Datatype message (0x0003), version 1 encodings as h5py / HDF5 1.10 write them.
import { type Utf8Strings, utf8At } from "@cellfolio/codecs";
import { Bytes, pad8, textEncoder } from "./bytes.js";

/** The element types the writer knows. */
export type H5Type =
  | { class: "int"; size: 1 | 2 | 4 | 8; signed: boolean }
  | { class: "float"; size: 2 | 4 | 8 }
  /** h5py's bool: an enum over int8 with FALSE = 0, TRUE = 1. */
  | { class: "bool" }
  /** Variable-length UTF-8 string (h5py.string_dtype()). */
  | { class: "vlen-string" }
  /** Fixed-length string of `size` bytes (numpy "S<size>"): null-padded ASCII by default. */
  | { class: "fixed-string"; size: number; charset?: "ascii" | "utf8"; pad?: "nullterm" | "nullpad" | "spacepad" }
  /** A record of named members at byte offsets (numpy's structured dtype; packed as h5py writes it). */
  | { class: "compound"; size: number; members: CompoundMember[] };

export interface CompoundMember {
  name: string;
  /** Byte offset of the member in the record. */
  offset: number;
  type: Exclude<H5Type, { class: "compound" }>;
}

/** Bytes one element takes in the dataset's raw data (16 for a vlen descriptor). */
export function typeSize(t: H5Type): number {
  switch (t.class) {
    case "int":
    case "float":
      return t.size;
    case "bool":
      return 1;
    case "vlen-string":
      return 16; // length (4) + global heap collection address (8) + object index (4)
    case "fixed-string":
    case "compound":
      return t.size;
  }
}

/** A packed compound type (numpy's aligned=False layout: each member right after the previous one). */
export function packedCompound(members: { name: string; type: CompoundMember["type"] }[]): H5Type {
  let offset = 0;
  const out: CompoundMember[] = [];
  for (const m of members) {
    out.push({ name: m.name, offset, type: m.type });
    offset += typeSize(m.type);
  }
  return { class: "compound", size: offset, members: out };
}

const FLOAT_LAYOUT = {
  2: { sign: 15, expLoc: 10, expSize: 5, mantSize: 10, bias: 15 },
  4: { sign: 31, expLoc: 23, expSize: 8, mantSize: 23, bias: 127 },
  8: { sign: 63, expLoc: 52, expSize: 11, mantSize: 52, bias: 1023 },
} as const;

function header(out: Bytes, cls: number, bits: [number, number, number], size: number): void {
  out.u8((1 << 4) | cls); // version 1
  out.u8(bits[0]).u8(bits[1]).u8(bits[2]);
  out.u32(size);
}

function fixedPoint(out: Bytes, size: number, signed: boolean): void {
  header(out, 0, [signed ? 0x08 : 0, 0, 0], size);
  out.u16(0).u16(size * 8); // bit offset, precision
}

/** The encoded datatype, unpadded (attribute messages record this size). */
export function encodeDatatype(t: H5Type): Uint8Array {
  const out = new Bytes(64);
  switch (t.class) {
    case "int":
      fixedPoint(out, t.size, t.signed);
      break;
    case "float": {
      const f = FLOAT_LAYOUT[t.size];
      // byte order LE, no padding, mantissa normalisation "implied", sign bit position
      header(out, 1, [0x20, f.sign, 0], t.size);
      out.u16(0).u16(t.size * 8);
      out.u8(f.expLoc).u8(f.expSize).u8(0).u8(f.mantSize).u32(f.bias);
      break;
    }
    case "bool": {
      header(out, 8, [2, 0, 0], 1); // 2 members
      fixedPoint(out, 1, true);
      for (const name of ["FALSE", "TRUE"]) {
        // each name null-terminated and padded to a multiple of 8 bytes of its own
        const b = textEncoder.encode(name);
        out.bytes(b).zeros(pad8(b.length + 1) - b.length);
      }
      out.u8(0).u8(1);
      break;
    }
    case "vlen-string":
      // type 1 = string, padding 0 = null-terminated, charset 1 = UTF-8; base type: 1-byte unsigned
      header(out, 9, [0x01, 0x01, 0], 16);
      fixedPoint(out, 1, false);
      break;
    case "fixed-string": {
      const pad = { nullterm: 0, nullpad: 1, spacepad: 2 }[t.pad ?? "nullpad"];
      const cset = t.charset === "utf8" ? 1 : 0;
      if (!(t.size >= 1)) throw new Error(`fixed-length string size must be >= 1, got ${t.size}`);
      header(out, 3, [pad | (cset << 4), 0, 0], t.size);
      break;
    }
    case "compound": {
      // Version 1 (what the library writes unless asked for the latest format):
      // the member count in the class bits; each member's name null-terminated
      // and padded to a multiple of 8, its byte offset, then the unused
      // array-member fields (rank 0, permutation, 4 dimension sizes) and its type.
      const n = t.members.length;
      if (n === 0 || n > 0xffff) throw new Error(`a compound type needs 1 to 65535 members, got ${n}`);
      header(out, 6, [n & 0xff, n >> 8, 0], t.size);
      const names = new Set<string>();
      for (const m of t.members) {
        if (m.name === "" || names.has(m.name)) throw new Error(`compound member names must be unique and non-empty, got ${JSON.stringify(m.name)}`);
        names.add(m.name);
        if (!(m.offset >= 0 && m.offset + typeSize(m.type) <= t.size)) throw new Error(`compound member ${m.name} does not fit the ${t.size}-byte record`);
        const b = textEncoder.encode(m.name);
        out.bytes(b).zeros(pad8(b.length + 1) - b.length);
        out.u32(m.offset).u8(0).zeros(3).u32(0).zeros(4).zeros(16);
        out.bytes(encodeDatatype(m.type));
      }
      break;
    }
  }
  return out.finish();
}

/** Strings as a fixed-length string type of `size` bytes stores them, null-padded; `where` names the element in the error. */
export function fixedStrings(strings: Utf8Strings, size: number, where: string): Uint8Array {
  const n = strings.ends.length;
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const b = utf8At(strings, i);
    if (b.length > size) throw new Error(`${where}: string of ${b.length} bytes in a ${size}-byte string type`);
    out.set(b, i * size);
  }
  return out;
}
