// A kerchunk reference set (version 1) of a whole HDF5 AnnData (.h5ad, .h5sc):
// a Zarr v2 store whose metadata keys (.zgroup, .zattrs, .zarray) and small
// or string arrays are written inline, and whose other chunks are
// [url, offset, length] ranges of the HDF5 file, taken from the chunk index:
// chunk data is never read (only chunks a filter skipped, which are
// re-encoded, and arrays small enough to inline). zarr-python with fsspec's
// ReferenceFileSystem, and openStore here, read it in place.
import { type ByteSource, type Dataset, type Datatype, type Filter, type Group, Hdf5File, numericArray, type OpenOptions } from "@cellfolio/hdf5";
import { product } from "../dtype.js";
import { FormatError } from "../errors.js";
import { float16BitsToNumber } from "../float16.js";
import { attrValue, dtypeOf, referencePaths, toFormatError } from "../hdf5/reader.js";
import type { Attrs } from "../types.js";
import { decodeByteCodecs, encodeByteCodecs, encodeChunk } from "../zarr/chunk.js";
import type { ByteCodec } from "../zarr/metadata.js";
import { v2Codec } from "../zarr/metadata.js";
import { attrsToJson } from "../zarr/writer.js";

/** A key's value: inline text ("base64:..." for bytes), a whole file, or a byte range of a file. */
export type ReferenceValue = string | [string] | [string, number, number];

/** kerchunk's version 1 reference set; URLs may use `{{name}}` templates. */
export interface KerchunkReferences {
  version: 1;
  templates?: Record<string, string>;
  refs: Record<string, ReferenceValue>;
}

export interface Hdf5ReferenceOptions extends OpenOptions {
  /**
   * The URL or path the references point at (the HDF5 file as readers will
   * find it: an http(s) URL, or a path relative to the reference file's folder).
   */
  target: string;
  /** Arrays of at most this many stored bytes (all chunks together) are inlined (default 500, kerchunk's default for chunks). */
  inlineThreshold?: number;
}

/** What was written, and what it cost: bytes read of the HDF5 file are metadata and inlined data only. */
export interface Hdf5ReferenceSummary {
  groups: number;
  arrays: number;
  /** Chunks written as byte ranges of the file. */
  referenced: number;
  /** Chunks written inline (small arrays, strings, compact data, chunks a filter skipped). */
  inlined: number;
  /** Stored bytes of the referenced chunks. */
  referencedBytes: number;
}

/** The template name of the target in the reference file. */
const TARGET = "u";

const utf8 = new TextEncoder();

/**
 * The reference set of an HDF5 AnnData (a path or URL, or any ByteSource),
 * pointing at `options.target`. Every group and dataset is included; a
 * dataset whose type or filters Zarr readers cannot express is an error that
 * names it.
 */
export async function hdf5References(
  source: string | ByteSource,
  options: Hdf5ReferenceOptions,
): Promise<{ references: KerchunkReferences; summary: Hdf5ReferenceSummary }> {
  // Small metadata blocks: chunk-index nodes lie between the chunks, and 64 KiB blocks around each would read chunk data.
  const file = await Hdf5File.open(source, { metaBlockSize: 8192, ...options }).catch((e) => {
    throw toFormatError(typeof source === "string" ? source : source.name, "", e);
  });
  try {
    const b = new Builder(file, options);
    await b.group("", await file.group(""));
    return { references: { version: 1, templates: { [TARGET]: options.target }, refs: b.refs }, summary: b.summary };
  } finally {
    await file.close();
  }
}

/** The reference set as JSON text (one line per key, so a 10^5-chunk set stays readable and diffable). */
export function stringifyReferences(r: KerchunkReferences): string {
  const lines = Object.entries(r.refs).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  const head = `{"version":1,${r.templates ? `"templates":${JSON.stringify(r.templates)},` : ""}"refs":{\n`;
  return `${head}${lines.join(",\n")}\n}}\n`;
}

class Builder {
  readonly refs: Record<string, ReferenceValue> = {};
  readonly summary: Hdf5ReferenceSummary = { groups: 0, arrays: 0, referenced: 0, inlined: 0, referencedBytes: 0 };
  private readonly threshold: number;

