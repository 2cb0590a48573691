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
    const rank = c.u8();
    const cls = c.u8();
    c.skip(5);
    const address = cls === 0 ? UNDEFINED : c.addr();
    const dims: number[] = [];
    for (let i = 0; i < rank; i++) dims.push(c.u32());
    if (cls === 0) {
      const size = c.u32();
      return { class: "compact", data: c.take(size) };
    }
    if (cls === 1) return { class: "contiguous", address, size: dims.reduce((a, b) => a * b, 1) };
    c.u32(); // element size
    return { class: "chunked", chunk: dims.slice(0, rank - 1), index: "btree-v1", address, unfilteredEdges: false, params: [] };
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
    if (version === 1 || defined) {
      const size = c.u32();
      return size > 0 ? c.take(size) : undefined;
    }
    return undefined;
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
  kind: "hard" | "soft" | "external";
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
  if (flags & 2) throw new RangeError("shared dataspaces in attributes are not supported");
  const dataspace = parseDataspace(sub(dsBytes));
  return { name, datatype, dataspace, data: c.bytes.subarray(c.pos), sharedAddress };
}

/** A shared message (committed datatype): the address of the object header holding it. */
export function parseSharedAddress(c: Cursor): number {
  const version = c.u8();
  const type = c.u8();
  if (version === 1) {
    c.skip(6);
    return c.addr();
  }
  if (version === 2 || (version === 3 && type === 2)) return c.addr();
  throw new RangeError(`shared message version ${version} type ${type} (shared object header message table) is not supported`);
}
