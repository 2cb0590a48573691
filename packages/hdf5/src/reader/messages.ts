// Object header messages (format spec IV.A.2): each parsed from its bytes.
import { Cursor, decodeUtf8, UNDEFINED } from "./cursor.js";
import { type Datatype, parseDatatype } from "./datatype.js";

export const MSG = {
  NIL: 0x0,
  DATASPACE: 0x1,
  LINK_INFO: 0x2,
  DATATYPE: 0x3,
  FILL_OLD: 0x4,
  FILL: 0x5,
  LINK: 0x6,
  LAYOUT: 0x8,
  GROUP_INFO: 0xa,
  FILTERS: 0xb,
  ATTRIBUTE: 0xc,
  CONTINUATION: 0x10,
  SYMBOL_TABLE: 0x11,
  ATTRIBUTE_INFO: 0x15,
} as const;

/** Dataspace: `dims` empty for a scalar; `null` dataspaces hold no element. maxDims entries are -1 where unlimited. */
export interface Dataspace {
  kind: "scalar" | "simple" | "null";
  dims: number[];
  maxDims: number[];
}

export function parseDataspace(c: Cursor): Dataspace {
  const version = c.u8();
  const rank = c.u8();
  const flags = c.u8();
  let kind: Dataspace["kind"] = rank === 0 ? "scalar" : "simple";
  if (version === 1) {
    c.skip(5);
  } else if (version === 2) {
    const type = c.u8();
    kind = type === 0 ? "scalar" : type === 1 ? "simple" : "null";
  } else {
    throw new RangeError(`unsupported dataspace version ${version}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(c.len());
  const maxDims: number[] = [];
  if (flags & 1) for (let i = 0; i < rank; i++) maxDims.push(c.len());
  else maxDims.push(...dims);
  return { kind, dims, maxDims };
}

export interface Filter {
  id: number;
  name: string;
  /** Bit 0: optional (may be skipped per chunk). */
  flags: number;
  values: number[];
}

export function parseFilterPipeline(c: Cursor): Filter[] {
  const version = c.u8();
  const n = c.u8();
  if (version === 1) c.skip(6);
  else if (version !== 2) throw new RangeError(`unsupported filter pipeline version ${version}`);
  const filters: Filter[] = [];
  for (let i = 0; i < n; i++) {
    const id = c.u16();
    const nameLen = version === 1 || id >= 256 ? c.u16() : 0;
    const flags = c.u16();
    const nValues = c.u16();
    let name = "";
    if (nameLen > 0) {
      const b = c.take(version === 1 ? Math.ceil(nameLen / 8) * 8 : nameLen);
      const nul = b.indexOf(0);
      name = decodeUtf8(nul >= 0 ? b.subarray(0, nul) : b);
    }
    const values: number[] = [];
    for (let v = 0; v < nValues; v++) values.push(c.u32());
    if (version === 1 && nValues % 2 === 1) c.skip(4);
    filters.push({ id, name, flags, values });
  }
  return filters;
}

export type ChunkIndexKind = "btree-v1" | "single" | "implicit" | "fixed-array" | "extensible-array" | "btree-v2";

export type Layout =
  | { class: "compact"; data: Uint8Array }
  | { class: "contiguous"; address: number; size: number }
  | {
      class: "chunked";
      /** Chunk shape, one entry per dataset dimension. */
      chunk: number[];
      index: ChunkIndexKind;
      address: number;
      /** Layout v4 flag: partial edge chunks are stored unfiltered. */
      unfilteredEdges: boolean;
      /** single: the stored size and filter mask of the one chunk, when filtered. */
      singleFilteredSize?: number;
      singleFilterMask?: number;
      /** Index parameters as stored (fixed array page bits, extensible array parameters, v2 B-tree node size...). */
      params: number[];
    };

export function parseLayout(c: Cursor): Layout {
  const version = c.u8();
  if (version === 1 || version === 2) {
    // Versions 1 and 2 (HDF5 <= 1.6): dimensionality, class, 5 reserved
    // bytes, an address (none for compact), then `ndims` 32-bit sizes. For a
    // chunked dataset the last of them is the element size (the chunk holds
    // ndims - 1 dataset dimensions); no field follows. Compact data follows
    // its own 32-bit size.
    const ndims = c.u8();
    const cls = c.u8();
    c.skip(5);
    const address = cls === 0 ? UNDEFINED : c.addr();
    const dims: number[] = [];
    for (let i = 0; i < ndims; i++) dims.push(c.u32());
    if (cls === 0) {
      const size = c.u32();
      return { class: "compact", data: c.take(size) };
    }
    // Contiguous: the sizes may have been truncated to 32 bits; readers take the size from the dataspace.
    if (cls === 1) return { class: "contiguous", address, size: dims.reduce((a, b) => a * b, 1) };
    if (cls !== 2) throw new RangeError(`unknown layout class ${cls} (layout message version ${version})`);
    if (ndims < 2) throw new RangeError(`chunked layout (version ${version}) with ${ndims} dimension sizes; expected the chunk's and the element size`);
    return { class: "chunked", chunk: dims.slice(0, ndims - 1), index: "btree-v1", address, unfilteredEdges: false, params: [] };
  }
  // Version 5 (HDF5 2.0, libver="latest") is laid out as version 4.
  if (version < 3 || version > 5) throw new RangeError(`unsupported layout version ${version}`);
  const cls = c.u8();
  if (cls === 0) {
    const size = c.u16();
    return { class: "compact", data: c.take(size) };
  }
  if (cls === 1) return { class: "contiguous", address: c.addr(), size: c.len() };
  if (cls === 3) throw new RangeError("virtual datasets are not supported");
  if (cls !== 2) throw new RangeError(`unknown layout class ${cls}`);
  if (version === 3) {
    const rank = c.u8();
    const address = c.addr();
    const dims: number[] = [];
    for (let i = 0; i < rank; i++) dims.push(c.u32());
    return { class: "chunked", chunk: dims.slice(0, rank - 1), index: "btree-v1", address, unfilteredEdges: false, params: [] };
  }
  const flags = c.u8();
  const rank = c.u8();
  const encLen = c.u8();
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(c.uint(encLen));
  const indexType = c.u8();
  const params: number[] = [];
  let singleFilteredSize: number | undefined;
  let singleFilterMask: number | undefined;
  let index: ChunkIndexKind;
  switch (indexType) {
    case 1:
      index = "single";
      if (flags & 2) {
        singleFilteredSize = c.len();
        singleFilterMask = c.u32();
      }
      break;
    case 2:
      index = "implicit";
      break;
    case 3:
      index = "fixed-array";
      params.push(c.u8());
      break;
    case 4:
      index = "extensible-array";
      for (let i = 0; i < 5; i++) params.push(c.u8());
      break;
    case 5:
      index = "btree-v2";
      params.push(c.u32(), c.u8(), c.u8());
      break;
    default:
      throw new RangeError(`unknown chunk index type ${indexType}`);
  }
  const address = c.addr();
  return {
    class: "chunked",
    chunk: dims.slice(0, rank - 1),
    index,
    address,
    unfilteredEdges: (flags & 1) !== 0,
    singleFilteredSize,
    singleFilterMask,
    params,
  };
}

/** The fill value bytes, or undefined for the default (zeros). */
export function parseFillValue(c: Cursor, old: boolean): Uint8Array | undefined {
  if (old) {
    const size = c.u32();
    return size > 0 ? c.take(size) : undefined;
  }
  const version = c.u8();
  if (version === 1 || version === 2) {
    c.skip(2); // allocation time, write time
    const defined = c.u8();
    // Version 2 stores the size only when a value is defined. Version 1
    // always stores it, as a signed 32-bit number whose -1 means "no fill
    // value" (HDF5 1.6), and the size alone says whether a value follows.
    if (version === 2 && !defined) return undefined;
    const size = c.i32();
    return size > 0 ? c.take(size) : undefined;
  }
  if (version === 3) {
    const flags = c.u8();
    if (flags & 0x20) {
      const size = c.u32();
      return size > 0 ? c.take(size) : undefined;
    }
    return undefined;
  }
  throw new RangeError(`unsupported fill value version ${version}`);
}

export interface Link {
  name: string;
  kind: "hard" | "soft" | "external" | "user-defined";
  /** user-defined links: the link type (65-255), kept to name it in errors. */
  linkType?: number;
  /** hard links: object header address. */
  address: number;
  /** soft links: the target path; external: file and path. */
  target?: string;
  creationOrder?: number;
}

export function parseLink(c: Cursor): Link {
  const version = c.u8();
  if (version !== 1) throw new RangeError(`unsupported link message version ${version}`);
  const flags = c.u8();
  const type = flags & 0x08 ? c.u8() : 0;
  const creationOrder = flags & 0x04 ? c.u64() : undefined;
  if (flags & 0x10) c.u8(); // charset
  const nameLen = c.uint(1 << (flags & 3));
  const name = decodeUtf8(c.take(nameLen));
  if (type === 0) return { name, kind: "hard", address: c.addr(), creationOrder };
  const len = c.u16();
  const info = c.take(len);
  if (type === 1) return { name, kind: "soft", address: UNDEFINED, target: decodeUtf8(info), creationOrder };
  if (type !== 64) return { name, kind: "user-defined", linkType: type, address: UNDEFINED, creationOrder };
  const parts = decodeUtf8(info.subarray(1)).split("\0");
  return { name, kind: "external", address: UNDEFINED, target: `${parts[0]}:${parts[1] ?? ""}`, creationOrder };
}

/** Link info and attribute info: where dense storage (fractal heap + v2 B-tree name index) is. */
export interface DenseInfo {
  heap: number;
  nameIndex: number;
}

export function parseLinkInfo(c: Cursor): DenseInfo {
  c.u8(); // version
  const flags = c.u8();
  if (flags & 1) c.u64();
  const heap = c.addr();
  const nameIndex = c.addr();
  return { heap, nameIndex };
}

export function parseAttributeInfo(c: Cursor): DenseInfo {
  c.u8();
  const flags = c.u8();
  if (flags & 1) c.u16();
  const heap = c.addr();
  const nameIndex = c.addr();
  return { heap, nameIndex };
}

export interface RawAttribute {
  name: string;
  datatype: Datatype;
  dataspace: Dataspace;
  data: Uint8Array;
  /** The datatype is a shared (committed) one: `datatype` is unresolved, `sharedAddress` points to it. */
  sharedAddress?: number;
}

export function parseAttribute(c: Cursor): RawAttribute {
  const version = c.u8();
  const flags = c.u8();
  const nameSize = c.u16();
  const dtSize = c.u16();
  const dsSize = c.u16();
  if (version === 3) c.u8(); // name charset
  const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
  const nameBytes = c.take(pad(nameSize));
  const nul = nameBytes.indexOf(0);
  const name = decodeUtf8(nameBytes.subarray(0, nul >= 0 ? Math.min(nul, nameSize) : nameSize));
  const dtBytes = c.take(pad(dtSize));
  const dsBytes = c.take(pad(dsSize));
  let datatype: Datatype;
  let sharedAddress: number | undefined;
  const sub = (b: Uint8Array) => new Cursor(b, 0, c.offsetSize, c.lengthSize);
  if (flags & 1) {
    sharedAddress = parseSharedAddress(sub(dtBytes));
    datatype = { class: "opaque", size: 0, tag: "shared" };
  } else {
    datatype = parseDatatype(sub(dtBytes));
  }
  if (flags & 2) {
    parseSharedAddress(sub(dsBytes), "dataspace"); // names the table case
    throw new RangeError("shared dataspace in an attribute is not supported");
  }
  const dataspace = parseDataspace(sub(dsBytes));
  return { name, datatype, dataspace, data: c.bytes.subarray(c.pos), sharedAddress };
}

/**
 * A shared message: the address of the object header holding the message
 * (a committed datatype, or a message shared through another header).
 * Messages kept in the shared object header message table (version 3, type 1)
 * are refused with `what` named.
 */
export function parseSharedAddress(c: Cursor, what = "datatype"): number {
  const version = c.u8();
  const type = c.u8();
  if (version === 1) {
    // Version 1 (HDF5 1.6) holds a symbol table entry: a name offset (length-sized), then the header address.
    c.skip(6);
    c.len();
    return c.addr();
  }
  if (version === 2 || (version === 3 && type === 2)) return c.addr();
  if (version === 3 && type === 1) throw new RangeError(`shared ${what} (kept in the file's shared object header message table) is not supported`);
  throw new RangeError(`shared ${what}: unsupported shared message version ${version} type ${type}`);
}
