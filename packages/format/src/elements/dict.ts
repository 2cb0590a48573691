// "dict" 0.1.0 (and groups without encoding attributes): one element per child.
// A child that cannot be read is recorded as a problem and left out.
import { FormatError } from "../errors.js";
import type { Dict, Elem } from "../model.js";
import type { NodeInfo } from "../types.js";
import { attempt, encodingAttrs, expectGroup, join, type ReadContext, setExtraAttrs, type WriteContext, withExtra } from "./context.js";

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

export async function writeDict(ctx: WriteContext, path: string, elem: Elem): Promise<void> {
  const d = elem as Dict;
  await ctx.writer.createGroup(path, withExtra(elem, encodingAttrs("dict", "0.1.0")));
  for (const [key, value] of Object.entries(d.items)) {
    checkKey(ctx.writer.target, path, key);
    await ctx.write(join(path, key), value);
  }
}