  constructor(
    private readonly file: Hdf5File,
    options: Hdf5ReferenceOptions,
  ) {
    this.threshold = options.inlineThreshold ?? 500;
  }

  private error(path: string, problem: string): FormatError {
    return new FormatError(this.file.name, path, problem);
  }

  private key(path: string, name: string): string {
    return path ? `${path}/${name}` : name;
  }

  private json(path: string, name: string, doc: unknown): void {
    this.refs[this.key(path, name)] = JSON.stringify(doc);
  }

  private async attrs(path: string, node: Group | Dataset): Promise<void> {
    const out: Attrs = {};
    for (const a of await node.attributes()) {
      try {
        out[a.name] = await attrValue(this.file, a);
      } catch (e) {
        throw this.error(path, `attribute ${a.name}: ${(e as Error).message}`);
      }
    }
    if (Object.keys(out).length) this.json(path, ".zattrs", attrsToJson(out));
  }

  async group(path: string, g: Group): Promise<void> {
    this.summary.groups++;
    this.json(path, ".zgroup", { zarr_format: 2 });
    await this.attrs(path, g);
    for (const name of await g.keys()) {
      const child = this.key(path, name);
      const node = await this.file.get(child);
      if (!node) continue; // a dangling soft or external link: nothing to refer to
      if (node.kind === "group") await this.group(child, node);
      else if (node.kind === "dataset") await this.dataset(child, node);
      // a committed datatype is no array: AnnData keeps none, Zarr has no place for one
    }
  }

  private async dataset(path: string, d: Dataset): Promise<void> {
    this.summary.arrays++;
    await this.attrs(path, d);
    const t = d.datatype;
    const dtype = dtypeOf(t);
    if (!dtype || t.class === "compound") throw this.error(path, `datatype ${t.class} has no Zarr v2 equivalent here (numbers, bool and strings do)`);
    const isNull = d.dataspace.kind === "null";
    const shape = isNull ? [0] : d.shape.slice();
    if (dtype === "string") return this.strings(path, d, shape);
    const typestr = zarrTypestr(t);
    const layout = d.layout;
    const chunks = layout.class === "chunked" ? layout.chunk.slice() : shape.map((n) => Math.max(1, n));
    const codecs = layout.class === "chunked" ? this.codecs(path, d.filters, t.size) : [];
    const last = codecs[codecs.length - 1];
    this.json(path, ".zarray", {
      chunks,
      compressor: last ? v2Codec(last) : null,
      dtype: typestr,
      fill_value: fillValue(t, d.fillValue),
      filters: codecs.length > 1 ? codecs.slice(0, -1).map(v2Codec) : null,
      order: "C",
      shape,
      zarr_format: 2,
    });
    if (isNull || product(shape) === 0) return;
    const zero = shape.length ? shape.map(() => 0).join(".") : "0";
    if (layout.class === "compact") return this.inline(path, zero, layout.data);
    if (layout.class === "contiguous") {
      if (layout.address < 0) return; // never written: the fill value
      const at = this.file.ctx.base + layout.address;
      const size = product(shape) * t.size;
      if (size <= this.threshold) return this.inline(path, zero, await this.file.source.read(at, size));
      return this.reference(path, zero, at, size);
    }
    const index = await d.chunkIndex();
    // Small arrays go inline whole; chunks of larger ones are always referenced (their data is never read).
    const small = index.reduce((n, c) => n + c.size, 0) <= this.threshold;
    for (const c of index) {
      const key = shape.length ? c.offset.map((o, i) => o / chunks[i]).join(".") : "0";
      if (c.filterMask !== 0) {
        // A filter declared optional was skipped for this chunk (lzf leaves a chunk it cannot shrink as it is):
        // its stored bytes are not what the codecs expect, so it goes inline, encoded by the whole pipeline.
        const skipped = codecs.filter((_, i) => c.filterMask & (1 << i));
        const applied = codecs.filter((_, i) => !(c.filterMask & (1 << i)));
        if (skipped.some((s) => s.id === "fletcher32")) throw this.error(path, "a chunk stored without its fletcher32 checksum cannot be referenced");
        const raw = await decodeByteCodecs(applied, await this.file.source.read(c.address, c.size));
        this.inline(path, key, await encodeByteCodecs(codecs, raw));
      } else if (small) {
        this.inline(path, key, await this.file.source.read(c.address, c.size));
      } else {
        this.reference(path, key, c.address, c.size);
      }
    }
  }

