// The element layer alone, judged by anndata 0.8: the stores Python wrote are
// loaded node by node into the in-memory store (no backend involved), read
// through the registry and compared with what anndata reads; what we write
// is rebuilt as a Zarr v2 store by zarr-python and read back by anndata.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py, TEST_DATA } from "../../../../test-utils/oracle.js";
import { readAnnData, writeAnnData } from "../../src/anndata.js";
import { MemoryStore } from "../../src/memory.js";
import { ANNDATA_DATA, dumpAnnData, memoryFromNodes, nodesFromPython, nodesOf, PY_DUMP, PY_NODES_TO_ZARR } from "./helpers.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-anndata-mem-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const expected = (name: string) => JSON.parse(readFileSync(path.join(ANNDATA_DATA, `${name}.json`), "utf8"));

describe.each(["all-types", "empty"])("%s through the in-memory store", (name) => {
  for (const ext of ["h5ad", "zarr"]) {
    it(`reads the ${ext} layout equal to anndata`, async () => {
      const store = await memoryFromNodes(nodesFromPython(path.join(ANNDATA_DATA, `${name}.${ext}`)), `${name}.${ext}`);
      const { adata, problems } = await readAnnData(store);
      expect(problems).toEqual([]);
      expect(await dumpAnnData(adata)).toEqual(expected(name));
    });
  }

  it("writes what anndata reads back equal, with anndata's own encoding attributes", async () => {
    const pyNodes = nodesFromPython(path.join(ANNDATA_DATA, `${name}.zarr`));
    const { adata } = await readAnnData(await memoryFromNodes(pyNodes));
    const out = new MemoryStore("out");
    await writeAnnData(out, adata);
    const ours = await nodesOf(out);
    // Same nodes, same attributes as anndata 0.8 wrote.
    const byPath = (ns: typeof ours) => Object.fromEntries(ns.map((n) => [n.path, { kind: n.kind, attrs: n.attrs, dtype: n.dtype }]));
    expect(byPath(ours)).toEqual(byPath(pyNodes));
    const zarrPath = path.join(tmp, `${name}.zarr`);
    const back = py(`${PY_NODES_TO_ZARR}\n${PY_DUMP}\nprint(to_json(dump(ad.read_zarr(inp["out"]))))`, { nodes: ours, out: zarrPath });
    expect(back).toEqual(expected(name));
  });
});

/** anndata 0.8's reading of a file as dump.py's JSON (rec-arrays as dicts when asked). */
function pythonDump(file: string, recAsDict = false): unknown {
  return py(
    `${PY_DUMP}\nimport zarr\np = json.loads(sys.stdin.read())\na = ad.read_zarr(zarr.storage.ZipStore(p, mode="r")) if p.endswith(".zip") else ad.read_h5ad(p)\nprint(to_json(dump(a, rec_as_dict=${recAsDict ? "True" : "False"})))`,
    file,
  );
}

describe("the anndata archives through the in-memory store (h5py's view of the file)", () => {
  for (const version of ["v0.5.0", "v0.7.0", "v0.7.8", "v0.11.4"]) {
    it(`${version}/adata.h5ad reads as anndata 0.8 reads it`, async () => {
      const file = path.join(TEST_DATA, "anndata-archives", version, "adata.h5ad");
      const { adata, problems } = await readAnnData(await memoryFromNodes(nodesFromPython(file), file));
      expect(problems).toEqual([]);
      expect(await dumpAnnData(adata)).toEqual(pythonDump(file));
      // Written to Zarr v2 (rec-arrays as structured arrays), anndata reads it as it reads the original.
      const out = path.join(tmp, `${version}.zarr`);
      await writeAnnData(out, adata, { zarrFormat: 2 });
      const back = py(`${PY_DUMP}\nprint(to_json(dump(ad.read_zarr(json.loads(sys.stdin.read())))))`, out);
      expect(back).toEqual(pythonDump(file));
    });
  }
});
