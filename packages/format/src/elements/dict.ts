// "dict" 0.1.0 (and groups without encoding attributes): one element per child.
// A child that cannot be read is recorded as a problem and left out.
import { FormatError } from "../errors.js";
import type { Dict, Elem } from "../model.js";
import type { Attrs, NodeInfo } from "../types.js";
import { attempt, type CheckContext, checkChildren, expectGroup, join, type ReadContext, setExtraAttrs, type WriteContext } from "./context.js";

export async function readDict(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  expectGroup(ctx, path, node, "a dict");
  const items: Record<string, Elem> = {};
  for (const name of await ctx.reader.list(path)) {
    const child = join(path, name);
    const elem = await attempt(ctx, child, () => ctx.read(child));
    if (elem !== undefined) items[name] = elem;
  }
  return setExtraAttrs({ kind: "dict", items } satisfies Dict, node.attrs);
}

export function checkKey(target: string, path: string, key: string): void {
  if (key.includes("/")) throw new FormatError(target, path, `key ${JSON.stringify(key)} contains "/", which anndata refuses`);
  if (key === "") throw new FormatError(target, path, "empty key");
}

/** Each child through the registry; in a dict (and in uns) h5py's untagged values are plain values. */
export function dictChecker(inDict: boolean) {
  return (ctx: CheckContext, path: string, _node: NodeInfo, inUns: boolean) => checkChildren(ctx, path, inDict || inUns || path === "uns");
}

export async function writeDict(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const d = elem as Dict;
  await ctx.writer.createGroup(path, attrs);
  for (const [key, value] of Object.entries(d.items)) {
    checkKey(ctx.writer.target, path, key);
    await ctx.write(join(path, key), value);
  }
}
