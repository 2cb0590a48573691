// Compound (record) datasets as h5py writes numpy structured arrays: h5dump
// prints our datatype as it prints the one h5py makes for the same dtype,
// and h5py reads the records' values as this test made them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { Hdf5Writer, packedCompound } from "../../src/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "h5compound-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const type = packedCompound([
  { name: "CD4+/CD25 T Reg", type: { class: "fixed-string", size: 5, pad: "nullpad", charset: "ascii" } },
  { name: "score", type: { class: "float", size: 4 } },
  { name: "n", type: { class: "int", size: 8, signed: true } },
  { name: "u", type: { class: "int", size: 2, signed: false } },
  { name: "h", type: { class: "float", size: 2 } },
  { name: "ok", type: { class: "bool" } },
  { name: "gene", type: { class: "vlen-string" } },
]);

/** h5dump's DATATYPE block of a dataset. */
function datatypeOf(file: string, ds: string): string {
  const r = spawnSync("h5dump", ["-H", "-d", ds, file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = /DATATYPE\s+H5T_COMPOUND \{[\s\S]*?\n {3}\}/.exec(r.stdout);
  return m ? m[0] : r.stdout;
}

describe("compound datasets", () => {
  it("h5dump shows h5py's type for the same numpy dtype, and h5py reads the records (contiguous and chunked with gzip)", async () => {
    const ours = path.join(dir, "ours.h5");
    const w = await Hdf5Writer.create(ours);
    const genes = ["CD3E", "", "é-ü", "x".repeat(300)];
    const columns = [
      ["a", "bb", "ccccc", ""],
      Float32Array.from([0.5, -2, 1e10, 3]),
      BigInt64Array.from([-(2n ** 62n), 0n, 1n, 2n ** 62n]),
      Uint16Array.from([0, 1, 65535, 9]),
      Uint16Array.from([0x3c00, 0xc000, 0, 0x3800]), // float16 bits of 1, -2, 0, 0.5
      Uint8Array.from([1, 0, 1, 0]),
      genes,
    ];
    const a = w.createDataset("a", { shape: [4], type });
    await a.write([0], [4], a.packRecords(columns));
    const b = w.createDataset("b", { shape: [4], type, chunks: [3], filters: [{ id: "deflate", level: 4 }] });
    await b.write([0], [4], b.packRecords(columns));
    await w.close();

    const theirs = path.join(dir, "h5py.h5");
    const got = py(
      `
import h5py, json, sys, numpy as np
inp = json.loads(sys.stdin.read())
dt = np.dtype([("CD4+/CD25 T Reg", "S5"), ("score", "<f4"), ("n", "<i8"), ("u", "<u2"), ("h", "<f2"), ("ok", "?"), ("gene", h5py.string_dtype())])
with h5py.File(inp["theirs"], "w") as f:
    f.create_dataset("a", shape=(4,), dtype=dt)
out = {}
with h5py.File(inp["ours"], "r") as f:
    for k in ("a", "b"):
        d = f[k][()]
        out[k] = {"names": list(d.dtype.names), "offsets": [d.dtype.fields[n][1] for n in d.dtype.names],
                  "v": {n: [x.decode() if isinstance(x, bytes) else x for x in d[n].tolist()] for n in d.dtype.names}}
print(json.dumps(out))
`,
      { ours, theirs },
    );
    expect(datatypeOf(ours, "/a")).toBe(datatypeOf(theirs, "/a"));
    const expected = {
      names: ["CD4+/CD25 T Reg", "score", "n", "u", "h", "ok", "gene"],
      offsets: [0, 5, 9, 17, 19, 21, 22],
      v: {
        "CD4+/CD25 T Reg": ["a", "bb", "ccccc", ""],
        score: [0.5, -2, 1e10, 3],
        n: [-(2 ** 62), 0, 1, 2 ** 62],
        u: [0, 1, 65535, 9],
        h: [1, -2, 0, 0.5],
        ok: [true, false, true, false],
        gene: genes,
      },
    };
    expect(got.a).toEqual(expected);
    expect(got.b).toEqual(expected);
  });

  it("names the member for bad columns", async () => {
    const w = await Hdf5Writer.create(path.join(dir, "bad.h5"));
    const d = w.createDataset("a", { shape: [2], type });
    expect(() => d.packRecords([["a", "b"]])).toThrow(/1 columns for 7 members/);
    const cols = [["a", "toolong"], new Float32Array(2), new BigInt64Array(2), new Uint16Array(2), new Uint16Array(2), new Uint8Array(2), ["", ""]];
    expect(() => d.packRecords(cols)).toThrow(/member CD4\+\/CD25 T Reg: string of 7 bytes in a 5-byte string type/);
    await w.abort();
  });
});
