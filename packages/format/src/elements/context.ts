// What every element reader and writer gets: the store, the options, and the
// recursion back into the registry (so element files never import it).
import { itemSize, product } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { ArrayHandle, Elem, ReadProblem } from "../model.js";
import type { ArrayInfo, Attrs, AttrValue, Compression, DType, NDArray, NodeInfo, StoreReader, StoreWriter } from "../types.js";

export interface ReadContext {
  reader: StoreReader;
  /** Dense arrays of at least this many bytes are returned as ArrayHandles (0: every numeric one). */
  handleThreshold: number;
  /** When set, a sub-element that cannot be read is recorded here and left out. */
  problems?: ReadProblem[];
  /** A partial read: of the dataframe at `path`, only these columns, and not its index. */
  partial?: { path: string; columns: string[] };
  /** Reads any element through the registry. */
  read(path: string): Promise<Elem>;
}

/** Chunk shape for a written array: one shape for every array, or chosen per array. */
export type ChunksOption = number[] | ((path: string, shape: number[], dtype: DType) => number[] | undefined);

export interface WriteContext {
  writer: StoreWriter;
  compression?: Compression;
  chunks?: ChunksOption;
  /** Called with the bytes of array data written so far (progress). */
  onBytes?: (bytes: number) => void;
  /** Writes any element through the registry. */
  write(path: string, elem: Elem): Promise<void>;
}

export type ElemReader = (ctx: ReadContext, path: string, node: NodeInfo) => Promise<Elem>;
/** `attrs`: the encoding attributes the registry chose, over the element's extra attributes. */
export type ElemWriter = (ctx: WriteContext, path: string, elem: Elem, attrs: Attrs) => Promise<void>;

/** What an element's check gets (cellfolio validate): where to report, and the recursion into the registry. */
export interface CheckContext {
  reader: StoreReader;
  /** The anndata that wrote a file whose root has no encoding attributes ("anndata 0.7"); said once, in a note. */
  legacy?: string;
  /** What anndata cannot read. */
  error(path: string, message: string): void;
  /** What anndata reads as it is, though a current writer would write it otherwise. */
  note(path: string, message: string): void;
  /** The node at a path; null (an error reported) when its metadata is unreadable. */
  get(path: string): Promise<NodeInfo | null>;
  /** Checks any element through the registry; `inUns`: in uns or a dict, where h5py's untagged values are plain values. */
  check(path: string, node: NodeInfo, inUns: boolean): Promise<void>;
  /** An element's shape by its encoding, without reading data (null: unknown). */
  shape(path: string, node: NodeInfo): Promise<number[] | null>;
}

export type ElemCheck = (ctx: CheckContext, path: string, node: NodeInfo, inUns: boolean) => Promise<void>;

/** Checks each child of a group; a listed name with nothing behind it (a dangling link) is an error, as for readElem. */
export async function checkChildren(ctx: CheckContext, path: string, inUns: boolean): Promise<void> {
  for (const name of await ctx.reader.list(path)) {
    const p = join(path, name);
    const c = await ctx.get(p);
    if (c) await ctx.check(p, c, inUns);
    else if ((await ctx.reader.get(p).catch(() => undefined)) === null) ctx.error(p, "no such element, though its group lists it (a link to nothing?)");
  }
}

/** A child an encoding needs: reported when missing or of the wrong kind. */
export async function checkChild(ctx: CheckContext, path: string, name: string, what: string, kind?: "array" | "group"): Promise<NodeInfo | null> {
  const p = join(path, name);
  const c = await ctx.get(p);
  if (!c) ctx.error(p, `missing (required by ${what})`);
  else if (kind && c.kind !== kind) ctx.error(p, `must be ${kind === "array" ? "an array" : "a group"} (${what})`);
  return c;
}

/** Attribute names that the encodings themselves define: not copied as extra attributes. */
export const ENCODING_ATTRS = new Set([
  "encoding-type",
  "encoding-version",
  "shape",
  "_index",
  "column-order",
  "ordered",
  "categories",
  "form",
  "length",
  "na-value",
  "h5sparse_format",
  "h5sparse_shape",
]);

/**
 * Attributes an element carried beyond its encoding (for instance scPortrait's
 * n_cells on obsm/single_cell_images): kept beside the element so a convert
 * writes them back, without adding fields to the element model.
 */
const extra = new WeakMap<object, Attrs>();

export function extraAttrs(elem: Elem): Attrs | undefined {
  return typeof elem === "object" && elem !== null ? extra.get(elem) : undefined;
}

export function setExtraAttrs(elem: Elem, attrs: Attrs): Elem {
  const kept: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (!ENCODING_ATTRS.has(k)) kept[k] = v;
  if (Object.keys(kept).length > 0) extra.set(elem, kept);
  return elem;
}

