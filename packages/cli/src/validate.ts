// Checks a store against the AnnData encodings and the single-cell layout
// (docs/format.md), and reads every chunk once, so that a missing attribute, a wrong
// shape or a corrupt chunk is found before a user's pipeline trips on it.
// Every problem names its element path; checking goes on past each one.
import type { ArrayInfo, Attrs, NodeInfo, StoreReader } from "@cellfolio/format";
import { detectLayout, isCellfolioError, itemSize, plausibleSize, validateSingleCellLayout } from "@cellfolio/format";
import { dataframeLength } from "./inspect.js";

export interface Problem {
  path: string;
  message: string;
  /** A note is no problem: what was found (the layout) and what a newer writer would change. */
  severity: "error" | "warning" | "note";
}

/** Encodings anndata 0.7-0.13 write, with the versions of each that this check knows. */
const KNOWN: Record<string, string[]> = {
  anndata: ["0.1.0"],
  raw: ["0.1.0"],
  array: ["0.2.0"],
  csr_matrix: ["0.1.0"],
  csc_matrix: ["0.1.0"],
  dataframe: ["0.2.0", "0.1.0"],
  dict: ["0.1.0"],
  categorical: ["0.2.0"],
  "string-array": ["0.2.0"],
  string: ["0.2.0"],
  "numeric-scalar": ["0.2.0"],
  "nullable-integer": ["0.1.0"],
  "nullable-boolean": ["0.1.0"],
  "nullable-string-array": ["0.1.0"],
  "awkward-array": ["0.1.0"],
  "rec-array": ["0.2.0"],
  null: ["0.1.0"],
  bytes: ["0.1.0"],
};

const join = (a: string, b: string) => (a ? `${a}/${b}` : b);
const str = (attrs: Attrs, k: string) => (typeof attrs[k] === "string" ? (attrs[k] as string) : undefined);

export interface ValidateOptions {
  /** Read every chunk of every array (default true). */
  readData?: boolean;
  /** Bytes read at once per array while checking data. */
  blockBytes?: number;
}

