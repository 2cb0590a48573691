// Blosc frames of lz4 streams against numcodecs' Blosc (c-blosc, what
// zarr-python 2 writes and reads), both ways: typesizes with and without
// the SIMD shuffle, several blocks with a short last one, c-blosc's split
// streams, incompressible chunks (stored raw) and empty ones.
import { describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { kernels } from "../src/index.js";
import { noise } from "./data.js";

/** Cell-like bytes: runs of zeros with noisy values in between, so lz4 finds matches and misses. */
function cellBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const inCell = ((i >> 9) & 3) !== 0;
    b[i] = inCell ? (i & 1 ? 0x3c : x >>> 28) : 0;
  }
  return b;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

const CASES = [
  { name: "float16, 3 blocks, short last", data: cellBytes(2 * 100_000, 1), typesize: 2, shuffle: true, blocksize: 65536 },
  { name: "float32", data: cellBytes(4 * 30_001, 2), typesize: 4, shuffle: true, blocksize: 32768 },
  { name: "float64 (generic shuffle)", data: cellBytes(8 * 5000, 3), typesize: 8, shuffle: true, blocksize: 16384 },
  { name: "uint8", data: cellBytes(50_000, 4), typesize: 1, shuffle: true, blocksize: 8192 },
  { name: "no shuffle", data: cellBytes(40_000, 5), typesize: 2, shuffle: false, blocksize: 262144 },
  { name: "incompressible", data: noise(20_000, 6), typesize: 2, shuffle: true, blocksize: 8192 },
  { name: "tail shorter than an element", data: cellBytes(3 * 1001 + 2, 7), typesize: 3, shuffle: true, blocksize: 3005 },
];

describe("blosc lz4 frames", () => {
  it("c-blosc decodes what we encode, and we decode what c-blosc encodes (split and not)", () => {
    const k = kernels();
    const ours = CASES.map((c) => b64(k.bloscEncodeLz4(c.data, c.typesize, c.shuffle, c.blocksize, 5)));
    const res: { decoded: string[]; theirs: string[] } = py(
      `
import json, sys, base64, numpy as np
from numcodecs import Blosc
inp = json.loads(sys.stdin.read())
decoded = [base64.b64encode(bytes(Blosc().decode(base64.b64decode(s)))).decode() for s in inp["ours"]]
theirs = []
for c in inp["cases"]:
    raw = base64.b64decode(c["data"])
    for bs in (0, c["blocksize"]):  # 0: c-blosc picks the block size (and splits streams)
        codec = Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE if c["shuffle"] else Blosc.NOSHUFFLE, blocksize=bs)
        theirs.append(base64.b64encode(codec.encode(np.frombuffer(raw, dtype="<u%d" % c["typesize"]) if c["typesize"] in (1, 2, 4, 8) and len(raw) % c["typesize"] == 0 else raw)).decode())
print(json.dumps({"decoded": decoded, "theirs": theirs}))
`,
      { ours, cases: CASES.map((c) => ({ ...c, data: b64(c.data) })) },
    );
    CASES.forEach((c, i) => {
      expect(unb64(res.decoded[i]), c.name).toEqual(c.data);
      for (const t of [res.theirs[2 * i], res.theirs[2 * i + 1]]) {
        const back = k.bloscDecode(unb64(t));
        expect(back, c.name).not.toBeNull();
        expect(back, c.name).toEqual(c.data);
      }
    });
  });

  it("frames that do not compress are stored raw (memcpyed) and read back", () => {
    const k = kernels();
    const data = noise(1000, 9);
    const frame = k.bloscEncodeLz4(data, 1, false, 1000, 1);
    expect(frame[2] & 0x02).toBe(0x02);
    expect(frame.length).toBe(16 + 1000);
    expect(k.bloscDecode(frame)).toEqual(data);
    const empty = k.bloscEncodeLz4(new Uint8Array(0), 2, true, 1, 5);
    expect(k.bloscDecode(empty)).toEqual(new Uint8Array(0));
  });

  it("writes a frame into a given array where it fits (a view of it, the same bytes), a new one where not", () => {
    const k = kernels();
    const into = new Uint8Array(2 * 100_000 + 4096);
    for (const c of CASES) {
      const fresh = k.bloscEncodeLz4(c.data, c.typesize, c.shuffle, c.blocksize, 5);
      const got = k.bloscEncodeLz4(c.data, c.typesize, c.shuffle, c.blocksize, 5, into);
      expect(got.buffer, c.name).toBe(into.buffer);
      expect(got, c.name).toEqual(fresh);
      expect(k.bloscDecode(got), c.name).toEqual(c.data);
    }
    const small = new Uint8Array(16);
    const frame = k.bloscEncodeLz4(CASES[0].data, 2, true, 65536, 5, small);
    expect(frame.buffer).not.toBe(small.buffer);
    expect(k.bloscDecode(frame)).toEqual(CASES[0].data);
  });

  it("leaves frames of other codecs to the caller (null) and rejects truncated ones", () => {
    const k = kernels();
    const zstd = unb64(py(`
import json, base64, numpy as np
from numcodecs import Blosc
print(json.dumps(base64.b64encode(Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE).encode(np.arange(5000, dtype="<u2"))).decode()))
`));
    expect(k.bloscDecode(zstd)).toBeNull();
    const frame = k.bloscEncodeLz4(cellBytes(50_000, 11), 2, true, 16384, 5);
    for (const cut of [20, 40, frame.length - 1, frame.length >> 1]) {
      const t = frame.slice(0, cut);
      // the header still says the full size: a truncated frame
      expect(() => k.bloscDecode(t), `cut at ${cut}`).toThrow(/blosc: (corrupt or truncated|header says \d+ compressed bytes, chunk has)/);
    }
  });
});
