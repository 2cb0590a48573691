// TIFF LZW decoding (assembly/lzw.ts) against imagecodecs' encoder (the
// "latest" Python peer, libtiff's LZW): runs, noise, text, patterns long
// enough to fill and clear the code table many times, tiny inputs; a stream
// cut short reads as zeros past its end, a short output stops early; damaged
// streams end in an Error naming LZW or in wrong bytes, never a write outside
// the output.
import { describe, expect, it } from "vitest";
import { pyPeer, skipPeer } from "../../../test-utils/oracle.js";
import { kernels } from "../src/index.js";

describe.skipIf(skipPeer("latest"))("lzwDecode", () => {
  const cases: { plain: Uint8Array; encoded: Uint8Array }[] = [];
  const k = kernels();

  it("decodes imagecodecs' LZW of runs, noise, text, patterns and tiny inputs to the original bytes", () => {
    const r = pyPeer(
      "latest",
      `
import json, base64, numpy as np, imagecodecs
rng = np.random.default_rng(3)
y, x = np.mgrid[0:256, 0:256]
cases = [np.zeros(10000, np.uint8), rng.integers(0, 256, 300000).astype(np.uint8),
         np.frombuffer(b"the quick brown fox jumps over the lazy dog " * 9000, np.uint8),
         (np.arange(500000) // 7 % 13).astype(np.uint8), np.array([65, 65, 65, 65, 65], np.uint8), np.array([7], np.uint8),
         ((np.sin(y / 9) * np.cos(x / 7) + 1) * 20000 + rng.normal(0, 30, y.shape)).astype(np.uint16).view(np.uint8).ravel(),
         np.repeat(rng.integers(1, 60000, 400).astype(np.uint32), 700).view(np.uint8)]
print(json.dumps([[base64.b64encode(c.tobytes()).decode(), base64.b64encode(imagecodecs.lzw_encode(c.tobytes())).decode()] for c in cases]))`,
    ) as [string, string][];
    for (const [p, e] of r) cases.push({ plain: new Uint8Array(Buffer.from(p, "base64")), encoded: new Uint8Array(Buffer.from(e, "base64")) });
    cases.forEach(({ plain, encoded }, i) => {
      const out = new Uint8Array(plain.length);
      expect(k.lzwDecode(encoded, out), `case ${i}`).toBe(plain.length);
      expect(Buffer.from(out).equals(Buffer.from(plain)), `case ${i}`).toBe(true);
    });
  });

  it("a stream cut short: what it holds, then zeros; an output shorter than the stream: its first bytes", () => {
    const { plain, encoded } = cases[6];
    const out = new Uint8Array(plain.length).fill(9);
    const n = k.lzwDecode(encoded.subarray(0, encoded.length >> 1), out);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(plain.length);
    expect(Buffer.from(out.subarray(0, n)).equals(Buffer.from(plain.subarray(0, n)))).toBe(true);
    expect(out.subarray(n).every((v) => v === 0)).toBe(true);
    const head = new Uint8Array(1000);
    expect(k.lzwDecode(encoded, head)).toBe(1000);
    expect(Buffer.from(head).equals(Buffer.from(plain.subarray(0, 1000)))).toBe(true);
  });

  it("damaged streams: an Error naming LZW or wrong bytes, nothing written outside the output, and the decoder goes on", () => {
    const { plain, encoded } = cases[6];
    let x = 5;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    const outer = new Uint8Array(plain.length + 200).fill(0xaa);
    const out = outer.subarray(100, 100 + plain.length);
    let errors = 0;
    for (let t = 0; t < 2000; t++) {
      const s = encoded.slice(0, t % 3 === 0 ? rnd(encoded.length) + 1 : encoded.length);
      for (let m = 0; m < 1 + rnd(4); m++) s[rnd(s.length)] = rnd(256);
      try {
        k.lzwDecode(s, out);
      } catch (e) {
        errors++;
        expect((e as Error).message).toMatch(/^LZW: /);
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(outer.subarray(0, 100).every((v) => v === 0xaa)).toBe(true);
    expect(outer.subarray(100 + plain.length).every((v) => v === 0xaa)).toBe(true);
    expect(k.lzwDecode(encoded, out)).toBe(plain.length);
    expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
  });
});
