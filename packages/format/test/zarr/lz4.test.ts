// Our LZ4 block encoder and decoder (@cellfolio/codecs, in numcodecs'
// framing) against numcodecs' LZ4 (the C library): each decodes what the
// other encodes, on data of every kind a chunk holds.

import { lz4EncodeBlock } from "@cellfolio/codecs";
import { describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { lz4DecodeFramed, lz4EncodeFramed } from "../../src/zarr/lz4.js";

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Inputs: empty, tiny, at the format's 12-/13-byte limits, zeros, noise, repeats, runs of one float16 value, cell-like planes. */
function inputs(): [string, Uint8Array][] {
  const r = rng(7);
  const noise = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  const cell = new Uint16Array(128 * 128);
  for (let y = 0; y < 128; y++)
    for (let x = 0; x < 128; x++) {
      const d2 = ((x - 60) ** 2 + (y - 70) ** 2) / 900;
      cell[y * 128 + x] = d2 < 1 ? 0x3000 + Math.floor(r() * 1024 * (1 - d2)) : 0;
    }
  const runs = new Uint16Array(5000).fill(0x3c00);
  runs.fill(0, 1000, 3000);
  const repeat = new Uint8Array(70000);
  for (let i = 0; i < repeat.length; i++) repeat[i] = "cellfolio single cells ".charCodeAt(i % 23);
  return [
    ["empty", new Uint8Array(0)],
    ["1 byte", noise(1)],
    ["12 bytes", new Uint8Array(12).fill(3)],
    ["13 bytes", new Uint8Array(13).fill(3)],
    ["20 zeros", new Uint8Array(20)],
    ["64 KiB + 1 zeros", new Uint8Array(65537)],
    ["noise 40 KiB", noise(40960)],
    ["text repeats 70 KB (offsets past 64 KiB)", repeat],
    ["float16 runs", new Uint8Array(runs.buffer)],
    ["cell plane", new Uint8Array(cell.buffer)],
  ];
}

describe("lz4", () => {
  it("round-trips here and both ways with numcodecs' LZ4", () => {
    const cases = inputs();
    // acceleration 1 (numcodecs' LZ4 default) and 5 (c-blosc's at clevel 5)
    const ours = [...cases.map(([, d]) => Array.from(lz4EncodeFramed(d))), ...cases.map(([, d]) => Array.from(lz4EncodeFramed(d, 5)))];
    const theirs: { decoded: number[][]; encoded: number[][] } = py(
      `
import json, sys, numpy as np
from numcodecs import LZ4
inp = json.loads(sys.stdin.read())
c = LZ4()
def dec(e):
    try:
        return list(np.frombuffer(c.decode(bytes(e)), np.uint8).tolist())
    except RuntimeError:
        return None  # numcodecs 0.11 cannot decode even its own empty block
decoded = [dec(e) for e in inp["ours"]]
encoded = [list(np.frombuffer(c.encode(np.array(d, np.uint8)), np.uint8).tolist()) for d in inp["data"]]
print(json.dumps({"decoded": decoded, "encoded": encoded}))
`,
      { ours, data: cases.map(([, d]) => Array.from(d)) },
    );
    cases.forEach(([name, d], i) => {
      if (d.length === 0) expect(ours[i], "empty: the bytes numcodecs writes").toEqual(theirs.encoded[i]);
      else {
        expect(theirs.decoded[i], `numcodecs decodes ours: ${name}`).toEqual(Array.from(d));
        expect(theirs.decoded[cases.length + i], `numcodecs decodes ours, acceleration 5: ${name}`).toEqual(Array.from(d));
      }
      expect(Array.from(lz4DecodeFramed(Uint8Array.from(ours[i]))), `ours round trip: ${name}`).toEqual(Array.from(d));
      expect(Array.from(lz4DecodeFramed(Uint8Array.from(theirs.encoded[i]))), `ours decodes numcodecs: ${name}`).toEqual(Array.from(d));
    });
    // compresses what compresses, about as well as the C library
    const cellIdx = cases.findIndex(([n]) => n === "cell plane");
    expect(ours[cellIdx].length).toBeLessThan(cases[cellIdx][1].length / 3);
    expect(ours[cellIdx].length).toBeLessThan(theirs.encoded[cellIdx].length * 1.2);
  });

  it("says 0 when the block does not fit in the room given", () => {
    const r = rng(3);
    const noise = Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256));
    expect(lz4EncodeBlock(noise, new Uint8Array(4096))).toBe(0);
    expect(lz4EncodeBlock(new Uint8Array(4096), new Uint8Array(4096))).toBeGreaterThan(0);
  });
});
