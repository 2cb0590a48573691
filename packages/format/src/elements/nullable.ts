// "nullable-integer", "nullable-boolean", "nullable-string-array" 0.1.0:
// a group with `values` and a bool `mask` (1 = missing); string arrays may
// carry anndata's optional `na-value` attribute.

import { FormatError } from "../errors.js";
import type { Elem, Nullable } from "../model.js";
import type { NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import {
  attrString,
  encodingAttrs,
  expectGroup,
  join,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
  withExtra,
} from "./context.js";

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

export async function writeNullable(ctx: WriteContext, path: string, elem: Elem): Promise<void> {
  const n = elem as Nullable;
  const attrs = encodingAttrs(n.kind, "0.1.0", n.naValue !== undefined ? { "na-value": n.naValue } : {});
  await ctx.writer.createGroup(path, withExtra(elem, attrs));
  await writePlainArray(ctx, join(path, "values"), n.values, encodingAttrs(n.values.dtype === "string" ? "string-array" : "array", "0.2.0"));
  await writePlainArray(ctx, join(path, "mask"), { ...n.mask, dtype: "bool" }, encodingAttrs("array", "0.2.0"));
}
