// The README's round trip through annbatch, as written there: `cellfolio
// extract` -> .h5sc -> annbatch's DatasetCollection (make_collection.py, its
// image tutorial, run with the latest peer's annbatch 0.3.1) -> openDataset,
// batches() and `cellfolio view` read the collection with the cellIDs,
// channel names and images h5py reads from the .h5sc (matched by cellID;
// zarr-python says which cellIDs each dataset holds). Then the same script
// with a dataset_size below the number of cells: a collection of three
// datasets, each opened by its path, locally and over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { batches, type Dataset, DatasetError, openDataset } from "@cellfolio/lazy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCollections } from "../../../../test-utils/annbatch.js";
import { pyPeer, REPO_ROOT, skipPeer } from "../../../../test-utils/oracle.js";
import { serve, type TestServer } from "../../../lazy/test/http-server.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-annbatch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What h5py reads from the .h5sc and zarr-python from each dataset of the collection (images as the .h5sc's, by cellID). */
const TRUTH = `
import json, sys, hashlib, numpy as np, h5py, zarr
p = json.loads(sys.stdin.read())
h = h5py.File(p["h5sc"], "r")
src_ids = [int(i) for i in h["obs/scportrait_cell_id"][:]]
row = {c: r for r, c in enumerate(src_ids)}
src = h["obsm/single_cell_images"][()]
g = zarr.open_group(p["collection"], mode="r")
out = {"encoding": g.attrs.get("encoding-type"), "src_ids": src_ids, "datasets": []}
for k in sorted((k for k in g.group_keys() if k.startswith("dataset_")), key=lambda k: int(k[8:])):
    im = g[k]["obsm/single_cell_images"]
    ids = [int(i) for i in g[k]["obs/scportrait_cell_id"][:]]
    want = src[[row[i] for i in ids]]
    out["datasets"].append({"name": k, "ids": ids, "chunks": list(im.chunks), "sharded": im.shards is not None,
        "zarr_equals_h5py": bool(np.array_equal(im[()], want)),
        "sha": hashlib.sha256(np.ascontiguousarray(want, dtype="<f4").tobytes()).hexdigest()})
print(json.dumps(out))
`;

interface Truth {
  encoding: string;
  src_ids: number[];
  datasets: { name: string; ids: number[]; chunks: number[]; sharded: boolean; zarr_equals_h5py: boolean; sha: string }[];
}

const sha32 = (d: ArrayLike<number>) => {
  const f = d instanceof Float32Array ? d : new Float32Array(d);
  return createHash("sha256").update(Buffer.from(f.buffer, f.byteOffset, f.byteLength)).digest("hex");
};
const allRows = (ds: Dataset) => Array.from({ length: ds.nCells }, (_, i) => i);

