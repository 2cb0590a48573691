// Structured (record) arrays in Zarr, as zarr-python writes anndata's
// rec-arrays: v2 declares numpy's dtype list ([["name", "<f4"], ["gene",
// "<U10"]]), v3 the "struct" data type (zarr-python >= 3.1); both store the
// records packed (numpy's aligned=False), little endian, strings as fixed
// UTF-32 ("U") or fixed bytes ("S"). Zarr has no variable-length field.
import { itemSize } from "../dtype.js";
import type { FieldInfo, NDArray } from "../types.js";
import { numpyV2Typestr, type RecordField } from "./metadata.js";

const utf8 = new TextEncoder();

/** Byte offsets and sizes of the fields, packed in order. */
export function recordLayout(fields: FieldInfo[]): { size: number; fields: RecordField[] } {
  let offset = 0;
  const out: RecordField[] = [];
  for (const f of fields) {
    let field: RecordField;
    if (f.dtype !== "string") field = { name: f.name, dtype: f.dtype, offset, size: itemSize(f.dtype), bigEndian: false };
    else if (f.text?.kind === "utf32") field = { name: f.name, dtype: "string", offset, size: 4 * f.text.chars, bigEndian: false, text: "U" };
    else if (f.text?.kind === "bytes") field = { name: f.name, dtype: "string", offset, size: f.text.size, bigEndian: false, text: "S" };
    else throw new Error(`field ${f.name}: Zarr records hold fixed-length strings only ("U<chars>" or "S<bytes>")`);
    out.push(field);
    offset += field.size;
  }
  return { size: offset, fields: out };
}

function v2Typestr(f: RecordField): string {
  if (f.text === "U") return `<U${f.size / 4}`;
  if (f.text === "S") return `|S${f.size}`;
  return numpyV2Typestr(f.dtype);
}

/** The `.zarray` dtype: numpy's list of [name, typestr]. */
export function v2RecordDtype(fields: RecordField[]): [string, string][] {
  return fields.map((f) => [f.name, v2Typestr(f)]);
}

/** zarr-python 2's fill value of a structured array: the zero record, base64. */
export function v2RecordFill(size: number): string {
  return btoa(String.fromCharCode(...new Uint8Array(size)));
}

/** The v3 "struct" data_type. */
export function v3StructType(fields: RecordField[]): Record<string, unknown> {
  return {
    name: "struct",
    configuration: {
      fields: fields.map((f) => ({
        name: f.name,
        data_type:
          f.text === "U"
            ? { name: "fixed_length_utf32", configuration: { length_bytes: f.size } }
            : f.text === "S"
              ? { name: "null_terminated_bytes", configuration: { length_bytes: f.size } }
              : f.dtype,
      })),
    },
  };
}

/** The v3 fill value of a struct: one zero value per field, by name. */
export function v3StructFill(fields: RecordField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = f.text ? "" : f.dtype === "bool" ? false : f.dtype.startsWith("float") ? 0.0 : 0;
  return out;
}

/** Packs 1-D columns (one per field, in order) into little-endian records. */
export function packRecords(layout: { size: number; fields: RecordField[] }, columns: NDArray[], n: number): Uint8Array {
  const out = new Uint8Array(n * layout.size);
  const view = new DataView(out.buffer);
  layout.fields.forEach((f, k) => {
    const col = columns[k];
    if (col.shape.length !== 1 || col.shape[0] !== n) throw new Error(`field ${f.name}: a column of shape [${col.shape}], expected [${n}]`);
    if (f.text) {
      const items = col.data as string[];
      for (let i = 0; i < n; i++) {
        const at = i * layout.size + f.offset;
        if (f.text === "S") {
          const b = utf8.encode(items[i]);
          if (b.length > f.size) throw new Error(`field ${f.name}: ${JSON.stringify(items[i])} is longer than ${f.size} bytes`);
          out.set(b, at);
        } else {
          let c = 0;
          for (const ch of items[i]) {
            if (c * 4 >= f.size) throw new Error(`field ${f.name}: ${JSON.stringify(items[i])} is longer than ${f.size / 4} characters`);
            view.setUint32(at + 4 * c++, ch.codePointAt(0) as number, true);
          }
        }
      }
      return;
    }
    const data = col.data as ArrayBufferView;
    // typed arrays hold native (little-endian) values: copy each element's bytes
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < n; i++) out.set(bytes.subarray(i * f.size, (i + 1) * f.size), i * layout.size + f.offset);
  });
  return out;
}
