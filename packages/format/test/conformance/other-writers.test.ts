// Files in forms other writers produce (test-data/conformance/, see its
// scripts and test-data/README.md): HDF5 1.6's version 1 / 2 layout, fill
// value and shared messages, a user block (h5jam), a committed datatype with
// attributes, zipped Zarr stores held under one top-level folder, and an
// anndata 0.11 Zarr store whose indexes are nullable-string-arrays. Each is
// read equal to h5py / zarr-python / anndata (the "latest" peer) reading it;
// the forms we refuse are refused with their true names, as h5py refuses them.
import path from "node:path";
import { Hdf5File, type NamedDatatype, type Values } from "@cellfolio/hdf5";
import { describe, expect, it } from "vitest";
import { pyPeer, skipPeer, TEST_DATA } from "../../../../test-utils/oracle.js";
import { readAnnData } from "../../src/anndata.js";
import { openStore } from "../../src/store.js";
import { dumpAnnData, PY_DUMP } from "../anndata/helpers.js";

const DIR = path.join(TEST_DATA, "conformance");
const file = (name: string) => path.join(DIR, name);

/** Values as JSON: numbers (bigints as numbers), strings, per-field objects. */
function plain(v: Values | unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => plain(x));
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Every object of an HDF5 file as h5py reads it: datasets' shape and values, committed datatypes' fields, attributes. */
const H5PY_DUMP = `
import sys, json, h5py, numpy as np
def vals(a):
    a = np.asarray(a)
    if a.dtype.names:
        return {n: vals(a[n]) for n in a.dtype.names}
    out = a.ravel().tolist()
    return [x.decode() if isinstance(x, bytes) else x for x in out]
def attrs(o):
    return {k: vals(o.attrs[k]) for k in o.attrs}
out = {}
def visit(name, o):
    if isinstance(o, h5py.Dataset):
        out[name] = {"kind": "dataset", "shape": list(o.shape), "values": vals(o[()]), "attrs": attrs(o)}
    elif isinstance(o, h5py.Datatype):
        out[name] = {"kind": "datatype", "fields": list(o.dtype.names or []), "size": o.dtype.itemsize, "attrs": attrs(o)}
    else:
        out[name] = {"kind": "group", "attrs": attrs(o)}
with h5py.File(json.loads(sys.stdin.read())) as f:
    f.visititems(visit)
print(json.dumps(out))
`;

async function ourDump(name: string): Promise<Record<string, unknown>> {
  const f = await Hdf5File.open(file(name));
  const out: Record<string, unknown> = {};
  const attrs = async (n: { attributes(): Promise<{ name: string; value: Values }[]> }) =>
    Object.fromEntries((await n.attributes()).map((a) => [a.name, plain(a.value)]));
  const walk = async (prefix: string) => {
    const g = await f.group(prefix);
    for (const key of await g.keys()) {
      const p = prefix ? `${prefix}/${key}` : key;
      const n = (await f.get(p))!;
      if (n.kind === "group") {
        out[p] = { kind: "group", attrs: await attrs(n) };
        await walk(p);
      } else if (n.kind === "dataset") {
        out[p] = { kind: "dataset", shape: n.shape, values: plain(await n.read()), attrs: await attrs(n) };
      } else {
        const t = (n as NamedDatatype).datatype;
        const fields = t.class === "compound" ? t.members.map((m) => m.name) : [];
        out[p] = { kind: "datatype", fields, size: t.size, attrs: await attrs(n) };
      }
    }
  };
  try {
    await walk("");
  } finally {
    await f.close();
  }
  return out;
}