describe.skipIf(skipPeer("latest"))("the README's round trip: .h5sc -> annbatch collection -> openDataset, batches(), view", () => {
  let view: string;
  let src: Dataset;
  let one: Truth;
  let three: Truth;
  let server: TestServer;

  beforeAll(async () => {
    view = makeCollections(dir);
    const h5sc = path.join(dir, "out/sample.h5sc");
    one = pyPeer("latest", TRUTH, { h5sc, collection: path.join(dir, "out/collection.zarr") });
    three = pyPeer("latest", TRUTH, { h5sc, collection: path.join(dir, "out/three.zarr") });
    src = await openDataset(h5sc);
    server = await serve(path.join(dir, "out"));
  }, 300_000);
  afterAll(async () => {
    await src?.close();
    await server?.close();
  });

  it("annbatch wrote shuffled, sharded datasets of whole-cell chunks, zarr-python reading the .h5sc's images in them", () => {
    expect(one.encoding).toBe("annbatch-preshuffled");
    expect(one.datasets.map((d) => d.name)).toEqual(["dataset_0"]);
    expect(three.datasets.map((d) => d.name)).toEqual(["dataset_0", "dataset_1", "dataset_2"]);
    expect(one.src_ids.length).toBeGreaterThan(150);
    for (const t of [one, three]) {
      expect(t.datasets.flatMap((d) => d.ids).sort((a, b) => a - b)).toEqual([...t.src_ids].sort((a, b) => a - b));
      for (const d of t.datasets) {
        expect(d.zarr_equals_h5py).toBe(true);
        expect(d.sharded).toBe(true);
        expect(d.chunks.slice(1)).toEqual([5, 48, 48]);
      }
    }
    expect(one.datasets[0].ids).not.toEqual(one.src_ids); // shuffled
  });

  it("openDataset of the collection (one dataset): its cellIDs, the .h5sc's channel names and images", async () => {
    const ds = await openDataset(path.join(dir, "out/collection.zarr"));
    expect(ds.cellIds).toEqual(one.datasets[0].ids);
    expect(ds.channelNames).toEqual(src.channelNames);
    expect(ds.channelNames).toEqual(["nucleus_mask", "cytosol_mask", "DNA", "PH3", "cellbody"]);
    expect(ds.shape).toEqual(src.shape);
    expect(sha32((await ds.getCells(allRows(ds))).data)).toBe(one.datasets[0].sha);
    expect(ds.column("src_path")).toEqual(ds.cellIds.map(() => "out/sample.h5sc"));
    // by cellID, the same cells as the .h5sc
    const some = ds.cellIds.slice(0, 7);
    expect((await ds.getByCellId(some)).data).toEqual((await src.getByCellId(some)).data);
    await ds.close();
  });

  it("batches() of a collection's dataset: shuffled, every cell once, each batch's images the .h5sc's for its cellIDs", async () => {
    const ds = await openDataset(path.join(dir, "out/three.zarr/dataset_1"));
    const rows: number[] = [];
    let n = 0;
    for await (const b of batches(ds, { batchSize: 16, seed: 3, prefetch: 2 })) {
      expect(b.shape).toEqual([b.rows.length, 5, 48, 48]);
      expect(b.cellIds).toEqual(b.rows.map((r) => ds.cellIds[r]));
      expect(b.images).toEqual((await src.getByCellId(b.cellIds)).data);
      rows.push(...b.rows);
      n++;
    }
    expect(n).toBe(Math.ceil(ds.nCells / 16));
    expect([...rows].sort((a, b) => a - b)).toEqual(allRows(ds));
    expect(rows).not.toEqual(allRows(ds));
    await ds.close();
  });

  it("a collection of three: each dataset by its path (locally and over HTTP); the collection itself names them", async () => {
    for (const t of three.datasets) {
      for (const source of [path.join(dir, "out/three.zarr", t.name), `${server.url}/three.zarr/${t.name}`]) {
        const ds = await openDataset(source);
        expect(ds.cellIds, source).toEqual(t.ids);
        expect(ds.channelNames).toEqual(src.channelNames);
        expect(sha32((await ds.getCells(allRows(ds))).data), source).toBe(t.sha);
        await ds.close();
      }
    }
    const err = await openDataset(path.join(dir, "out/three.zarr")).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain("an annbatch collection of 3 datasets (dataset_0, dataset_1, dataset_2): open one of them");
    expect(err.message).toContain(`${path.join(dir, "out/three.zarr")}/dataset_0`);
  });

  it("cellfolio view of the collection (the README's command) and of a dataset inside one: the page's URL opens it over HTTP", async () => {
    expect(view).toBe("npx cellfolio view out/collection.zarr");
    for (const [command, t] of [
      [view, one.datasets[0]],
      ["npx cellfolio view out/three.zarr/dataset_2", three.datasets[2]],
    ] as const) {
      const child: ChildProcess = spawn(process.execPath, [BIN, ...command.split(/\s+/).slice(2)], { cwd: dir });
      try {
        let stdout = "";
        child.stdout?.on("data", (b) => {
          stdout += b;
        });
        const deadline = Date.now() + 60_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline && child.exitCode === null) {
          url = /^open (http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(stdout)?.[1];
          if (!url) await new Promise((r) => setTimeout(r, 100));
        }
        expect(url, `${command}: ${stdout}`).toBeDefined();
        const data = new URL(new URL(url as string).searchParams.get("url") as string, url).href;
        const ds = await openDataset(data);
        expect(ds.cellIds, command).toEqual(t.ids);
        expect(sha32((await ds.getCells(allRows(ds))).data)).toBe(t.sha);
        await ds.close();
      } finally {
        child.kill("SIGINT");
      }
    }
  }, 120_000);
});
