import { describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { float16Table, float16ToFloat32, float32ToFloat16 } from "../src/float16.js";

describe("float16", () => {
  // numpy's astype(float16) is the reference for rounding, subnormals, overflow and specials.
  const ref = py(`
import json, numpy as np, warnings
warnings.simplefilter("ignore")
rng = np.random.default_rng(1)
v = np.concatenate([rng.normal(0, 1, 4000) * 10.0 ** rng.integers(-9, 6, 4000),
    [0, 65504, 65519, 65520, 1e-8, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1.5, 2.5, 1 + 2**-11, 1 + 3 * 2**-11]]).astype(np.float32)
bits = np.arange(65536, dtype=np.uint16)
dec = bits.view(np.float16).astype(np.float32)
print(json.dumps({"v": [float(x) for x in v], "h": v.astype(np.float16).view(np.uint16).tolist(),
                  "dec": [None if np.isnan(x) else (str(x) if np.isinf(x) else float(x)) for x in dec]}))
`);

  it("encodes as numpy rounds (nearest even, subnormals, overflow to inf)", () => {
    const got = float32ToFloat16(Float32Array.from(ref.v));
    const mismatches = ref.h.filter((h: number, i: number) => got[i] !== h).length;
    expect(mismatches).toBe(0);
  });

  it("decodes every one of the 65536 bit patterns as numpy does", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const dec = float16ToFloat32(all);
    for (let i = 0; i < 65536; i++) {
      const want = ref.dec[i] === "inf" ? Infinity : ref.dec[i] === "-inf" ? -Infinity : ref.dec[i];
      if (want === null) expect(Number.isNaN(dec[i])).toBe(true);
      else if (dec[i] !== want) throw new Error(`bits ${i}: got ${dec[i]}, numpy ${ref.dec[i]}`);
    }
  });

  it("hands out its one decode table (what lazy's copy loops look up)", () => {
    const t = float16Table();
    expect(float16Table()).toBe(t);
    expect(t.length).toBe(65536);
    expect([t[0x3c00], t[0xc000], t[0x0001], t[0x7c00]]).toEqual([1, -2, 2 ** -24, Infinity]);
    expect(Number.isNaN(t[0x7e00])).toBe(true);
  });

  it("encodes infinities and NaN", () => {
    const got = float32ToFloat16([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0]);
    expect(Array.from(got.slice(0, 2))).toEqual([0x7c00, 0xfc00]);
    expect(got[2] & 0x7c00).toBe(0x7c00);
    expect(got[2] & 0x3ff).not.toBe(0);
    expect(got[3]).toBe(0x8000);
  });
});
