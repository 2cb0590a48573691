// Raw element bytes turned into JavaScript values: typed arrays for numbers
// (float16 as Uint16Array bit patterns, 64-bit integers as BigInt64Array),
// string[] for strings (vlen ones fetched from the global heap), one entry per
// field for compounds.
import { Cursor, decodeFixedString, decodeUtf8 } from "./cursor.js";
import type { Datatype } from "./datatype.js";
import type { GlobalHeap } from "./global-heap.js";

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** Decoded values: numbers, strings, per-field records (compound), per-element lists (vlen sequences). */
export type Values = TypedArray | string[] | { [field: string]: Values } | Values[];

/** The numeric typed array for an integer, float, enum or bitfield type of this size, or undefined. */
export function numericArray(t: Datatype, bytes: Uint8Array): TypedArray | undefined {
  let base = t;
  if (base.class === "enum") base = base.base;
  const size = base.size;
  if (base.class !== "integer" && base.class !== "float" && base.class !== "bitfield") return undefined;
  const le = base.littleEndian;
  let b = bytes;
  if (!le || b.byteOffset % size !== 0) b = b.slice();
  if (!le) swapBytes(b, size);
  const n = Math.floor(b.length / size);
  const buf = b.buffer;
  const off = b.byteOffset;
  if (base.class === "float") {
    if (size === 2) return new Uint16Array(buf, off, n);
    if (size === 4) return new Float32Array(buf, off, n);
    if (size === 8) return new Float64Array(buf, off, n);
    return undefined;
  }
  const signed = base.class === "integer" && base.signed;
  switch (size) {
    case 1:
      return signed ? new Int8Array(buf, off, n) : new Uint8Array(buf, off, n);
    case 2:
      return signed ? new Int16Array(buf, off, n) : new Uint16Array(buf, off, n);
    case 4:
      return signed ? new Int32Array(buf, off, n) : new Uint32Array(buf, off, n);
    case 8:
      return signed ? new BigInt64Array(buf, off, n) : new BigUint64Array(buf, off, n);
    default:
      return undefined;
  }
}

export function swapBytes(b: Uint8Array, size: number): void {
  if (size <= 1) return;
  for (let i = 0; i + size <= b.length; i += size) {
    for (let j = 0, k = size - 1; j < k; j++, k--) {
      const t = b[i + j];
      b[i + j] = b[i + k];
      b[i + k] = t;
    }
  }
}

/** Copies field bytes [offset, offset+size) of every element (stride `stride`) into one packed buffer. */
function gather(raw: Uint8Array, n: number, stride: number, offset: number, size: number): Uint8Array {
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) out.set(raw.subarray(i * stride + offset, i * stride + offset + size), i * size);
  return out;
}

export async function decodeValues(
  raw: Uint8Array,
  t: Datatype,
  n: number,
  heap: GlobalHeap,
  path: string,
  offsetSize: number,
): Promise<Values> {
  const num = numericArray(t, raw.subarray(0, n * t.size));
  if (num) return num;
  switch (t.class) {
    case "string": {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = decodeFixedString(raw.subarray(i * t.size, (i + 1) * t.size), t.padding);
      return out;
    }
    case "vlen-string":
    case "vlen": {
      const c = new Cursor(raw, 0, offsetSize);
      const refs: { len: number; addr: number; index: number }[] = [];
      for (let i = 0; i < n; i++) {
        c.pos = i * t.size;
        refs.push({ len: c.u32(), addr: c.addr(), index: c.u32() });
      }
      const objects = await Promise.all(
        refs.map((r) => (r.len === 0 || r.addr <= 0 ? Promise.resolve(new Uint8Array(0)) : heap.object(r.addr, r.index, path))),
      );
      if (t.class === "vlen-string") {
        return objects.map((o, i) => {
          // The stored length is in bytes for strings; trailing NULs are padding.
          let end = Math.min(refs[i].len, o.length);
          while (end > 0 && o[end - 1] === 0) end--;
          return decodeUtf8(o.subarray(0, end));
        });
      }
      const out: Values[] = [];
      for (let i = 0; i < n; i++) {
        out.push(await decodeValues(objects[i].subarray(0, refs[i].len * t.base.size), t.base, refs[i].len, heap, path, offsetSize));
      }
      return out;
    }
    case "compound": {
      const rec: { [field: string]: Values } = {};
      for (const m of t.members) {
        rec[m.name] = await decodeValues(gather(raw, n, t.size, m.offset, m.type.size), m.type, n, heap, path, offsetSize);
      }
      return rec;
    }
    case "array": {
      const k = t.dims.reduce((a, b) => a * b, 1);
      return decodeValues(raw, t.base, n * k, heap, path, offsetSize);
    }
    case "reference":
      if (t.size === 8) return new BigUint64Array(raw.slice(0, n * 8).buffer);
      return raw.slice(0, n * t.size);
    default:
      return raw.slice(0, n * t.size);
  }
}

/** An attribute of an object: its name, type, shape and decoded value. */
export interface Attribute {
  name: string;
  datatype: Datatype;
  /** null for a null dataspace (h5py's Empty); [] for a scalar. */
  shape: number[] | null;
  value: Values;
}
