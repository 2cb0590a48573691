// The whole AnnData format in one table, as anndata's _io/specs: each
// (encoding-type, encoding-version) once, with the node it is stored as, its
// reader, the elements it writes (the encoding anndata 0.13 writes for them)
// and their writer, its shape and its check (cellfolio validate). The
// registry writes the encoding attributes, so each version is named here
// only. The rows of type "" are elements without encoding attributes
// (anndata's IOSpec("", "")): h5py's values in uns, files of anndata < 0.8.
// A new encoding is a file under elements/ and one row here.

import { checkStringArray, readDenseArray, readStringArray, writeDenseArray } from "./elements/array.js";
import { readAwkward, writeAwkward } from "./elements/awkward.js";
import { checkCategorical, readCategorical, writeCategorical } from "./elements/categorical.js";
import {
  attrNumbers,
  attrString,
  type CheckContext,
  type ChunksOption,
  type ElemCheck,
  type ElemReader,
  type ElemWriter,
  isHandle,
  isNDArray,
  join,
  type ReadContext,
  type WriteContext,
  withExtra,
} from "./elements/context.js";
import { dataframeChecker, dataframeReader, dataframeShape, writeDataFrame } from "./elements/dataframe.js";
import { dictChecker, readDict, writeDict } from "./elements/dict.js";
import { checkUntagged, readUntagged, untaggedShape } from "./elements/legacy.js";
import { readNull, writeNull } from "./elements/null.js";
import { checkNullable, nullableReader, writeNullable } from "./elements/nullable.js";
import { readRecArray, writeRecArray } from "./elements/recarray.js";
import { checkScalar, readScalar, writeScalar } from "./elements/scalar.js";
import { checkSparse, sparseReader, writeSparse } from "./elements/sparse.js";
import { FormatError } from "./errors.js";
import type { Elem, ReadProblem } from "./model.js";
import type { Attrs, Compression, NodeInfo, StoreReader, StoreWriter } from "./types.js";

export interface Encoding {
  type: string;
  version: string;
  /** Whether the element is stored as a group or an array. */
  node: "group" | "array";
  read: ElemReader;
  /** The elements written with this encoding; absent: read only. */
  writes?: (elem: Elem) => boolean;
  write?: ElemWriter;
  /** A group's shape without reading data (an array's is its own). */
  shape?: (reader: StoreReader, path: string, node: NodeInfo) => Promise<number[] | null>;
  /** Reports what anndata cannot read, without throwing. */
  check?: ElemCheck;
}

const kind = (k: string) => (e: Elem) => (e as { kind?: string }).kind === k;
const attrShape = (key: string) => async (_r: StoreReader, _p: string, node: NodeInfo) => attrNumbers(node.attrs, key) ?? null;
const childShape = (name: string) => async (r: StoreReader, path: string) => {
  const c = await r.get(join(path, name));
  return c?.kind === "array" ? c.shape : null;
};
/** Every encoding anndata 0.5 to 0.13 reads; a type's first row is the version written. */
export const ENCODINGS: readonly Encoding[] = [
  { type: "anndata", version: "0.1.0", node: "group", read: readDict, check: dictChecker(false) },
  { type: "raw", version: "0.1.0", node: "group", read: readDict, check: dictChecker(false) },
  { type: "array", version: "0.2.0", node: "array", read: readDenseArray, writes: (e) => isHandle(e) || (isNDArray(e) && e.dtype !== "string"), write: writeDenseArray },
  { type: "string-array", version: "0.2.0", node: "array", read: readStringArray, writes: (e) => isNDArray(e) && e.dtype === "string", write: writeDenseArray, check: checkStringArray },
  { type: "csr_matrix", version: "0.1.0", node: "group", read: sparseReader("csr_matrix"), writes: kind("csr_matrix"), write: writeSparse, shape: attrShape("shape"), check: checkSparse },
  { type: "csc_matrix", version: "0.1.0", node: "group", read: sparseReader("csc_matrix"), writes: kind("csc_matrix"), write: writeSparse, shape: attrShape("shape"), check: checkSparse },
  { type: "dataframe", version: "0.2.0", node: "group", read: dataframeReader(false), writes: kind("dataframe"), write: writeDataFrame, shape: dataframeShape, check: dataframeChecker(false) },
  // anndata 0.7: untagged array columns, categories of categoricals in __categories/<col>
  { type: "dataframe", version: "0.1.0", node: "group", read: dataframeReader(true), shape: dataframeShape, check: dataframeChecker(true) },
  { type: "dict", version: "0.1.0", node: "group", read: readDict, writes: kind("dict"), write: writeDict, check: dictChecker(true) },
  { type: "categorical", version: "0.2.0", node: "group", read: readCategorical, writes: kind("categorical"), write: writeCategorical, shape: childShape("codes"), check: checkCategorical },
  { type: "string", version: "0.2.0", node: "array", read: readScalar, writes: kind("string"), write: writeScalar, check: checkScalar },
  { type: "numeric-scalar", version: "0.2.0", node: "array", read: readScalar, writes: kind("numeric-scalar"), write: writeScalar, check: checkScalar },
  // read as a string, whatever its version: the content has not changed
  { type: "bytes", version: "0.2.0", node: "array", read: readScalar },
  { type: "nullable-integer", version: "0.1.0", node: "group", read: nullableReader("nullable-integer"), writes: kind("nullable-integer"), write: writeNullable, shape: childShape("values"), check: checkNullable },
  { type: "nullable-boolean", version: "0.1.0", node: "group", read: nullableReader("nullable-boolean"), writes: kind("nullable-boolean"), write: writeNullable, shape: childShape("values"), check: checkNullable },
  { type: "nullable-string-array", version: "0.1.0", node: "group", read: nullableReader("nullable-string-array"), writes: kind("nullable-string-array"), write: writeNullable, shape: childShape("values"), check: checkNullable },
  { type: "awkward-array", version: "0.1.0", node: "group", read: readAwkward, writes: kind("awkward-array"), write: writeAwkward, shape: attrShape("length") },
  // a dict of its fields where the target holds no compound array (elements/recarray.ts)
  { type: "rec-array", version: "0.2.0", node: "array", read: readRecArray, writes: kind("rec-array"), write: writeRecArray },
  { type: "null", version: "0.1.0", node: "array", read: readNull, writes: kind("null"), write: writeNull },
  // no encoding attributes: a dict (or anndata < 0.7's h5sparse matrix), a plain array or scalar
  { type: "", version: "", node: "group", read: readUntagged, shape: untaggedShape, check: checkUntagged },
  { type: "", version: "", node: "array", read: readUntagged, check: checkUntagged },
];