export async function validateStore(reader: StoreReader, options: ValidateOptions = {}): Promise<Problem[]> {
  const problems: Problem[] = [];
  const err = (path: string, message: string) => problems.push({ path: `/${path}`, message, severity: "error" });
  const warn = (path: string, message: string) => problems.push({ path: `/${path}`, message, severity: "warning" });
  const note = (path: string, message: string) => problems.push({ path: `/${path}`, message, severity: "note" });
  const safeGet = async (path: string): Promise<NodeInfo | null> => {
    try {
      return await reader.get(path);
    } catch (e) {
      err(path, `cannot read metadata: ${problemOf(e, path, reader.source)}`);
      return null;
    }
  };

  const root = await safeGet("");
  if (!root) {
    err("", "not readable as a group");
    return problems;
  }
  const layout = await detectLayout(reader).catch(() => null);
  if (layout) {
    note(layout.imagesPath, `layout: ${layout.name}`);
    for (const n of layout.notes) note(layout.imagesPath, n);
  }
  const checkLayout = async (counts?: { nObs: number | null; nVars: number | null }) => {
    for (const p of await validateSingleCellLayout(reader, layout, counts)) (p.severity === "error" ? err : warn)(p.path, p.message);
  };
  // SPARCSpy's files are plain HDF5, no AnnData: its own checks only
  if (layout?.id === "sparcspy") {
    await checkLayout();
    if (options.readData !== false) await readEvery(reader, err, options);
    return problems;
  }
  if (str(root.attrs, "encoding-type") !== "anndata") {
    if (root.attrs["encoding-type"] === undefined) warn("", 'no encoding-type "anndata" (a file of anndata < 0.7?)');
    else err("", `encoding-type is "${root.attrs["encoding-type"]}", expected "anndata"`);
  }
  const nObs = await dataframeLength(reader, "obs").catch(() => null);
  const nVars = await dataframeLength(reader, "var").catch(() => null);
  if ((await safeGet("obs")) === null) err("obs", "missing (every AnnData has obs)");
  if ((await safeGet("var")) === null) err("var", "missing (every AnnData has var)");

  const checkShape = (path: string, shape: number[] | null, expect: (number | null)[], what: string) => {
    if (!shape) return;
    expect.forEach((n, axis) => {
      if (n !== null && shape[axis] !== n) err(path, `shape (${shape.join(", ")}): axis ${axis} must be ${n} (${what})`);
    });
  };

  // Shape of an element: arrays by their shape, sparse by the attribute, dataframes by their index.
  const elemShape = async (path: string, node: NodeInfo): Promise<number[] | null> => {
    if (node.kind === "array") return node.shape;
    const t = str(node.attrs, "encoding-type");
    if (t === "csr_matrix" || t === "csc_matrix") {
      const s = node.attrs.shape;
      return Array.isArray(s) ? s.map(Number) : s && typeof s === "object" && "data" in s ? Array.from((s as any).data, Number) : null;
    }
    if (t === "dataframe") {
      const n = await dataframeLength(reader, path).catch(() => null);
      return n === null ? null : [n];
    }
    return null;
  };

  const checkElem = async (path: string, node: NodeInfo, inUns: boolean): Promise<void> => {
    let type = str(node.attrs, "encoding-type");
    const version = str(node.attrs, "encoding-version");
    if (type === undefined) {
      if (node.kind === "group" && inUns) {
        for (const child of await reader.list(path)) {
          const c = await safeGet(join(path, child));
          if (c) await checkElem(join(path, child), c, true);
        }
        return;
      }
      if (node.kind === "array" && inUns) return; // h5py-written plain arrays in uns read as arrays
      err(path, "missing encoding-type attribute");
      // A dataframe that lost its tag is still checked as one: its columns may hold more problems.
      if (node.kind !== "group" || typeof node.attrs._index !== "string") return;
      type = "dataframe";
    }
    if (!(type in KNOWN)) {
      err(path, `unknown encoding-type "${type}"`);
      return;
    }
    if (version === undefined && node.attrs["encoding-type"] !== undefined) err(path, `encoding-type "${type}" without encoding-version`);
    else if (version !== undefined && !KNOWN[type].includes(version)) warn(path, `encoding-version "${version}" of "${type}" is not one this reader knows (${KNOWN[type].join(", ")})`);
    const needArray = ["array", "string-array", "numeric-scalar", "string", "rec-array", "bytes"].includes(type);
    if (needArray && node.kind !== "array") {
      err(path, `encoding-type "${type}" must be an array, found a group`);
      return;
    }
    if (!needArray && node.kind !== "group" && type !== "null") {
      err(path, `encoding-type "${type}" must be a group, found an array`);
      return;
    }
    const child = async (name: string, kind?: "array" | "group"): Promise<NodeInfo | null> => {
      const c = await safeGet(join(path, name));
      if (!c) err(join(path, name), `missing (required by ${type})`);
      else if (kind && c.kind !== kind) err(join(path, name), `must be ${kind === "array" ? "an array" : "a group"} (${type})`);
      return c;
    };
    switch (type) {
      case "string-array":
        if (node.kind === "array" && node.dtype !== "string") err(path, `string-array of dtype ${node.dtype}, expected strings`);
        break;
      case "numeric-scalar":
      case "string":
        if (node.kind === "array" && node.shape.length !== 0) err(path, `${type} must be 0-dimensional, shape (${node.shape.join(", ")})`);
        break;
      case "csr_matrix":
      case "csc_matrix": {
        const shape = await elemShape(path, node);
        if (shape?.length !== 2) err(path, `${type} needs a "shape" attribute of two integers`);
        const data = await child("data", "array");
        const indices = await child("indices", "array");
        const indptr = await child("indptr", "array");
        if (shape && indptr?.kind === "array") {
          const n = (type === "csr_matrix" ? shape[0] : shape[1]) + 1;
          if (indptr.shape[0] !== n) err(join(path, "indptr"), `length ${indptr.shape[0]}, expected ${n} for shape (${shape.join(", ")})`);
        }
        if (data?.kind === "array" && indices?.kind === "array" && data.shape[0] !== indices.shape[0]) {
          err(path, `data (${data.shape[0]}) and indices (${indices.shape[0]}) differ in length`);
        }
        break;
      }
      case "categorical": {
        const codes = await child("codes", "array");
        await child("categories");
        if (typeof node.attrs.ordered !== "boolean" && !(typeof node.attrs.ordered === "number")) err(path, 'categorical without a bool "ordered" attribute');
        if (codes?.kind === "array" && !codes.dtype.startsWith("int") && !codes.dtype.startsWith("uint")) err(join(path, "codes"), `codes of dtype ${codes.dtype}, expected integers`);
        break;
      }
      case "nullable-integer":
      case "nullable-boolean":
      case "nullable-string-array": {
        const values = await child("values", "array");
        const mask = await child("mask", "array");
        if (values?.kind === "array" && mask?.kind === "array" && values.shape[0] !== mask.shape[0]) err(path, `values (${values.shape[0]}) and mask (${mask.shape[0]}) differ in length`);
        if (mask?.kind === "array" && mask.dtype !== "bool") err(join(path, "mask"), `mask of dtype ${mask.dtype}, expected bool`);
        break;
      }
      case "dataframe": {
        const indexName = str(node.attrs, "_index");
        if (!indexName) err(path, 'dataframe without an "_index" attribute');
        const order = node.attrs["column-order"];
        const columns: string[] = Array.isArray(order) ? order.map(String) : order && typeof order === "object" && "data" in order ? Array.from((order as any).data, String) : [];
        if (order === undefined) err(path, 'dataframe without a "column-order" attribute');
        const n = indexName ? await dataframeLength(reader, path).catch(() => null) : null;
        if (indexName) await child(indexName, "array");
        for (const name of columns) {
          const c = await child(name);
          if (!c) continue;
          await checkElem(join(path, name), c, false);
          const shape = await elemShape(join(path, name), c);
          const len = shape?.[0] ?? (c.kind === "group" ? await columnLength(reader, join(path, name)) : null);
          if (n !== null && len !== null && len !== n) err(join(path, name), `column of length ${len}, the index has ${n}`);
        }
        break;
      }
      case "dict":
      case "anndata":
      case "raw":
        for (const name of await reader.list(path)) {
          const c = await safeGet(join(path, name));
          if (c) await checkElem(join(path, name), c, inUns || path === "uns" || type === "dict");
        }
        break;
    }
  };

  const mapping: [string, (n: number[] | null, p: string) => void][] = [
    ["X", (s, p) => checkShape(p, s, [nObs, nVars], "n_obs x n_vars")],
    ["layers", (s, p) => checkShape(p, s, [nObs, nVars], "n_obs x n_vars")],
    ["obsm", (s, p) => checkShape(p, s, [nObs], "n_obs rows")],
    ["varm", (s, p) => checkShape(p, s, [nVars], "n_vars rows")],
    ["obsp", (s, p) => checkShape(p, s, [nObs, nObs], "n_obs x n_obs")],
    ["varp", (s, p) => checkShape(p, s, [nVars, nVars], "n_vars x n_vars")],
  ];
  for (const top of await reader.list("")) {
    const node = await safeGet(top);
    if (!node) continue;
    if (top === "obs" || top === "var" || top === "uns" || top === "raw") {
      if (top === "uns" && node.kind === "group" && node.attrs["encoding-type"] === undefined && root.attrs["encoding-type"] !== undefined) {
        err(top, "missing encoding-type attribute (uns is a dict)");
      }
      await checkElem(top, node, top === "uns");
      continue;
    }
    const rule = mapping.find(([name]) => name === top);
    if (!rule) continue;
    if (top === "X") {
      await checkElem(top, node, false);
      rule[1](await elemShape(top, node), top);
      continue;
    }
    if (node.kind !== "group") {
      err(top, `must be a group of elements, found an array`);
      continue;
    }
    for (const name of await reader.list(top)) {
      const p = join(top, name);
      const c = await safeGet(p);
      if (!c) continue;
      await checkElem(p, c, false);
      rule[1](await elemShape(p, c), p);
    }
  }

  await checkLayout({ nObs, nVars });

  if (options.readData !== false) await readEvery(reader, err, options);
  return problems;
}

