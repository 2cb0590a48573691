// The whole AnnData format in one table: (encoding-type, encoding-version) ->
// reader and writer, as anndata's _io/specs/methods.py. Elements without
// encoding attributes (anndata < 0.7, untagged groups) are dispatched by
// `readUntagged`; what is written always follows anndata 0.13.

import { readDenseArray, readStringArray, writeDenseArray } from "./elements/array.js";
import { readAwkward, writeAwkward } from "./elements/awkward.js";
import { readCategorical, writeCategorical } from "./elements/categorical.js";
import {
  attrString,
  type ChunksOption,
  type ElemReader,
  type ElemWriter,
  isNDArray,
  type ReadContext,
  type WriteContext,
} from "./elements/context.js";
import { dataframeReader, writeDataFrame } from "./elements/dataframe.js";
import { readDict, writeDict } from "./elements/dict.js";
import { readNull, writeNull } from "./elements/null.js";
import { nullableReader, writeNullable } from "./elements/nullable.js";
import { readRecArray, writeRecArray } from "./elements/recarray.js";
import { readScalar, writeScalar } from "./elements/scalar.js";
import { readH5Sparse, sparseReader, writeSparse } from "./elements/sparse.js";
import { FormatError } from "./errors.js";
import type { Elem, ReadProblem } from "./model.js";
import type { Compression, NodeInfo, StoreReader, StoreWriter } from "./types.js";

export interface EncodingSpec {
  type: string;
  version: string;
  /** Whether the element is stored as a group or an array. */
  node: "group" | "array";
  read: ElemReader;
}

/** Every encoding a reader meets, anndata 0.5 to 0.13; this table is the list. */
export const ENCODINGS: readonly EncodingSpec[] = [
  { type: "array", version: "0.2.0", node: "array", read: readDenseArray },
  { type: "string-array", version: "0.2.0", node: "array", read: readStringArray },
  { type: "csr_matrix", version: "0.1.0", node: "group", read: sparseReader("csr_matrix") },
  { type: "csc_matrix", version: "0.1.0", node: "group", read: sparseReader("csc_matrix") },
  { type: "dataframe", version: "0.2.0", node: "group", read: dataframeReader("0.2.0") },
  { type: "dataframe", version: "0.1.0", node: "group", read: dataframeReader("0.1.0") },
  { type: "dict", version: "0.1.0", node: "group", read: readDict },
  { type: "categorical", version: "0.2.0", node: "group", read: readCategorical },
  { type: "string", version: "0.2.0", node: "array", read: readScalar },
  { type: "numeric-scalar", version: "0.2.0", node: "array", read: readScalar },
  { type: "bytes", version: "0.2.0", node: "array", read: readScalar },
  { type: "nullable-integer", version: "0.1.0", node: "group", read: nullableReader("nullable-integer") },
  { type: "nullable-boolean", version: "0.1.0", node: "group", read: nullableReader("nullable-boolean") },
  { type: "nullable-string-array", version: "0.1.0", node: "group", read: nullableReader("nullable-string-array") },
  { type: "awkward-array", version: "0.1.0", node: "group", read: readAwkward },
  { type: "rec-array", version: "0.2.0", node: "array", read: readRecArray },
  { type: "null", version: "0.1.0", node: "array", read: readNull },
];

/** Element kind -> the writer of the encoding anndata 0.13 writes for it. */
export const WRITERS: Record<string, { type: string; version: string; write: ElemWriter }> = {
  array: { type: "array", version: "0.2.0", write: writeDenseArray },
  "array-handle": { type: "array", version: "0.2.0", write: writeDenseArray },
  csr_matrix: { type: "csr_matrix", version: "0.1.0", write: writeSparse },
  csc_matrix: { type: "csc_matrix", version: "0.1.0", write: writeSparse },
  dataframe: { type: "dataframe", version: "0.2.0", write: writeDataFrame },
  dict: { type: "dict", version: "0.1.0", write: writeDict },
  categorical: { type: "categorical", version: "0.2.0", write: writeCategorical },
  "numeric-scalar": { type: "numeric-scalar", version: "0.2.0", write: writeScalar },
  string: { type: "string", version: "0.2.0", write: writeScalar },
  "nullable-integer": { type: "nullable-integer", version: "0.1.0", write: writeNullable },
  "nullable-boolean": { type: "nullable-boolean", version: "0.1.0", write: writeNullable },
  "nullable-string-array": { type: "nullable-string-array", version: "0.1.0", write: writeNullable },
  "awkward-array": { type: "awkward-array", version: "0.1.0", write: writeAwkward },
  // a dict of its fields only where the target holds no compound array (elements/recarray.ts)
  "rec-array": { type: "rec-array", version: "0.2.0", write: writeRecArray },
  null: { type: "null", version: "0.1.0", write: writeNull },
};

const BY_KEY = new Map(ENCODINGS.map((s) => [`${s.type}@${s.version}`, s]));
const TYPES = new Set(ENCODINGS.map((s) => s.type));

/** The spec for an encoding, or a FormatError saying what is wrong with it. */
export function lookupEncoding(source: string, path: string, type: string, version: string | undefined): EncodingSpec {
  const exact = version !== undefined ? BY_KEY.get(`${type}@${version}`) : undefined;
  if (exact) return exact;
  if (!TYPES.has(type)) throw new FormatError(source, path, `unknown encoding-type ${JSON.stringify(type)}`);
  // "bytes" has been written with more than one version; the content is the same.
  if (type === "bytes") return BY_KEY.get("bytes@0.2.0") as EncodingSpec;
  if (version === undefined) throw new FormatError(source, path, `encoding-type ${JSON.stringify(type)} without an encoding-version`);
  throw new FormatError(source, path, `unsupported encoding-version ${JSON.stringify(version)} of ${JSON.stringify(type)}`);
}