describe.skipIf(skipPeer("latest"))("other writers' HDF5 files read equal to h5py", () => {
  const cases: [string, string][] = [
    ["layout-v1-v2.h5", "version 1 and 2 layout messages (chunked with and without gzip, contiguous, compact)"],
    ["fill-value-v1.h5", "version 1 fill value messages, with size -1 (no fill value) and with a value"],
    ["committed-datatype.h5", "a committed datatype with attributes, used through version 1 and 2 shared messages"],
    ["userblock.h5", "a 512-byte user block written by h5jam"],
    ["shared-dataspace.h5", "a dataspace kept in the shared object header message table"],
  ];
  for (const [name, what] of cases) {
    it(`${name}: ${what}`, async () => {
      const theirs = pyPeer("latest", H5PY_DUMP, file(name));
      if (name === "shared-dataspace.h5") {
        // h5py reads it; we refuse it, naming what it is.
        await expect(ourDump(name)).rejects.toThrow(/shared dataspace \(kept in the file's shared object header message table\) is not supported/);
        expect(theirs.b.values).toEqual([0, 2, 4, 6, 8, 10]);
        const f = await Hdf5File.open(file(name));
        expect(Array.from((await (await f.dataset("a")).read()) as BigInt64Array, Number)).toEqual(theirs.a.values);
        await expect(f.get("b")).rejects.toThrow(/shared-dataspace\.h5: \/b: .*shared dataspace \(kept in the file's shared object header message table\) is not supported/);
        await f.close();
        return;
      }
      expect(await ourDump(name)).toEqual(theirs);
    });
  }

  it("fill-value-v1.h5: size -1 is no fill value (zeros where no chunk was written), as h5py reads it", async () => {
    const f = await Hdf5File.open(file("fill-value-v1.h5"));
    const d = await f.dataset("undefined");
    expect(d.fillValue).toBeUndefined();
    expect(Array.from((await d.read()) as Int32Array).filter((x) => x === 0)).toHaveLength(20);
    await f.close();
  });

  it("committed-datatype.h5: the committed datatype is a datatype, not an empty group", async () => {
    const f = await Hdf5File.open(file("committed-datatype.h5"));
    const n = await f.get("pair");
    expect(n?.kind).toBe("datatype");
    await expect(f.group("pair")).rejects.toThrow(/pair: is a committed datatype, expected a group/);
    await f.close();
  });

  it("user-defined-link.h5: listed, and following it names the link type (h5py: 'unable to find link class')", async () => {
    const theirs = pyPeer(
      "latest",
      "import sys, json, h5py\nf = h5py.File(json.loads(sys.stdin.read()))\ntry:\n  f['g/udlink']; r = 'read'\nexcept Exception as e: r = str(e)\nprint(json.dumps({'keys': list(f['g']), 'error': r}))",
      file("user-defined-link.h5"),
    );
    expect(theirs.error).toMatch(/unable to find link class/);
    const f = await Hdf5File.open(file("user-defined-link.h5"));
    expect(await (await f.group("g")).keys()).toEqual(theirs.keys);
    await expect(f.get("g/udlink")).rejects.toThrow(/user-defined-link\.h5: \/g\/udlink: user-defined link type 65 is not supported/);
    await f.close();
  });
});

describe.skipIf(skipPeer("latest"))("Zarr stores zipped under one top-level folder read equal to zarr-python", () => {
  for (const fmt of [2, 3]) {
    it(`top-folder-v${fmt}.zarr.zip`, async () => {
      const zip = file(`top-folder-v${fmt}.zarr.zip`);
      const theirs = pyPeer(
        "latest",
        `import sys, json, zarr
p = json.loads(sys.stdin.read())
store = zarr.storage.ZipStore(p, mode="r")
g = zarr.open_group(store, path="cells-v${fmt}.zarr", mode="r")
out = {"attrs": dict(g.attrs), "images": g["images"][...].ravel().tolist(), "score": g["obs/score"][...].tolist()}
print(json.dumps(out))`,
        zip,
      );
      const r = await openStore(zip);
      try {
        expect((await r.get(""))?.attrs).toEqual(theirs.attrs);
        expect(Array.from((await r.readArray("images")).data as Uint16Array)).toEqual(theirs.images);
        expect(Array.from((await r.readArray("obs/score")).data as Float64Array)).toEqual(theirs.score);
        expect(await r.list("")).toEqual(["images", "obs"]);
      } finally {
        await r.close();
      }
    });
  }
});

describe.skipIf(skipPeer("latest"))("an anndata 0.11 Zarr store with nullable-string-array indexes", () => {
  it("reads equal to anndata latest", async () => {
    const store = file("anndata-0.11-string-index.zarr");
    const theirs = pyPeer("latest", `${PY_DUMP}print(to_json(dump(ad.read_zarr(json.loads(sys.stdin.read())))))`, store);
    const { adata, problems, close } = await readAnnData(store);
    try {
      expect(problems).toEqual([]);
      expect(await dumpAnnData(adata)).toEqual(theirs);
      expect(theirs.obs.index).toEqual(["cell-0", "cell-1", "cell-2", "cell-3", "cell-4"]);
    } finally {
      await close();
    }
  });
});
