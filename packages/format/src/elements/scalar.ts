// 0-d elements: "numeric-scalar" 0.2.0 (numbers, bools), "string" 0.2.0, and
// "bytes" (read only, as a string).
import { typedArrayFor } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { Elem, Scalar } from "../model.js";
import type { Attrs, NDArray, NodeInfo } from "../types.js";
import { type CheckContext, expectArray, type ReadContext, setExtraAttrs, type WriteContext } from "./context.js";

export function scalarOf(arr: NDArray): Scalar {
  const v = arr.data[0];
  if (arr.dtype === "string") return { kind: "string", dtype: "string", value: String(v ?? "") };
  if (arr.dtype === "bool") return { kind: "numeric-scalar", dtype: "bool", value: Number(v) !== 0 };
  return { kind: "numeric-scalar", dtype: arr.dtype, value: v as number | bigint };
}

export async function readScalar(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const info = expectArray(ctx, path, node, "a scalar");
  const arr = await ctx.reader.readArray(path);
  if (arr.data.length !== 1) throw new FormatError(ctx.reader.source, path, `a scalar holds ${arr.data.length} values`);
  return setExtraAttrs(scalarOf(arr), info.attrs);
}

export async function checkScalar(ctx: CheckContext, path: string, node: NodeInfo): Promise<void> {
  if (node.kind === "array" && node.shape.length !== 0) ctx.error(path, `${node.attrs["encoding-type"]} must be 0-dimensional, shape (${node.shape.join(", ")})`);
}

export async function writeScalar(ctx: WriteContext, path: string, elem: Elem, attrs: Attrs): Promise<void> {
  const s = elem as Scalar;
  let arr: NDArray;
  if (s.kind === "string" || s.dtype === "string") {
    arr = { dtype: "string", shape: [], data: [String(s.value)] };
  } else {
    const dtype = s.dtype;
    const data = new (typedArrayFor(dtype))(1);
    if (dtype === "int64" || dtype === "uint64") (data as BigInt64Array)[0] = BigInt(s.value as number | bigint);
    else (data as Float64Array)[0] = typeof s.value === "boolean" ? Number(s.value) : Number(s.value);
    arr = { dtype, shape: [], data };
  }
  await ctx.writer.writeArray(path, arr, { attrs });
}