/**
 * An element without encoding attributes. Groups are dicts (anndata's rule),
 * h5sparse groups are anndata < 0.7's sparse matrices; but a group that
 * plainly is a dataframe, sparse matrix or categorical which lost its
 * encoding-type is an error, not a silently wrong dict.
 */
async function readUntagged(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const source = ctx.reader.source;
  if (node.kind === "group") {
    if (attrString(node.attrs, "h5sparse_format") !== undefined) return readH5Sparse(ctx, path, node);
    if (node.attrs._index !== undefined || node.attrs["column-order"] !== undefined) {
      throw new FormatError(source, path, "missing encoding-type (a dataframe by its _index / column-order attributes)");
    }
    if (node.attrs["encoding-version"] !== undefined) throw new FormatError(source, path, "missing encoding-type");
    const children = new Set(await ctx.reader.list(path));
    if (children.has("indptr") && children.has("indices") && children.has("data")) {
      throw new FormatError(source, path, "missing encoding-type (a sparse matrix by its data / indices / indptr)");
    }
    if (children.has("codes") && children.has("categories") && children.size === 2) {
      throw new FormatError(source, path, "missing encoding-type (a categorical by its codes / categories)");
    }
    return readDict(ctx, path, node);
  }
  if (node.attrs["encoding-version"] !== undefined) throw new FormatError(source, path, "missing encoding-type");
  if (node.fields) return readRecArray(ctx, path, node);
  if (node.shape.length === 0) return readScalar(ctx, path, node);
  // anndata < 0.7 stored string scalars in HDF5 as one-element string arrays; anndata reads them as strings.
  if (node.dtype === "string" && node.shape.length === 1 && node.shape[0] === 1 && ctx.reader.backend !== "zarr") {
    return readScalar(ctx, path, node);
  }
  return node.dtype === "string" ? readStringArray(ctx, path, node) : readDenseArray(ctx, path, node);
}

async function dispatch(ctx: ReadContext, path: string): Promise<Elem> {
  const node = await ctx.reader.get(path);
  if (!node) throw new FormatError(ctx.reader.source, path, "no such element");
  const type = attrString(node.attrs, "encoding-type");
  if (type === undefined) return readUntagged(ctx, path, node);
  const spec = lookupEncoding(ctx.reader.source, path, type, attrString(node.attrs, "encoding-version"));
  if (spec.node !== node.kind) {
    throw new FormatError(ctx.reader.source, path, `encoding-type ${JSON.stringify(type)} on ${node.kind === "group" ? "a group" : "an array"}, expected ${spec.node === "group" ? "a group" : "an array"}`);
  }
  return spec.read(ctx, path, node);
}

export interface ReadElemOptions {
  /**
   * Dense numeric arrays of at least this many bytes stay on disk as
   * ArrayHandles (default 64 MiB; 0 makes every one a handle).
   */
  handleThreshold?: number;
  /** Collects problems of sub-elements (which are then left out) instead of throwing. */
  problems?: ReadProblem[];
}

export const DEFAULT_HANDLE_THRESHOLD = 64 * 1024 * 1024;

export function readContext(reader: StoreReader, options: ReadElemOptions = {}): ReadContext {
  const ctx: ReadContext = {
    reader,
    handleThreshold: options.handleThreshold ?? DEFAULT_HANDLE_THRESHOLD,
    problems: options.problems,
    read: (p) => dispatch(ctx, p),
  };
  return ctx;
}

/** Reads the element at `path` (any encoding anndata writes or wrote). */
export async function readElem(reader: StoreReader, path: string, options: ReadElemOptions = {}): Promise<Elem> {
  return dispatch(readContext(reader, options), path.replace(/^\/+|\/+$/g, ""));
}

export interface WriteElemOptions {
  compression?: Compression;
  chunks?: ChunksOption;
  onBytes?: (bytes: number) => void;
}

/** The registry's writer for an element, by its kind. */
export function writerFor(elem: Elem): ElemWriter {
  if (isNDArray(elem)) return writeDenseArray;
  const kind = (elem as { kind?: string }).kind ?? "";
  const w = WRITERS[kind];
  if (!w) throw new Error(`no writer for element kind ${JSON.stringify(kind)}`);
  return w.write;
}

export function writeContext(writer: StoreWriter, options: WriteElemOptions = {}): WriteContext {
  const ctx: WriteContext = {
    writer,
    compression: options.compression,
    chunks: options.chunks,
    onBytes: options.onBytes,
    write: async (p, e) => {
      try {
        await writerFor(e)(ctx, p, e);
      } catch (err) {
        if (err instanceof FormatError) throw err;
        throw new FormatError(writer.target, p, err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
  };
  return ctx;
}

/** Writes `elem` at `path` with the encoding anndata 0.13 writes for it. */
export async function writeElem(writer: StoreWriter, path: string, elem: Elem, options: WriteElemOptions = {}): Promise<void> {
  return writeContext(writer, options).write(path.replace(/^\/+|\/+$/g, ""), elem);
}