/** Reads every chunk of every array once, when the shapes fit the bytes present. */
async function readEvery(reader: StoreReader, err: (p: string, m: string) => void, options: ValidateOptions): Promise<void> {
  const { walk } = await import("./inspect.js");
  const nodes = await walk(reader).catch((e) => {
    err("", `cannot walk the tree: ${problemOf(e, "", reader.source)}`);
    return [] as NodeInfo[];
  });
  // every chunk is read only when the shapes fit the bytes present
  let claimed = 0;
  for (const n of nodes) if (n.kind === "array") claimed += n.shape.reduce((a, b) => a * b, 1) * (n.dtype === "string" ? 1 : itemSize(n.dtype));
  const implausible = await plausibleSize(reader.source, claimed);
  if (implausible) {
    err("", implausible);
    return;
  }
  for (const n of nodes) {
    if (n.kind !== "array" || n.fields) continue;
    await readAll(reader, n, options.blockBytes ?? 64 << 20).catch((e) => err(n.path, `unreadable data: ${problemOf(e, n.path, reader.source)}`));
  }
}

/**
 * The first line of an error for a report line that already names the file
 * and the element: a cellfolio error's file and element are said again only
 * where they differ from the line's.
 */
function problemOf(e: unknown, element: string, source: string): string {
  if (!isCellfolioError(e)) return String((e as Error)?.message ?? e).split("\n")[0];
  const at = e.element === undefined ? "" : `/${e.element.replace(/^\/+/, "")}`;
  const where = [e.file && e.file !== source ? e.file : "", at && at !== `/${element.replace(/^\/+/, "")}` ? at : ""].filter(Boolean).join(": ");
  return `${where ? `${where}: ` : ""}${e.problem.split("\n")[0]}`;
}

