// Shared test data for the Zarr tests: arrays of every dtype, a scratch directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { typedArrayFor } from "../../src/dtype.js";
import { toFloat16Bits as floatToHalf, float16BitsToNumber as halfToFloat } from "../../src/float16.js";
import type { DType, NDArray } from "../../src/types.js";

export function scratch(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `zarr-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Values as plain JSON-comparable numbers/booleans/strings, nested by shape. */
export function toPlain(a: NDArray): unknown {
  const flat = Array.from(a.data as ArrayLike<unknown>, (x) =>
    a.dtype === "float16" ? halfToFloat(x as number) : a.dtype === "bool" ? !!x : typeof x === "bigint" ? Number(x) : x,
  );
  const nest = (off: number, axis: number): unknown => {
    if (axis === a.shape.length) return flat[off];
    let step = 1;
    for (const s of a.shape.slice(axis + 1)) step *= s;
    return Array.from({ length: a.shape[axis] }, (_, i) => nest(off + i * step, axis + 1));
  };
  return nest(0, 0);
}

const STRINGS = ["", "a", "ü", "日本語", "emoji 🧬", "tab\tand\nnewline", "long ".repeat(20), "x"];

/** A deterministic array of `dtype` and `shape` with extremes and signs mixed in. */
export function makeArray(dtype: DType, shape: number[], seed = 1): NDArray {
  let n = 1;
  for (const s of shape) n *= s;
  let state = seed * 2654435761;
  const rnd = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  if (dtype === "string") return { dtype, shape, data: Array.from({ length: n }, (_, i) => STRINGS[(i + seed) % STRINGS.length] + (i % 3 === 0 ? "" : String(i))) };
  const data: any = new (typedArrayFor(dtype))(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    switch (dtype) {
      case "bool":
        data[i] = r < 0.5 ? 1 : 0;
        break;
      case "float16":
        data[i] = floatToHalf((r - 0.5) * 2000);
        break;
      case "float32":
      case "float64":
        data[i] = (r - 0.5) * 1e6;
        break;
      case "int64":
        data[i] = BigInt(Math.floor((r - 0.5) * 2 ** 52));
        break;
      case "uint64":
        data[i] = BigInt(Math.floor(r * 2 ** 52));
        break;
      default: {
        const bits = Number(dtype.replace(/\D/g, ""));
        const signed = dtype.startsWith("int");
        data[i] = signed ? Math.floor((r - 0.5) * 2 ** bits) : Math.floor(r * 2 ** bits);
      }
    }
  }
  return { dtype, shape, data };
}

export const ALL_DTYPES: DType[] = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64", "string"];

/** Python snippet: read every array named in the input and print {name: {shape, dtype, values}}. */
export const PY_READ = `
import json, sys, zarr, numpy as np
inp = json.loads(sys.stdin.read())
g = zarr.open_consolidated(inp["path"], mode="r") if inp.get("consolidated") else zarr.open_group(inp["path"], mode="r")
def clean(x):
    # NaN is not JSON: name it, so the test sees that Python read a float NaN.
    if isinstance(x, float) and x != x: return "NaN"
    if isinstance(x, dict): return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list): return [clean(v) for v in x]
    return x
out = {}
for name in inp["names"]:
    a = g[name]
    v = np.asarray(a[...])  # zarr-python 3.4 gives a 0-d string array as str
    if v.dtype.kind in "USOT": v = v.astype(object)
    vals = v.tolist()
    if isinstance(vals, np.ndarray): vals = vals.tolist()  # zarr-python 3 nests 0-d v2 strings (its own files too)
    out[name] = {"shape": list(v.shape), "dtype": str(a.dtype), "values": vals, "attrs": clean(dict(a.attrs))}
print(json.dumps(out))
`;
