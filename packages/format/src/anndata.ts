// A whole AnnData: the top-level slots (X, obs, var, obsm, varm, obsp, varp,
// layers, uns, raw) read and written through the element registry. Reading
// never fails on one bad element: it is listed in `problems` and left out.

import { attempt, isHandle, isNDArray, type ReadContext } from "./elements/context.js";
import { emptyFrame } from "./elements/dataframe.js";
import { readLegacyArrays, readLegacyFrame } from "./elements/legacy.js";
import { FormatError } from "./errors.js";
import { detectLayout, sparcspyAsAnnData } from "./layout.js";
import type { AnnData, DataFrame, Dict, Elem, ReadProblem } from "./model.js";
import { encodingAttrs, type ReadElemOptions, readContext, type WriteElemOptions, writeContext } from "./registry.js";
import { createStore, openStore } from "./store.js";
import type { Attrs, NDArray, StoreReader, StoreWriter } from "./types.js";

export interface ReadAnnDataOptions {
  /** Leave every dense numeric array on disk as an ArrayHandle (read or copy it block by block). */
  lazy?: boolean;
  /** When not lazy: arrays of at least this many bytes still stay on disk (default 64 MiB). */
  handleThreshold?: number;
}

export interface ReadAnnDataResult {
  adata: AnnData;
  /** Elements that could not be read (left out of `adata`), each with its path. */
  problems: ReadProblem[];
  /** The open store; ArrayHandles in `adata` read from it. */
  reader: StoreReader;
  /** Closes the store (after which ArrayHandles can no longer be read). */
  close(): Promise<void>;
}

const MAPPINGS = ["obsm", "varm", "obsp", "varp", "layers"] as const;

function rowsOf(elem: Elem | undefined): number | undefined {
  if (!elem) return undefined;
  if (isNDArray(elem)) return elem.shape[0];
  if (isHandle(elem)) return elem.info.shape[0];
  if ("kind" in elem && (elem.kind === "csr_matrix" || elem.kind === "csc_matrix")) return elem.shape[0];
  return undefined;
}

function colsOf(elem: Elem | undefined): number | undefined {
  if (!elem) return undefined;
  if (isNDArray(elem)) return elem.shape[1];
  if (isHandle(elem)) return elem.info.shape[1];
  if ("kind" in elem && (elem.kind === "csr_matrix" || elem.kind === "csc_matrix")) return elem.shape[1];
  return undefined;
}

async function readFrame(ctx: ReadContext, path: string, categoriesOf: (c: string) => NDArray | undefined): Promise<DataFrame> {
  const node = await ctx.reader.get(path);
  if (!node) throw new FormatError(ctx.reader.source, path, "missing");
  if (node.kind === "array" && node.fields) return readLegacyFrame(ctx, path, node, categoriesOf);
  const elem = await ctx.read(path);
  if (!("kind" in elem) || elem.kind !== "dataframe") {
    throw new FormatError(ctx.reader.source, path, `expected a dataframe, found ${"kind" in elem ? elem.kind : "an array"}`);
  }
  return elem;
}

async function readMapping(ctx: ReadContext, path: string): Promise<Record<string, Elem>> {
  const node = await ctx.reader.get(path);
  if (!node) return {};
  if (node.kind === "array" && node.fields) return (await readLegacyArrays(ctx, path, node)).items;
  const elem = await ctx.read(path);
  if (!("kind" in elem) || elem.kind !== "dict") {
    throw new FormatError(ctx.reader.source, path, `expected a mapping (dict), found ${"kind" in elem ? elem.kind : "an array"}`);
  }
  return elem.items;
}

/**
 * Files before anndata 0.7 kept the neighbour graphs in uns/neighbors; anndata
 * moves 2-d distances / connectivities to obsp on read, and so do we.
 */
function moveNeighborGraphs(adata: AnnData): void {
  const n = adata.uns.neighbors;
  if (!n || !("kind" in n) || n.kind !== "dict") return;
  for (const k of ["distances", "connectivities"]) {
    const m = n.items[k];
    if (!m || k in adata.obsp) continue;
    const twoD =
      ("kind" in m && (m.kind === "csr_matrix" || m.kind === "csc_matrix")) ||
      (isNDArray(m) && m.shape.length === 2) ||
      (isHandle(m) && m.info.shape.length === 2);
    if (!twoD) continue;
    adata.obsp[k] = m;
    delete n.items[k];
  }
}