async function columnLength(reader: StoreReader, path: string): Promise<number | null> {
  for (const name of ["codes", "values"]) {
    const c = await reader.get(`${path}/${name}`).catch(() => null);
    if (c?.kind === "array") return c.shape[0];
  }
  return null;
}

/** Reads an array in blocks of whole chunks along axis 0, so every chunk is decoded once. */
async function readAll(reader: StoreReader, info: ArrayInfo, blockBytes: number): Promise<void> {
  if (info.shape.length === 0 || info.shape.some((s) => s === 0)) {
    if (info.shape.length === 0) await reader.readArray(info.path);
    return;
  }
  const rowElems = info.shape.slice(1).reduce((a, b) => a * b, 1);
  const itemBytes = info.dtype === "string" ? 16 : 8;
  const chunkRows = info.chunks?.[0] ?? info.shape[0];
  const rowsPerBlock = Math.max(chunkRows, Math.floor(blockBytes / Math.max(1, rowElems * itemBytes) / chunkRows) * chunkRows);
  for (let r = 0; r < info.shape[0]; r += rowsPerBlock) {
    const n = Math.min(rowsPerBlock, info.shape[0] - r);
    await reader.readBlock(info.path, [r, ...info.shape.slice(1).map(() => 0)], [n, ...info.shape.slice(1)]);
  }
}
