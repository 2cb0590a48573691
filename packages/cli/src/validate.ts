// Checks a store against the AnnData encodings and the single-cell layout
// (docs/format.md), and reads every chunk once, so that a missing attribute, a wrong
// shape or a corrupt chunk is found before a user's pipeline trips on it.
// Every problem names its element path; checking goes on past each one.
import type { ArrayInfo, Attrs, CheckContext, NodeInfo, StoreReader } from "@cellfolio/format";
import { checkElem, detectLayout, elemShape, isCellfolioError, itemSize, legacyWriter, plausibleSize, validateSingleCellLayout } from "@cellfolio/format";

export interface Problem {
  path: string;
  message: string;
  /** A note is no problem: what was found (the layout) and what a newer writer would change. */
  severity: "error" | "warning" | "note";
}

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
  // the encodings, element by element, by the registry's checks
  const legacy = await legacyWriter(reader, root);
  if (legacy) note("", `written by ${legacy}: anndata reads it as it is; cellfolio convert writes the current encodings`);
  else if (str(root.attrs, "encoding-type") !== "anndata") err("", `encoding-type is "${root.attrs["encoding-type"]}", expected "anndata"`);
  const ctx: CheckContext = {
    reader,
    legacy,
    error: err,
    note,
    get: safeGet,
    check: (path, node, inUns) => checkElem(ctx, path, node, inUns),
    shape: (path, node) => elemShape(reader, path, node),
  };
  const rows = async (path: string) => (await elemShape(reader, path).catch(() => null))?.[0] ?? null;
  const nObs = await rows("obs");
  const nVars = await rows("var");
  if ((await safeGet("obs")) === null) err("obs", "missing (every AnnData has obs)");
  if ((await safeGet("var")) === null) err("var", "missing (every AnnData has var)");

  const checkShape = (path: string, shape: number[] | null, expect: (number | null)[], what: string) => {
    if (!shape) return;
    expect.forEach((n, axis) => {
      if (n !== null && shape[axis] !== n) err(path, `shape (${shape.join(", ")}): axis ${axis} must be ${n} (${what})`);
    });
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
      if (top === "uns" && node.kind === "group" && node.attrs["encoding-type"] === undefined && !legacy) {
        err(top, "missing encoding-type attribute (uns is a dict)");
      }
      await ctx.check(top, node, top === "uns");
      continue;
    }
    const rule = mapping.find(([name]) => name === top);
    if (!rule) continue;
    if (top === "X") {
      await ctx.check(top, node, false);
      rule[1](await ctx.shape(top, node), top);
      continue;
    }
    if (node.kind !== "group") {
      // anndata < 0.7: obsm / varm as compound arrays, a field an embedding
      if (legacy && node.fields) rule[1](node.shape, top);
      else err(top, "must be a group of elements, found an array");
      continue;
    }
    for (const name of await reader.list(top)) {
      const p = join(top, name);
      const c = await safeGet(p);
      if (!c) continue;
      await ctx.check(p, c, false);
      rule[1](await ctx.shape(p, c), p);
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
  const at = e.at;
  const where = [e.file && e.file !== source ? e.file : "", at && at !== `/${element.replace(/^\/+/, "")}` ? at : ""].filter(Boolean).join(": ");
  return `${where ? `${where}: ` : ""}${e.problem.split("\n")[0]}`;
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
