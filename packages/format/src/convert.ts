// Any AnnData from one store to another (HDF5 <-> Zarr v2 / v3, either way):
// read lazily through the registry, written through the registry, dense
// arrays copied block by block, the output appearing only when complete.

import { readAnnData, writeAnnDataTo } from "./anndata.js";
import { itemSize, product } from "./dtype.js";
import type { ChunksOption } from "./elements/context.js";
import { isHandle, isNDArray, problemCause } from "./elements/context.js";
import { FormatError } from "./errors.js";
import type { AnnData, Elem } from "./model.js";
import { createStore, openStore, plausibleSize } from "./store.js";
import type { Compression, NDArray } from "./types.js";

export interface ConvertProgress {
  /** Bytes of array data written so far. */
  bytesDone: number;
  /** Bytes of array data in the whole dataset. */
  bytesTotal: number;
}

export interface ConvertOptions {
  /** For a .zarr output: Zarr v2 or v3 (default 3). */
  zarrFormat?: 2 | 3;
  /** Replace an existing output (at the end; until then it is left alone). */
  overwrite?: boolean;
  /** Chunk shape of written arrays (default: the input's chunks where it has them). */
  chunks?: ChunksOption;
  /** Compression of written arrays (default: the output backend's default). */
  compression?: Compression;
  onProgress?: (p: ConvertProgress) => void;
  /** Convert even when some elements cannot be read (they are left out); default false. */
  allowProblems?: boolean;
}

export interface ConvertResult {
  bytes: number;
  /** Rec-arrays written (a Zarr v3 output holding one needs zarr-python >= 3.1 to open). */
  recArrays: number;
  /** Elements left out (only with allowProblems). */
  problems: { path: string; message: string }[];
}

function arrayBytes(a: NDArray): number {
  return a.dtype === "string" ? 0 : product(a.shape) * itemSize(a.dtype);
}

/** Bytes of array data an element holds (what progress counts). */
export function elemBytes(elem: Elem | undefined): number {
  if (!elem) return 0;
  if (isNDArray(elem)) return arrayBytes(elem);
  if (isHandle(elem)) return elem.info.dtype === "string" ? 0 : product(elem.info.shape) * itemSize(elem.info.dtype);
  switch (elem.kind) {
    case "dataframe":
      return (Array.isArray(elem.index) ? 0 : arrayBytes(elem.index)) + Object.values(elem.columns).reduce((s, c) => s + elemBytes(c), 0);
    case "categorical":
      return arrayBytes(elem.codes) + arrayBytes(elem.categories);
    case "nullable-integer":
    case "nullable-boolean":
    case "nullable-string-array":
      return arrayBytes(elem.values) + arrayBytes(elem.mask);
    case "csr_matrix":
    case "csc_matrix":
      return arrayBytes(elem.data) + arrayBytes(elem.indices) + arrayBytes(elem.indptr);
    case "dict":
      return Object.values(elem.items).reduce((s, c) => s + elemBytes(c), 0);
    case "awkward-array":
      return Object.values(elem.buffers).reduce((s, b) => s + arrayBytes(b), 0);
    case "rec-array":
      return Object.values(elem.fields).reduce((s, b) => s + arrayBytes(b), 0);
    default:
      return 0;
  }
}

function countRecArrays(e: Elem | undefined): number {
  if (!e || !("kind" in e)) return 0;
  if (e.kind === "rec-array") return 1;
  return e.kind === "dict" ? Object.values(e.items).reduce((s, c) => s + countRecArrays(c), 0) : 0;
}

export function annDataBytes(adata: AnnData): number {
  let total = elemBytes(adata.X) + elemBytes(adata.obs) + elemBytes(adata.var);
  for (const m of [adata.obsm, adata.varm, adata.obsp, adata.varp, adata.layers, adata.uns]) {
    for (const e of Object.values(m ?? {})) total += elemBytes(e);
  }
  if (adata.raw) {
    total += elemBytes(adata.raw.X) + elemBytes(adata.raw.var);
    for (const e of Object.values(adata.raw.varm ?? {})) total += elemBytes(e);
  }
  return total;
}

/**
 * Converts `input` (.h5ad / .h5sc / .zarr / .zarr.zip, or a URL) to `output`
 * (.zarr -> Zarr v2 or v3, else HDF5). Any unreadable element fails the
 * conversion (unless allowProblems) and nothing is left at `output`.
 */
export async function convert(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const reader = await openStore(input);
  try {
    const { adata, problems } = await readAnnData(reader, { lazy: true });
    if (problems.length > 0 && !options.allowProblems) {
      const first = problems[0];
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
      const cause = problemCause.get(first);
      if (cause instanceof FormatError) throw new FormatError(cause.file, cause.element ?? "", `${cause.problem}${more}`, { cause });
      throw new FormatError(reader.source, first.path, `${first.message}${more}`, { cause });
    }
    const bytesTotal = annDataBytes(adata);
    const implausible = await plausibleSize(input, bytesTotal);
    if (implausible) throw new FormatError(reader.source, "", implausible);
    let bytesDone = 0;
    const writer = await createStore(output, { zarrFormat: options.zarrFormat, overwrite: options.overwrite });
    try {
      options.onProgress?.({ bytesDone, bytesTotal });
      await writeAnnDataTo(writer, adata, {
        compression: options.compression,
        chunks: options.chunks,
        onBytes: (n) => {
          bytesDone += n;
          options.onProgress?.({ bytesDone: Math.min(bytesDone, bytesTotal), bytesTotal });
        },
      });
      await writer.close();
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
    options.onProgress?.({ bytesDone: bytesTotal, bytesTotal });
    return {
      bytes: bytesTotal,
      problems,
      recArrays: [adata.uns, adata.obsm, adata.varm, adata.layers].reduce((s, m) => s + Object.values(m ?? {}).reduce((t, e) => t + countRecArrays(e), 0), 0),
    };
  } finally {
    await reader.close().catch(() => {});
  }
}
