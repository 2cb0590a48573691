// "categorical" 0.2.0: a group with integer `codes` (-1 missing) and
// `categories`, attribute `ordered`. anndata 0.7's layout (codes as a
// dataframe column, categories in `<df>/__categories/<col>`) is read by
// dataframe.ts with `legacyCategorical`.
import { FormatError } from "../errors.js";
import type { Categorical, Elem } from "../model.js";
import type { Attrs, NDArray, NodeInfo } from "../types.js";
import { attrBool, type CheckContext, checkChild, expectGroup, join, type ReadContext, readWhole, setExtraAttrs, type WriteContext } from "./context.js";

function checkCodes(ctx: ReadContext, path: string, codes: NDArray): void {
  if (codes.dtype === "string" || codes.dtype.startsWith("float") || codes.dtype === "bool") {
    throw new FormatError(ctx.reader.source, path, `categorical codes are ${codes.dtype}, expected integers`);
  }
}

export async function readCategorical(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  expectGroup(ctx, path, node, "a categorical");
  const [codes, categories] = await Promise.all([
    readWhole(ctx, join(path, "codes"), "categorical codes"),
    readWhole(ctx, join(path, "categories"), "categorical categories"),
  ]);
  checkCodes(ctx, join(path, "codes"), codes);
  const cat: Categorical = { kind: "categorical", codes, categories, ordered: attrBool(node.attrs, "ordered") };
  return setExtraAttrs(cat, node.attrs);
}

/** anndata 0.7: codes at `path`, categories (with `ordered`) at `categoriesPath`. */
export async function legacyCategorical(ctx: ReadContext, path: string, categoriesPath: string): Promise<Categorical> {
  const codes = await readWhole(ctx, path, "categorical codes");
  checkCodes(ctx, path, codes);
  const catNode = await ctx.reader.get(categoriesPath);
  const categories = await readWhole(ctx, categoriesPath, "categories");
  return { kind: "categorical", codes, categories, ordered: catNode ? attrBool(catNode.attrs, "ordered") : false };
}

export async function checkCategorical(ctx: CheckContext, path: string, node: NodeInfo): Promise<void> {
  const codes = await checkChild(ctx, path, "codes", "categorical", "array");
  await checkChild(ctx, path, "categories", "categorical");
  if (typeof node.attrs.ordered !== "boolean" && typeof node.attrs.ordered !== "number") ctx.error(path, 'categorical without a bool "ordered" attribute');
  if (codes?.kind === "array" && !/^u?int/.test(codes.dtype)) ctx.error(join(path, "codes"), `codes of dtype ${codes.dtype}, expected integers`);
}

export async function writeCategorical(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const c = elem as Categorical;
  await ctx.writer.createGroup(path, { ...attrs, ordered: c.ordered });
  await ctx.write(join(path, "codes"), c.codes);
  await ctx.write(join(path, "categories"), c.categories);
}