/** Reads an AnnData (any version anndata wrote) from a path, URL or open store. */
export async function readAnnData(source: string | StoreReader, options: ReadAnnDataOptions = {}): Promise<ReadAnnDataResult> {
  const reader = typeof source === "string" ? await openStore(source) : source;
  try {
    const root = await reader.get("");
    if (root?.kind !== "group") throw new FormatError(reader.source, "", "not AnnData: the root is not a group");
    const children = new Set(await reader.list(""));
    const rootType = root.attrs["encoding-type"];
    if (rootType !== undefined && rootType !== "anndata") {
      throw new FormatError(reader.source, "", `not AnnData: root encoding-type is ${JSON.stringify(rootType)}`);
    }
    if (rootType === undefined && !children.has("obs") && !children.has("var") && !children.has("X")) {
      // SPARCSpy's plain HDF5 reads as the AnnData scPortrait writes today
      const layout = await detectLayout(reader);
      if (layout?.id === "sparcspy") {
        const { obs, var: var_, obsm, uns } = await sparcspyAsAnnData(reader, layout);
        return { adata: { obs, var: var_, layers: {}, obsm, varm: {}, obsp: {}, varp: {}, uns, attrs: {} }, problems: [], reader, close: () => reader.close() };
      }
      throw new FormatError(reader.source, "", "not AnnData: no encoding-type \"anndata\" and no obs, var or X");
    }
    const problems: ReadProblem[] = [];
    const elemOptions: ReadElemOptions = {
      problems,
      handleThreshold: options.lazy ? 0 : (options.handleThreshold ?? undefined),
    };
    const ctx = readContext(reader, elemOptions);

    const uns: Record<string, Elem> = children.has("uns") ? ((await attempt(ctx, "uns", () => readMapping(ctx, "uns"))) ?? {}) : {};
    // anndata < 0.7: categories of obs / var columns live in uns/<col>_categories.
    const usedCategories = new Set<string>();
    const categoriesOf = (col: string): NDArray | undefined => {
      const c = uns[`${col}_categories`];
      if (c && isNDArray(c)) {
        usedCategories.add(`${col}_categories`);
        return c;
      }
      return undefined;
    };

    const X = children.has("X") ? await attempt(ctx, "X", () => ctx.read("X")) : undefined;
    const obs = children.has("obs") ? await attempt(ctx, "obs", () => readFrame(ctx, "obs", categoriesOf)) : undefined;
    const vr = children.has("var") ? await attempt(ctx, "var", () => readFrame(ctx, "var", categoriesOf)) : undefined;
    const adata: AnnData = {
      obs: obs ?? emptyFrame(rowsOf(X) ?? 0),
      var: vr ?? emptyFrame(colsOf(X) ?? 0),
      layers: {},
      obsm: {},
      varm: {},
      obsp: {},
      varp: {},
      uns,
      attrs: root.attrs,
    };
    if (X !== undefined) adata.X = X;
    for (const m of MAPPINGS) {
      if (children.has(m)) adata[m] = (await attempt(ctx, m, () => readMapping(ctx, m))) ?? {};
    }
    for (const k of usedCategories) delete uns[k];
    moveNeighborGraphs(adata);

    // raw: a group "raw" (0.7+), or anndata < 0.7's top-level raw.X / raw.var / raw.varm.
    const rawPrefix = children.has("raw") ? "raw/" : children.has("raw.X") || children.has("raw.var") ? "raw." : undefined;
    if (rawPrefix) {
      const has = async (name: string) => (await reader.get(`${rawPrefix}${name}`)) !== null;
      const rawX = (await has("X")) ? await attempt(ctx, `${rawPrefix}X`, () => ctx.read(`${rawPrefix}X`)) : undefined;
      const rawVar = (await has("var")) ? await attempt(ctx, `${rawPrefix}var`, () => readFrame(ctx, `${rawPrefix}var`, () => undefined)) : undefined;
      const rawVarm = (await has("varm")) ? ((await attempt(ctx, `${rawPrefix}varm`, () => readMapping(ctx, `${rawPrefix}varm`))) ?? {}) : {};
      adata.raw = { var: rawVar ?? emptyFrame(colsOf(rawX) ?? 0), varm: rawVarm };
      if (rawX !== undefined) adata.raw.X = rawX;
    }
    return { adata, problems, reader, close: () => reader.close() };
  } catch (err) {
    if (typeof source === "string") await reader.close().catch(() => {});
    throw err;
  }
}

export interface WriteAnnDataOptions extends WriteElemOptions {
  /** For a path ending in .zarr: Zarr v2 or v3 (default 3, as anndata 0.13). */
  zarrFormat?: 2 | 3;
  overwrite?: boolean;
}

function rootAttrs(adata: AnnData): Attrs {
  const extra: Attrs = {};
  for (const [k, v] of Object.entries(adata.attrs ?? {})) if (k !== "encoding-type" && k !== "encoding-version") extra[k] = v;
  return { ...extra, ...encodingAttrs("anndata") };
}

/** Writes the slots into an open store (not closed here). */
export async function writeAnnDataTo(writer: StoreWriter, adata: AnnData, options: WriteElemOptions = {}): Promise<void> {
  const ctx = writeContext(writer, options);
  await writer.createGroup("", rootAttrs(adata));
  if (adata.X !== undefined) await ctx.write("X", adata.X);
  await ctx.write("obs", adata.obs);
  await ctx.write("var", adata.var);
  for (const m of ["obsm", "varm", "obsp", "varp", "layers"] as const) {
    await ctx.write(m, { kind: "dict", items: adata[m] ?? {} } satisfies Dict);
  }
  await ctx.write("uns", { kind: "dict", items: adata.uns ?? {} } satisfies Dict);
  if (adata.raw) {
    await writer.createGroup("raw", encodingAttrs("raw"));
    if (adata.raw.X !== undefined) await ctx.write("raw/X", adata.raw.X);
    await ctx.write("raw/var", adata.raw.var);
    await ctx.write("raw/varm", { kind: "dict", items: adata.raw.varm ?? {} } satisfies Dict);
  }
}

/**
 * Writes an AnnData to a path (.zarr -> Zarr, else HDF5) or an open store.
 * A path is written under a temporary name and appears only when complete;
 * on any error the partial output is removed.
 */
export async function writeAnnData(target: string | StoreWriter, adata: AnnData, options: WriteAnnDataOptions = {}): Promise<void> {
  const writer = typeof target === "string" ? await createStore(target, { zarrFormat: options.zarrFormat, overwrite: options.overwrite }) : target;
  try {
    await writeAnnDataTo(writer, adata, options);
  } catch (err) {
    if (typeof target === "string") await writer.abort().catch(() => {});
    throw err;
  }
  if (typeof target === "string") await writer.close();
}
