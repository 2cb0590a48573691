// `cellfolio view --annotate`: the page's labels written back, to the dataset
// as an obs column (a categorical, as anndata stores text) or to a CSV beside
// the dataset that `extract --labels` reads. The server decides where it
// writes; the request only names the column and the values.
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import {
  type ArrayHandle,
  type Categorical,
  CELL_ID_COLUMNS,
  CellfolioError,
  type Compression,
  createStore,
  type DataFrame,
  type Elem,
  itemSize,
  OWNED_OBS_COLUMNS,
  openStore,
  product,
  RowAppender,
  readAnnData,
  type StoreWriter,
  writeAnnDataTo,
} from "@cellfolio/format";
import { cleanUpOnSignal } from "./interrupt.js";

/** What the page sends (POST /api/labels, JSON). */
export interface LabelsRequest {
  /** "obs": a column of the dataset; "csv": the CSV beside it. */
  target: "obs" | "csv";
  /** The obs column / CSV column name. */
  column: string;
  /** The class names, in legend order: the categories, in this order. */
  classes: string[];
  /** Labelled cells: cellID and the index of its class in `classes`. */
  cells: { cellId: number; label: number }[];
}

/**
 * Obs columns a label column must not replace: those the layout writes itself
 * (the cells' identity and place), and the other names readers take the
 * cellIDs from (older scPortrait's cell_id, cellID).
 */
const RESERVED = new Set([...OWNED_OBS_COLUMNS, ...CELL_ID_COLUMNS]);

/** A request that cannot be done as asked: answered 400 with this message. */
export class LabelsRequestError extends CellfolioError {
  constructor(problem: string) {
    super("labels-request", "", undefined, problem);
    this.name = "LabelsRequestError";
  }
}

/** The checked request, or a LabelsRequestError saying what is wrong. */
export function checkLabelsRequest(body: unknown): LabelsRequest {
  const fail = (msg: string): never => {
    throw new LabelsRequestError(msg);
  };
  if (!body || typeof body !== "object" || Array.isArray(body)) fail("expected a JSON object { target, column, classes, cells }");
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !["target", "column", "classes", "cells"].includes(k));
  // no path, file or other field: where labels go is fixed by the server
  if (extra.length) fail(`unknown field ${extra.map((k) => JSON.stringify(k)).join(", ")}; the server writes only to the dataset or the CSV beside it`);
  if (b.target !== "obs" && b.target !== "csv") fail(`target ${JSON.stringify(b.target)}; expected "obs" or "csv"`);
  const column = b.column;
  if (typeof column !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$/.test(column) || column.includes("..")) {
    fail(`column ${JSON.stringify(column)}; expected 1-64 letters, digits, "_", "-", "." or spaces (no "/" or "..")`);
  }
  if (RESERVED.has(column as string)) fail(`column "${column}" holds the cells' identity or place; choose another name`);
  const classes = b.classes;
  if (!Array.isArray(classes) || classes.length === 0 || classes.length > 64 || !classes.every((c) => typeof c === "string" && c.length > 0 && c.length <= 200)) {
    fail("classes: expected 1-64 non-empty names");
  }
  if (new Set(classes as string[]).size !== (classes as string[]).length) fail("classes: a name appears twice; each class needs its own name");
  const cells = b.cells;
  if (!Array.isArray(cells)) fail("cells: expected a list of { cellId, label }");
  const seen = new Set<number>();
  for (const c of cells as unknown[]) {
    const { cellId, label } = (c ?? {}) as Record<string, unknown>;
    if (typeof cellId !== "number" || !Number.isSafeInteger(cellId) || cellId < 0) fail(`cells: cellId ${JSON.stringify(cellId)}; expected an integer >= 0`);
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= (classes as string[]).length) fail(`cells: label ${JSON.stringify(label)} of cell ${cellId}; expected a class index 0..${(classes as string[]).length - 1}`);
    if (seen.has(cellId as number)) fail(`cells: cell ${cellId} twice`);
    seen.add(cellId as number);
  }
  return b as unknown as LabelsRequest;
}

