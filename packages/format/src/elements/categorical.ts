// "categorical" 0.2.0: a group with integer `codes` (-1 missing) and
// `categories`, attribute `ordered`. anndata 0.7's layout (codes as a
// dataframe column, categories in `<df>/__categories/<col>`) is read by
// dataframe.ts with `legacyCategorical`.
import { FormatError } from "../errors.js";
import type { Categorical, Elem } from "../model.js";
import type { NDArray, NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import {
  attrBool,
  encodingAttrs,
  expectGroup,
  join,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
  withExtra,
} from "./context.js";

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

export async function writeCategorical(ctx: WriteContext, path: string, elem: Elem): Promise<void> {
  const c = elem as Categorical;
  await ctx.writer.createGroup(path, withExtra(elem, encodingAttrs("categorical", "0.2.0", { ordered: c.ordered })));
  await writePlainArray(ctx, join(path, "codes"), c.codes, encodingAttrs("array", "0.2.0"));
  await writePlainArray(
    ctx,
    join(path, "categories"),
    c.categories,
    encodingAttrs(c.categories.dtype === "string" ? "string-array" : "array", "0.2.0"),
  );
}
