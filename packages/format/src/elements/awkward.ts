// "awkward-array" 0.1.0: a group of flat buffers plus the `form` (JSON text)
// and `length` attributes; kept as buffers, since the form describes them.
import type { AwkwardArray, Elem } from "../model.js";
import type { Attrs, NodeInfo } from "../types.js";
import { writePlainArray } from "./array.js";
import {
  attrNumbers,
  attrString,
  expectGroup,
  join,
  type ReadContext,
  readWhole,
  setExtraAttrs,
  type WriteContext,
} from "./context.js";

export async function readAwkward(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  expectGroup(ctx, path, node, "an awkward array");
  const buffers: AwkwardArray["buffers"] = {};
  for (const name of await ctx.reader.list(path)) buffers[name] = await readWhole(ctx, join(path, name), "an awkward buffer");
  const elem: AwkwardArray = {
    kind: "awkward-array",
    form: attrString(node.attrs, "form") ?? "",
    length: attrNumbers(node.attrs, "length")?.[0] ?? 0,
    buffers,
  };
  return setExtraAttrs(elem, node.attrs);
}

export async function writeAwkward(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const a = elem as AwkwardArray;
  await ctx.writer.createGroup(path, { ...attrs, form: a.form, length: a.length });
  for (const [name, buf] of Object.entries(a.buffers)) await writePlainArray(ctx, join(path, name), buf, {});
}
