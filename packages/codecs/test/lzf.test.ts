// LZF against h5py's lzf filter (liblzf): chunks we compress are stored with
// write_direct_chunk and read back by h5py; chunks h5py compresses are read
// with read_direct_chunk and decoded here. Cell-like, incompressible, tiny
// and long-run data; then corrupt streams give the errors the HDF5 reader
// names chunks with.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { lzfCompress, lzfDecode } from "../src/index.js";

function data(kind: string, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = n;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (kind === "noise") b[i] = x >>> 24;
    else if (kind === "zeros") b[i] = 0;
    else if (kind === "pattern") b[i] = (i * 7) % 13;
    else b[i] = ((i >> 8) & 1) === 0 ? 0 : i & 1 ? 0x3c : x >>> 28; // cell: runs of zeros, noisy float16 low bytes
  }
  return b;
}

const CASES = [
  ["cell", 40_960],
  ["cell", 163_840],
  ["noise", 4096],
  ["zeros", 70_000],
  ["pattern", 9_999],
  ["cell", 5],
] as const;

describe("lzf", () => {
  it("h5py reads the chunks we compress, and we decode the chunks h5py compresses", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cellfolio-lzf-")), "lzf.h5");
    const inputs = CASES.map(([kind, n]) => data(kind, n));
    const ours = inputs.map((src) => {
      const dst = new Uint8Array(src.length + 64);
      const n = lzfCompress(src, dst);
      return n === 0 ? null : Buffer.from(dst.subarray(0, n)).toString("base64");
    });
    const res: { readBack: string[]; theirs: (string | null)[] } = py(
      `
import json, sys, base64, h5py, numpy as np
inp = json.loads(sys.stdin.read())
read_back, theirs = [], []
with h5py.File(inp["file"], "w") as f:
    for i, (raw, comp) in enumerate(zip(inp["inputs"], inp["ours"])):
        a = np.frombuffer(base64.b64decode(raw), np.uint8)
        d = f.create_dataset(f"ours{i}", shape=a.shape, dtype="u1", chunks=a.shape, compression="lzf")
        if comp is None:
            d.id.write_direct_chunk((0,), a.tobytes(), filter_mask=1)
        else:
            d.id.write_direct_chunk((0,), base64.b64decode(comp))
        t = f.create_dataset(f"theirs{i}", data=a, chunks=a.shape, compression="lzf")
with h5py.File(inp["file"], "r") as f:
    for i in range(len(inp["inputs"])):
        read_back.append(base64.b64encode(f[f"ours{i}"][...].tobytes()).decode())
        mask, chunk = f[f"theirs{i}"].id.read_direct_chunk((0,))
        theirs.append(None if mask else base64.b64encode(chunk).decode())
print(json.dumps({"readBack": read_back, "theirs": theirs}))
`,
      { file, inputs: inputs.map((b) => Buffer.from(b).toString("base64")), ours },
    );
    inputs.forEach((src, i) => {
      expect(new Uint8Array(Buffer.from(res.readBack[i], "base64")), `case ${i}`).toEqual(src);
      const t = res.theirs[i];
      if (t === null) return; // h5py stored it raw
      const dst = new Uint8Array(src.length);
      expect(lzfDecode(new Uint8Array(Buffer.from(t, "base64")), dst)).toBe(src.length);
      expect(dst, `case ${i}`).toEqual(src);
    });
    // our compressor refuses what does not fit, as liblzf does (h5py then stores raw)
    expect(lzfCompress(data("noise", 4096), new Uint8Array(4000))).toBe(0);
  });

  it("names what is wrong with a corrupt stream", () => {
    const src = data("cell", 40_960);
    const buf = new Uint8Array(src.length + 64);
    const comp = buf.slice(0, lzfCompress(src, buf));
    expect(() => lzfDecode(comp, new Uint8Array(src.length - 1))).toThrow(/lzf: output overflow/);
    expect(() => lzfDecode(Uint8Array.of(5, 1, 2), new Uint8Array(100))).toThrow(/lzf: input truncated in a literal run/);
    expect(() => lzfDecode(Uint8Array.of(0x20), new Uint8Array(100))).toThrow(/lzf: input truncated in a back reference/);
    expect(() => lzfDecode(Uint8Array.of(0x20, 0x05), new Uint8Array(100))).toThrow(/back reference before the start/);
  });
});
