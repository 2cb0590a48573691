// zarr-python's own stores (test-data/zarr-python, from zarrita.js) read here equal to what zarr-python reads.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, TEST_DATA } from "../../../../test-utils/oracle.js";
import { float16BitsToNumber as halfToFloat } from "../../src/float16.js";
import type { NDArray } from "../../src/types.js";
import { openZarr } from "../../src/zarr/index.js";

const V3 = path.join(TEST_DATA, "zarr-python/v3.zarr");
const V2 = path.join(TEST_DATA, "zarr-python/v2.zarr");

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

describe("zarr-python v3 fixture", () => {
  const expected: Record<string, { shape: number[]; dtype: string; values: unknown }> = JSON.parse(
    readFileSync(path.join(TEST_DATA, "zarr-python/v3.expected.json"), "utf8"),
  );
  it("opens with format 3 and lists its children", async () => {
    const r = await openZarr(V3);
    expect(r.zarrFormat).toBe(3);
    const names = await r.list("");
    for (const k of Object.keys(expected)) if (!k.includes("/")) expect(names).toContain(k);
    await r.close();
  });
  for (const [name, exp] of Object.entries(expected)) {
    it(`reads ${name} equal to zarr-python 3`, async () => {
      const r = await openZarr(V3);
      const a = await r.readArray(name);
      expect(a.shape).toEqual(exp.shape);
      // Strings flattened in the expected file for 2-d string arrays.
      const got = a.dtype === "string" ? (a.data as string[]) : toPlain(a);
      const want = a.dtype === "string" ? (exp.values as unknown[]).flat(10) : exp.values;
      expect(got).toEqual(want);
      await r.close();
    });
  }
});

describe("zarr-python v2 fixture", () => {
  // bitround/fixedscaleoffset decode is numpy arithmetic we mirror; every codec here has a JS decoder.
  const script = `
import json, sys, os, zarr, numpy as np
root = sys.argv[1] if len(sys.argv) > 1 else json.loads(sys.stdin.read())
out = {}
for name in sorted(os.listdir(root)):
    if not os.path.exists(os.path.join(root, name, ".zarray")): continue
    try:
        v = zarr.open_array(os.path.join(root, name), mode="r")[...]
    except Exception as e:
        out[name] = {"error": repr(e)}
        continue
    if v.dtype.kind in "USO": v = v.astype(str)
    out[name] = {"shape": list(v.shape), "values": v.tolist()}
print(json.dumps(out))
`;
  const oracle2 = py(script, V2) as Record<string, any>;
  // numcodecs 0.11 (Debian 12) cannot build zstd with a "checksum" key; zarr-python 3 (PyPI peer 'latest') judges those arrays.
  const oracle3 = hasZarr3() ? (pyZarr3(script, V2) as Record<string, any>) : {};
  const oracle: Record<string, { shape: number[]; values: unknown }> = {};
  for (const [k, v] of Object.entries(oracle2)) if (!v.error) oracle[k] = v;
  for (const [k, v] of Object.entries(oracle3)) if (!oracle[k] && !v.error) oracle[k] = v;

  it("lists the same arrays as zarr-python 2", async () => {
    const r = await openZarr(V2);
    expect(r.zarrFormat).toBe(2);
    const names = [];
    for (const n of await r.list("")) if ((await r.get(n))?.kind === "array") names.push(n);
    expect(names.sort()).toEqual(Object.keys(oracle2).sort());
    await r.close();
  });
  for (const name of Object.keys(oracle)) {
    it(`reads ${name} equal to zarr-python 2`, async () => {
      const r = await openZarr(V2);
      const a = await r.readArray(name);
      const exp = oracle[name];
      expect(a.shape).toEqual(exp.shape);
      const got = toPlain(a);
      if (a.dtype.startsWith("float")) {
        const flatGot = (got as any).flat(10) as number[];
        const flatExp = (exp.values as any).flat(10) as number[];
        for (let i = 0; i < flatGot.length; i++) expect(flatGot[i]).toBeCloseTo(flatExp[i], 4);
      } else expect(got).toEqual(exp.values);
      await r.close();
    });
  }
});