const BY_KEY = new Map(ENCODINGS.map((s) => [`${s.type}@${s.version}@${s.type ? "" : s.node}`, s]));
const TYPES = new Set(ENCODINGS.map((s) => s.type));

const attrsOf = (spec: Encoding): Attrs => ({ "encoding-type": spec.type, "encoding-version": spec.version });

/** The encoding attributes of the version written of `type` ("anndata", "raw", ...). */
export function encodingAttrs(type: string): Attrs {
  const spec = ENCODINGS.find((s) => s.type === type);
  if (!spec) throw new Error(`no encoding ${JSON.stringify(type)} in the registry`);
  return attrsOf(spec);
}

/** The row for a stored element, or a FormatError saying what is wrong with its encoding. */
export function lookupEncoding(source: string, path: string, node: NodeInfo): Encoding {
  const type = attrString(node.attrs, "encoding-type") ?? "";
  const version = attrString(node.attrs, "encoding-version");
  let spec = BY_KEY.get(type ? `${type}@${version}@` : `@@${node.kind}`);
  if (!spec && type === "bytes") spec = BY_KEY.get("bytes@0.2.0@");
  if (!spec) {
    if (!TYPES.has(type)) throw new FormatError(source, path, `unknown encoding-type ${JSON.stringify(type)}`);
    if (version === undefined) throw new FormatError(source, path, `encoding-type ${JSON.stringify(type)} without an encoding-version`);
    throw new FormatError(source, path, `unsupported encoding-version ${JSON.stringify(version)} of ${JSON.stringify(type)}`);
  }
  if (spec.node !== node.kind) {
    const a = (k: string) => (k === "group" ? "a group" : "an array");
    throw new FormatError(source, path, `encoding-type ${JSON.stringify(type)} on ${a(node.kind)}, expected ${a(spec.node)}`);
  }
  return spec;
}

async function dispatch(ctx: ReadContext, path: string): Promise<Elem> {
  const node = await ctx.reader.get(path);
  if (!node) throw new FormatError(ctx.reader.source, path, "no such element");
  return lookupEncoding(ctx.reader.source, path, node).read(ctx, path, node);
}

/** Checks the element at `path` by its row (cellfolio validate); `inUns`: h5py's untagged values are plain values there. */
export async function checkElem(ctx: CheckContext, path: string, node: NodeInfo, inUns: boolean): Promise<void> {
  let spec: Encoding;
  try {
    spec = lookupEncoding(ctx.reader.source, path, node);
  } catch (err) {
    ctx.error(path, err instanceof FormatError ? err.problem : String(err));
    return;
  }
  await spec.check?.(ctx, path, node, inUns);
}

/** An element's shape from its metadata (arrays: their shape; sparse: the attribute; dataframes: the index), or null. */
export async function elemShape(reader: StoreReader, path: string, node?: NodeInfo | null): Promise<number[] | null> {
  const n = node ?? (await reader.get(path));
  if (!n) return null;
  if (n.kind === "array") return n.shape;
  try {
    return (await lookupEncoding(reader.source, path, n).shape?.(reader, path, n)) ?? null;
  } catch {
    return null;
  }
}

export interface ReadElemOptions {
  /**
   * Dense numeric arrays of at least this many bytes stay on disk as
   * ArrayHandles (default 64 MiB; 0 makes every one a handle).
   */
  handleThreshold?: number;
  /** Collects problems of sub-elements (which are then left out) instead of throwing. */
  problems?: ReadProblem[];
  /** A partial read of a dataframe: only these columns, and not its index (left empty). */
  columns?: string[];
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
  const ctx = readContext(reader, options);
  const p = path.replace(/^\/+|\/+$/g, "");
  if (options.columns) ctx.partial = { path: p, columns: options.columns };
  return dispatch(ctx, p);
}

export interface WriteElemOptions {
  compression?: Compression;
  chunks?: ChunksOption;
  onBytes?: (bytes: number) => void;
}

/** The row that writes an element: the encoding anndata 0.13 writes for it. */
function writerFor(elem: Elem): Encoding {
  const spec = ENCODINGS.find((s) => s.writes?.(elem));
  if (!spec) throw new Error(`no writer for element kind ${JSON.stringify((elem as { kind?: string }).kind ?? "")}`);
  return spec;
}

export function writeContext(writer: StoreWriter, options: WriteElemOptions = {}): WriteContext {
  const ctx: WriteContext = {
    writer,
    compression: options.compression,
    chunks: options.chunks,
    onBytes: options.onBytes,
    write: async (p, e) => {
      try {
        const spec = writerFor(e);
        await spec.write?.(ctx, p, e, withExtra(e, attrsOf(spec)));
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
