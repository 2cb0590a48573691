// The byte shuffle against numcodecs' Shuffle (the codec zarr-python uses, the
// same transform as HDF5's filter 2), for element sizes with and without the
// SIMD paths, lengths with tails, and buffers at unaligned offsets.
import { describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { shuffleBytes, unshuffle } from "../src/index.js";
import { noise } from "./data.js";

const SIZES = [1, 2, 3, 4, 8];
const LENGTHS = [0, 1, 5, 16, 64, 4099, 40960];

describe("byte shuffle", () => {
  it("equals numcodecs' Shuffle for every size and length, and unshuffles back", () => {
    const cases = SIZES.flatMap((size) => LENGTHS.map((len) => ({ size, data: Array.from(noise(len, size * 1000 + len)) })));
    const theirs: number[][] = py(
      `
import json, sys, numpy as np
from numcodecs import Shuffle
out = []
for c in json.loads(sys.stdin.read()):
    a = np.array(c["data"], np.uint8)
    whole = len(a) // c["size"] * c["size"]
    # numcodecs takes whole elements only; HDF5 stores a shorter tail as it is
    out.append(list(np.frombuffer(Shuffle(c["size"]).encode(a[:whole]), np.uint8).tolist()) + a[whole:].tolist())
print(json.dumps(out))
`,
      cases,
    );
    cases.forEach((c, i) => {
      const src = Uint8Array.from(c.data);
      const ours = shuffleBytes(src, c.size);
      expect(Array.from(ours), `size ${c.size} length ${c.data.length}`).toEqual(theirs[i]);
      const back = new Uint8Array(src.length);
      unshuffle(ours, back, c.size);
      expect(Array.from(back)).toEqual(c.data);
    });
  });

  it("gives the same bytes from and into views at unaligned offsets (copied in and out of the wasm memory)", () => {
    for (const size of [2, 4]) {
      const data = noise(4096, size);
      const expected = shuffleBytes(data, size);
      for (const offset of [1, 2, 3]) {
        const src = new Uint8Array(4096 + 8).subarray(offset, offset + 4096);
        src.set(data);
        const dst = new Uint8Array(4096 + 8).subarray(offset, offset + 4096);
        shuffleBytes(src, size, dst);
        expect(dst).toEqual(expected);
        const back = new Uint8Array(4096 + 8).subarray(3 - offset + 1, 3 - offset + 1 + 4096);
        unshuffle(dst, back, size);
        expect(back).toEqual(data);
      }
    }
  });
});