  /** HDF5 filters as numcodecs codecs, in encode order. */
  private codecs(path: string, filters: Filter[], elementSize: number): ByteCodec[] {
    return filters.map((f): ByteCodec => {
      switch (f.id) {
        case 1:
          return { id: "zlib", level: f.values[0] ?? 4 };
        case 2:
          return { id: "shuffle", elementsize: f.values[0] ?? elementSize };
        case 3:
          return { id: "fletcher32" };
        case 32000:
          return { id: "lzf", header: false };
        default:
          throw this.error(path, `filter ${f.name || f.id} (${f.id}) has no codec other Zarr readers know; only deflate, shuffle, lzf and fletcher32 are referenced`);
      }
    });
  }

  /** Strings are read and written inline as one vlen-utf8 chunk, as kerchunk does. */
  private async strings(path: string, d: Dataset, shape: number[]): Promise<void> {
    this.json(path, ".zarray", {
      chunks: shape.map((n) => Math.max(1, n)),
      compressor: null,
      dtype: "|O",
      fill_value: null,
      filters: [{ id: "vlen-utf8" }],
      order: "C",
      shape,
      zarr_format: 2,
    });
    if (product(shape) === 0) return;
    const v = await d.read();
    const values = d.datatype.class === "reference" ? await referencePaths(this.file, v) : (v as string[]);
    this.inline(path, shape.length ? shape.map(() => 0).join(".") : "0", await encodeChunk(values, []));
  }

  private inline(path: string, key: string, bytes: Uint8Array): void {
    this.summary.inlined++;
    this.refs[this.key(path, key)] = `base64:${toBase64(bytes)}`;
  }

  private reference(path: string, key: string, offset: number, length: number): void {
    this.summary.referenced++;
    this.summary.referencedBytes += length;
    this.refs[this.key(path, key)] = [`{{${TARGET}}}`, offset, length];
  }
}

/** The numpy typestring of a numeric, bool or enum HDF5 type, byte order kept (chunks are referenced as stored). */
function zarrTypestr(t: Datatype): string {
  if (t.class === "enum") {
    if (dtypeOf(t) === "bool") return "|b1";
    return zarrTypestr(t.base);
  }
  if (t.class === "integer" || t.class === "bitfield" || t.class === "float") {
    const kind = t.class === "float" ? "f" : t.class === "integer" && t.signed ? "i" : "u";
    const order = t.size === 1 ? "|" : t.littleEndian ? "<" : ">";
    return `${order}${kind}${t.size}`;
  }
  throw new Error(`datatype ${t.class} has no numpy typestring`);
}

/** The HDF5 fill value as a Zarr v2 `fill_value` (0 / false when the file defines none). */
function fillValue(t: Datatype, bytes: Uint8Array | undefined): unknown {
  const bool = dtypeOf(t) === "bool";
  if (!bytes || bytes.length < t.size) return bool ? false : 0;
  const base = t.class === "enum" ? t.base : t;
  const v = numericArray(base, bytes.slice(0, t.size));
  if (!v || !ArrayBuffer.isView(v)) return bool ? false : 0;
  let x: number | bigint = (v as ArrayLike<number | bigint>)[0];
  if (bool) return x !== 0 && x !== 0n;
  if (base.class === "float" && base.size === 2) x = float16BitsToNumber(x as number);
  if (typeof x === "bigint") return Number(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return x;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Inline reference text as bytes: "base64:" data decoded, other text as UTF-8 (kerchunk's rule). */
export function inlineBytes(text: string): Uint8Array {
  if (!text.startsWith("base64:")) return utf8.encode(text);
  const s = atob(text.slice(7));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
