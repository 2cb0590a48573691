// Which paths and URLs name a group inside a .zarr store (openDataset then
// opens the store at its root and reads the group); the annbatch collections
// themselves are read in packages/cli/test/peers/annbatch.e2e.test.ts.
import { describe, expect, it } from "vitest";
import { splitZarrGroup } from "../src/index.js";

describe("splitZarrGroup", () => {
  it("splits a path or URL inside a .zarr into the store and the group", () => {
    expect(splitZarrGroup("out/collection.zarr/dataset_1")).toEqual({ root: "out/collection.zarr", group: "dataset_1" });
    expect(splitZarrGroup("/d/c.zarr/a/b/")).toEqual({ root: "/d/c.zarr", group: "a/b" });
    expect(splitZarrGroup("https://h.example:8080/x/c.zarr/dataset_0?sig=1")).toEqual({ root: "https://h.example:8080/x/c.zarr?sig=1", group: "dataset_0" });
    expect(splitZarrGroup("http://127.0.0.1/c.zarr/my%20set")).toEqual({ root: "http://127.0.0.1/c.zarr", group: "my set" });
    // the innermost store: a .zarr inside a folder named .zarr
    expect(splitZarrGroup("runs.zarr/c.zarr/dataset_2")).toEqual({ root: "runs.zarr/c.zarr", group: "dataset_2" });
  });

  it("leaves stores, files in a folder named *.zarr and everything else alone", () => {
    for (const s of ["out/c.zarr", "out/c.zarr/", "https://h/c.zarr", "out/c.zarr.zip", "exports.zarr/sample.h5sc", "exports.zarr/refs.json", "https://h/exports.zarr/x.h5ad", "runs.zarr/c.zarr", "out/sample.h5sc", "out/x.zarrish/y"]) {
      expect(splitZarrGroup(s), s).toBeNull();
    }
  });
});