export function join(path: string, name: string): string {
  return path === "" || path === "/" ? name : `${path.replace(/\/+$/, "")}/${name}`;
}

export function attrString(attrs: Attrs, key: string): string | undefined {
  const v = attrs[key];
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  if (v && typeof v === "object" && "dtype" in v && (v as NDArray).dtype === "string" && (v as NDArray).data.length === 1) {
    return (v as NDArray).data[0] as string;
  }
  return undefined;
}

/** A list-valued attribute (column-order): JSON list, 1-D string array, empty float array or a lone string. */
export function attrStringList(attrs: Attrs, key: string): string[] {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === "object" && "dtype" in v && "data" in v) return Array.from((v as NDArray).data as ArrayLike<unknown>, (x) => String(x));
  return [];
}

export function attrBool(attrs: Attrs, key: string): boolean {
  const v = attrs[key];
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "bigint") return v !== 0n;
  if (Array.isArray(v) && v.length === 1) return Boolean(v[0]);
  if (v && typeof v === "object" && "data" in v) return Number((v as NDArray).data[0]) !== 0;
  return false;
}

export function attrNumbers(attrs: Attrs, key: string): number[] | undefined {
  const v = attrs[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || typeof v === "bigint") return [Number(v)];
  if (Array.isArray(v)) return v.map((x) => Number(x));
  if (typeof v === "object" && "data" in v) return Array.from((v as NDArray).data as ArrayLike<number | bigint>, (x) => Number(x));
  return undefined;
}

export function isNDArray(elem: unknown): elem is NDArray {
  return typeof elem === "object" && elem !== null && !("kind" in elem) && "dtype" in elem && "shape" in elem;
}

export function isHandle(elem: unknown): elem is ArrayHandle {
  return typeof elem === "object" && elem !== null && (elem as { kind?: string }).kind === "array-handle";
}

/** The array's values in memory, whether it was read whole or left on disk. */
export async function loadArray(elem: NDArray | ArrayHandle): Promise<NDArray> {
  if (isHandle(elem)) return elem.reader.readArray(elem.path);
  return elem;
}

export function arrayBytes(info: ArrayInfo): number {
  return product(info.shape) * (info.dtype === "string" ? 16 : itemSize(info.dtype));
}

export function expectArray(ctx: ReadContext, path: string, node: NodeInfo | null, what: string): ArrayInfo {
  if (!node) throw new FormatError(ctx.reader.source, path, `missing ${what}`);
  if (node.kind !== "array") throw new FormatError(ctx.reader.source, path, `expected ${what} (an array), found a group`);
  return node;
}

export function expectGroup(ctx: ReadContext, path: string, node: NodeInfo | null, what: string): void {
  if (!node) throw new FormatError(ctx.reader.source, path, `missing ${what}`);
  if (node.kind !== "group") throw new FormatError(ctx.reader.source, path, `expected ${what} (a group), found an array`);
}

/** Reads a whole array (never a handle): parts of composite elements are small and needed at once. */
export async function readWhole(ctx: ReadContext, path: string, what: string): Promise<NDArray> {
  expectArray(ctx, path, await ctx.reader.get(path), what);
  return ctx.reader.readArray(path);
}

/** The error behind each recorded problem (for callers that rethrow it). */
export const problemCause = new WeakMap<ReadProblem, unknown>();

/** Runs `fn`; on failure records the problem (when collecting) and returns undefined. */
export async function attempt<T>(ctx: ReadContext, path: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!ctx.problems) return fn();
  try {
    return await fn();
  } catch (err) {
    const problem: ReadProblem = { path, message: err instanceof Error ? err.message : String(err) };
    problemCause.set(problem, err);
    ctx.problems.push(problem);
    return undefined;
  }
}

/** The element's extra attributes merged under the encoding attributes (encoding wins). */
export function withExtra(elem: Elem, attrs: Attrs): Attrs {
  const e = extraAttrs(elem);
  return e ? { ...e, ...attrs } : attrs;
}

export function chunksFor(ctx: WriteContext, path: string, shape: number[], dtype: DType, fallback?: number[] | null): number[] | undefined {
  let c: number[] | undefined;
  if (typeof ctx.chunks === "function") c = ctx.chunks(path, shape, dtype);
  else if (ctx.chunks) {
    if (ctx.chunks.length === shape.length) c = ctx.chunks;
    else if (ctx.chunks.length === 1 && shape.length > 1) c = [ctx.chunks[0], ...shape.slice(1)];
  }
  if (!c && fallback && fallback.length === shape.length) c = fallback;
  if (!c || shape.length === 0) return undefined;
  return c.map((n, i) => Math.max(1, Math.min(n, Math.max(1, shape[i]))));
}
