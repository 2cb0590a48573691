// The element layer alone, judged by anndata 0.8: the stores Python wrote are
// loaded node by node into the in-memory store (no backend involved), read
// through the registry and compared with what anndata reads; what we write
// is rebuilt as a Zarr v2 store by zarr-python and read back by anndata.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
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
