// "csr_matrix" / "csc_matrix" 0.1.0: a group with data, indices, indptr and a
// `shape` attribute; also anndata < 0.7's h5sparse groups (h5sparse_format,
// h5sparse_shape).
import { FormatError } from "../errors.js";
import type { Elem, SparseMatrix } from "../model.js";
import type { Attrs, NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import {
  attrNumbers,
  attrString,
  type CheckContext,
  checkChild,
  expectGroup,
  join,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
} from "./context.js";

async function readParts(ctx: ReadContext, path: string, kind: SparseMatrix["kind"], shape: number[] | undefined): Promise<SparseMatrix> {
  if (shape?.length !== 2) throw new FormatError(ctx.reader.source, path, `${kind} without a 2-element shape attribute`);
  const [data, indices, indptr] = await Promise.all([
    readWhole(ctx, join(path, "data"), `${kind} data`),
    readWhole(ctx, join(path, "indices"), `${kind} indices`),
    readWhole(ctx, join(path, "indptr"), `${kind} indptr`),
  ]);
  const major = kind === "csr_matrix" ? shape[0] : shape[1];
  if (indptr.shape[0] !== major + 1) {
    throw new FormatError(ctx.reader.source, path, `indptr has ${indptr.shape[0]} entries, expected ${major + 1} for shape ${shape}`);
  }
  if (data.shape[0] !== indices.shape[0]) {
    throw new FormatError(ctx.reader.source, path, `data (${data.shape[0]}) and indices (${indices.shape[0]}) differ in length`);
  }
  return { kind, shape: [shape[0], shape[1]], data, indices, indptr };
}

export function sparseReader(kind: SparseMatrix["kind"]) {
  return async (ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> => {
    expectGroup(ctx, path, node, kind);
    return setExtraAttrs(await readParts(ctx, path, kind, attrNumbers(node.attrs, "shape")), node.attrs);
  };
}

/** anndata < 0.7: h5sparse_format "csr"/"csc" and h5sparse_shape. */
export async function readH5Sparse(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const fmt = attrString(node.attrs, "h5sparse_format");
  if (fmt !== "csr" && fmt !== "csc") throw new FormatError(ctx.reader.source, path, `unknown h5sparse_format ${fmt}`);
  const elem = await readParts(ctx, path, fmt === "csr" ? "csr_matrix" : "csc_matrix", attrNumbers(node.attrs, "h5sparse_shape"));
  return setExtraAttrs(elem, node.attrs);
}

export async function checkSparse(ctx: CheckContext, path: string, node: NodeInfo): Promise<void> {
  const type = attrString(node.attrs, "encoding-type") ?? "sparse matrix";
  const shape = attrNumbers(node.attrs, "shape");
  if (shape?.length !== 2) ctx.error(path, `${type} needs a "shape" attribute of two integers`);
  const data = await checkChild(ctx, path, "data", type, "array");
  const indices = await checkChild(ctx, path, "indices", type, "array");
  const indptr = await checkChild(ctx, path, "indptr", type, "array");
  if (shape?.length === 2 && indptr?.kind === "array") {
    const n = (type === "csr_matrix" ? shape[0] : shape[1]) + 1;
    if (indptr.shape[0] !== n) ctx.error(join(path, "indptr"), `length ${indptr.shape[0]}, expected ${n} for shape (${shape.join(", ")})`);
  }
  if (data?.kind === "array" && indices?.kind === "array" && data.shape[0] !== indices.shape[0]) {
    ctx.error(path, `data (${data.shape[0]}) and indices (${indices.shape[0]}) differ in length`);
  }
}

export async function writeSparse(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const m = elem as SparseMatrix;
  await ctx.writer.createGroup(path, { ...attrs, shape: [m.shape[0], m.shape[1]] });
  await writePlainArray(ctx, join(path, "data"), m.data, {});
  await writePlainArray(ctx, join(path, "indices"), m.indices, {});
  await writePlainArray(ctx, join(path, "indptr"), m.indptr, {});
}
