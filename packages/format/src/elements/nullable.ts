// "nullable-integer", "nullable-boolean", "nullable-string-array" 0.1.0:
// a group with `values` and a bool `mask` (1 = missing); string arrays may
// carry anndata's optional `na-value` attribute.

import { FormatError } from "../errors.js";
import type { Elem, Nullable } from "../model.js";
import type { Attrs, NodeInfo } from "../types.js";
import { attrString, type CheckContext, checkChild, expectGroup, join, type ReadContext, readWhole, setExtraAttrs, type WriteContext } from "./context.js";

export function nullableReader(kind: Nullable["kind"]) {
  return async (ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> => {
    expectGroup(ctx, path, node, kind);
    const [values, mask] = await Promise.all([
      readWhole(ctx, join(path, "values"), `${kind} values`),
      readWhole(ctx, join(path, "mask"), `${kind} mask`),
    ]);
    if (values.shape[0] !== mask.shape[0]) {
      throw new FormatError(ctx.reader.source, path, `values (${values.shape[0]}) and mask (${mask.shape[0]}) differ in length`);
    }
    const elem: Nullable = { kind, values, mask };
    const na = attrString(node.attrs, "na-value");
    if (na !== undefined) elem.naValue = na;
    return setExtraAttrs(elem, node.attrs);
  };
}

export async function checkNullable(ctx: CheckContext, path: string, node: NodeInfo): Promise<void> {
  const what = attrString(node.attrs, "encoding-type") ?? "nullable";
  const values = await checkChild(ctx, path, "values", what, "array");
  const mask = await checkChild(ctx, path, "mask", what, "array");
  if (values?.kind === "array" && mask?.kind === "array" && values.shape[0] !== mask.shape[0]) ctx.error(path, `values (${values.shape[0]}) and mask (${mask.shape[0]}) differ in length`);
  if (mask?.kind === "array" && mask.dtype !== "bool") ctx.error(join(path, "mask"), `mask of dtype ${mask.dtype}, expected bool`);
}

export async function writeNullable(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const n = elem as Nullable;
  await ctx.writer.createGroup(path, n.naValue !== undefined ? { ...attrs, "na-value": n.naValue } : attrs);
  await ctx.write(join(path, "values"), n.values);
  await ctx.write(join(path, "mask"), { ...n.mask, dtype: "bool" });
}
