// Attribute message (0x000C): version 1 (fields padded to 8) for ASCII names,
// version 3 (UTF-8 name encoding, no padding) otherwise.
import { Bytes, pad8, textEncoder } from "./bytes.js";
import { encodeDataspace } from "./dataspace.js";
import { encodeDatatype, type H5Type } from "./datatype.js";

/** `raw` is the element data as stored (vlen strings: 16-byte heap descriptors). */
export function encodeAttribute(name: string, type: H5Type, shape: readonly number[], raw: Uint8Array): Uint8Array {
  const nameBytes = textEncoder.encode(name);
  const dt = encodeDatatype(type);
  const ds = encodeDataspace(shape);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII test
  const ascii = /^[\x00-\x7f]*$/.test(name);
  const out = new Bytes(64 + nameBytes.length + dt.length + ds.length + raw.length);
  if (ascii) {
    out.u8(1).u8(0).u16(nameBytes.length + 1).u16(dt.length).u16(ds.length);
    out.bytes(nameBytes).zeros(pad8(nameBytes.length + 1) - nameBytes.length);
    out.bytes(dt).zeros(pad8(dt.length) - dt.length);
    out.bytes(ds).zeros(pad8(ds.length) - ds.length);
  } else {
    out.u8(3).u8(0).u16(nameBytes.length + 1).u16(dt.length).u16(ds.length).u8(1 /* UTF-8 */);
    out.bytes(nameBytes).u8(0).bytes(dt).bytes(ds);
  }
  out.bytes(raw);
  return out.finish();
}