/** The CSV of a dataset's labels: fixed, beside it (`cells.h5sc` -> `cells.h5sc.labels.csv`). */
export function labelsCsvPath(dataset: string): string {
  return `${path.resolve(dataset)}.labels.csv`;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The labels as `extract --labels` reads them: cellID, then the column; labelled cells only. */
export function labelsCsv(req: LabelsRequest): string {
  const rows = [...req.cells].sort((a, b) => a.cellId - b.cellId).map((c) => `${c.cellId},${csvField(req.classes[c.label])}`);
  return `cellID,${csvField(req.column)}\n${rows.join("\n")}${rows.length ? "\n" : ""}`;
}

/** Writes `text` to `file` under a temporary name, synced, renamed at the end. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    const fh = await open(tmp, "wx");
    try {
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * The Compression a stored array's codec label names ("gzip(1)", "shuffle+lzf",
 * "blosc(lz4,5,shuffle)", "zstd(3)", "none"), or undefined where it names
 * something the writers do not write (the backend's default is used then).
 */
export function compressionOfLabel(label: string): Compression | undefined {
  let out: Compression | undefined;
  let shuffle = false;
  for (const part of label.split("+")) {
    const m = /^(\w+)(?:\((.*)\))?$/.exec(part.trim());
    const [name, args = ""] = m ? [m[1], m[2]] : [part, ""];
    const level = args === "" ? undefined : Number(args);
    if (name === "shuffle") shuffle = true;
    else if (name === "fletcher32") continue;
    else if (name === "none") out = { codec: "none" };
    else if (name === "gzip" || name === "zlib") out = { codec: "gzip", level };
    else if (name === "zstd") out = { codec: "zstd", level };
    else if (name === "lzf") out = { codec: "lzf" };
    else if (name === "blosc") {
      const [cname, clevel, sh] = args.split(",");
      out = { codec: "blosc", cname: cname as "lz4", clevel: Number(clevel), shuffle: sh === "bitshuffle" ? "bit" : sh === "shuffle" ? "byte" : "none" };
    } else return undefined;
  }
  if (out && shuffle && out.codec !== "none" && out.codec !== "blosc") out = { ...out, shuffle: true };
  return out;
}

/** Rows of a copy step: about 16 MB, whole rows. */
const COPY_BYTES = 16 * 2 ** 20;

/** A dense array left on disk, copied with its chunks, shards and compression (the images stay as extract wrote them). */
async function copyKeepingLayout(writer: StoreWriter, path: string, h: ArrayHandle): Promise<void> {
  const { shape, dtype, chunks, shards, compression, attrs } = h.info;
  const w = await writer.createArray(path, {
    shape,
    dtype,
    attrs,
    ...(chunks ? { chunks } : {}),
    ...(shards ? { shards } : {}),
    ...(compressionOfLabel(compression) ? { compression: compressionOfLabel(compression) } : {}),
  });
  const out = new RowAppender(w);
  const rowBytes = Math.max(1, product(shape.slice(1)) * itemSize(dtype));
  const step = Math.max(1, Math.floor(COPY_BYTES / rowBytes));
  for (let r = 0; r < shape[0]; r += step) {
    const n = Math.min(step, shape[0] - r);
    await out.append(await h.reader.readBlock(h.path, [r, ...shape.slice(1).map(() => 0)], [n, ...shape.slice(1)]));
  }
  await out.flush();
  await w.close();
}

function isHandle(e: Elem | undefined): e is ArrayHandle {
  return typeof e === "object" && e !== null && (e as { kind?: string }).kind === "array-handle";
}

/**
 * The dataset with the label column added (or replaced): the whole store is
 * written again through the format writers under a temporary name and renamed
 * onto the dataset when complete (HDF5 has no safe in-place append; a Zarr
 * store is replaced as a whole so a reader never sees half of it). The large
 * arrays of obsm keep their chunks, shards and compression.
 */
async function writeObsColumn(dataset: string, req: LabelsRequest): Promise<{ rows: number; labelled: number }> {
  const reader = await openStore(dataset);
  try {
    const { adata, problems } = await readAnnData(reader, { lazy: true });
    if (problems.length) throw new Error(`${dataset}: ${problems[0].path}: ${problems[0].message}; not rewritten`);
    const obs = adata.obs as DataFrame;
    const n = Array.isArray(obs.index) ? obs.index.length : obs.index.shape[0];
    const idCol = CELL_ID_COLUMNS.find((c) => c in obs.columns);
    const rowOf = new Map<number, number>();
    if (idCol) {
      const ids = obs.columns[idCol] as { data: ArrayLike<number | bigint> };
      for (let r = 0; r < n; r++) rowOf.set(Number(ids.data[r]), r);
    } else for (let r = 0; r < n; r++) rowOf.set(r, r); // no id column: the row numbers are the ids (as the viewer has it)
    const codesType = req.classes.length < 128 ? "int8" : "int16";
    const codes = codesType === "int8" ? new Int8Array(n).fill(-1) : new Int16Array(n).fill(-1);
    for (const c of req.cells) {
      const r = rowOf.get(c.cellId);
      if (r === undefined) throw new LabelsRequestError(`cell ${c.cellId} is not in ${path.basename(dataset)}`);
      codes[r] = c.label;
    }
    const column: Categorical = {
      kind: "categorical",
      codes: { dtype: codesType, shape: [n], data: codes },
      categories: { dtype: "string", shape: [req.classes.length], data: [...req.classes] },
      ordered: false,
    };
    obs.columns[req.column] = column;
    if (!obs.columnOrder.includes(req.column)) obs.columnOrder.push(req.column);
    // obsm's arrays on disk are copied after the rest, layout kept
    const kept = Object.entries(adata.obsm ?? {}).filter((e): e is [string, ArrayHandle] => isHandle(e[1]) && e[1].info.dtype !== "string" && e[1].info.shape.length > 0);
    for (const [k] of kept) delete adata.obsm?.[k];
    const writer = await createStore(dataset, { overwrite: true, zarrFormat: reader.zarrFormat });
    try {
      await writeAnnDataTo(writer, adata);
      for (const [k, h] of kept) await copyKeepingLayout(writer, `obsm/${k}`, h);
      await writer.close();
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
    return { rows: n, labelled: req.cells.length };
  } finally {
    await reader.close().catch(() => {});
  }
}

/**
 * The writer `serve` calls for POST /api/labels: one save at a time (a
 * second waits for the first), each to the dataset or its CSV only.
 */
export function labelsWriter(dataset: string): (req: LabelsRequest) => Promise<{ written: string; rows?: number; labelled: number }> {
  let last: Promise<unknown> = Promise.resolve();
  return (req) => {
    const run = async () => {
      // Ctrl-C while saving: the temporary output goes, the dataset and the CSV stay as they were
      const settled = cleanUpOnSignal([dataset, labelsCsvPath(dataset)]);
      try {
        if (req.target === "csv") {
          const file = labelsCsvPath(dataset);
          await writeAtomic(file, labelsCsv(req));
          return { written: file, labelled: req.cells.length };
        }
        const r = await writeObsColumn(dataset, req);
        return { written: `${path.resolve(dataset)} obs/${req.column}`, ...r };
      } finally {
        settled();
      }
    };
    const p = last.then(run, run);
    last = p.catch(() => {});
    return p;
  };
}
