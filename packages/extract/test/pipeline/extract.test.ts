// extract() end to end: small synthetic TIFFs -> .h5sc / .zarr (v2, v3), read
// back by anndata 0.8 / h5py 3.7 (Debian 12) and zarr-python 3 (PyPI peer 'latest'),
// values against the NumPy/SciPy reference, bytes equal across thread counts.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3 } from "../../../../test-utils/oracle.js";
import { extract } from "../../src/pipeline.js";
import { makeSlide, maxAbsDiff, type ReferenceResult, reference, type Slide, tempDir } from "./helpers.js";

let slide: Slide;
let ref: ReferenceResult;
let labelsCsv: string;
const SIZE = 32;

beforeAll(() => {
  slide = makeSlide({ height: 200, width: 260, channels: 3, seed: 5 });
  ref = reference(slide, { size: SIZE });
  // Labels for every other kept cell (and one dropped at the border): the rest are missing values.
  labelsCsv = path.join(slide.dir, "labels.csv");
  const rows = ref.ids.filter((_, k) => k % 2 === 0).map((id, k) => `${id},${k % 3 === 0 ? "mitotic" : "interphase"},${id * 0.5},${k}`);
  writeFileSync(labelsCsv, `cellID,phase,score,plate\n${rows.join("\n")}\n${ref.dropped[0]},"mitotic, late",1.5,7\n`);
});

/** The stacks as stored, read by the Python side, as float16 bits. */
function readStacksPy(file: string, kind: "h5" | "zarr2"): Uint16Array {
  const raw = path.join(path.dirname(file), `${path.basename(file)}.readback.f16`);
  py(
    `
import json, sys, numpy as np
p = json.loads(sys.stdin.read())
if p["kind"] == "h5":
    import h5py
    a = h5py.File(p["file"], "r")["obsm/single_cell_images"][()]
else:
    import zarr
    a = zarr.open(p["file"], mode="r")["obsm/single_cell_images"][()]
a.astype("<f2").tofile(p["raw"])
print("{}")
`,
    { file, kind, raw },
  );
  const b = readFileSync(raw);
  return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
}

describe("extract to HDF5 (.h5sc)", () => {
  let out: string;
  let summary: Awaited<ReturnType<typeof extract>>;

  beforeAll(async () => {
    out = path.join(tempDir("h5"), "cells.h5sc");
    const progress: number[] = [];
    summary = await extract({
      image: slide.image,
      nucleus: slide.nucleus,
      cytosol: slide.cytosol,
      out,
      size: SIZE,
      labels: labelsCsv,
      channelNames: ["dna", "a", "b"],
      threads: 2,
      onProgress: (done, total) => {
        progress.push(done);
        expect(total).toBe(ref.ids.length);
      },
    });
    expect(progress.at(-1)).toBe(ref.ids.length);
  });

  it("reports what it wrote", () => {
    expect(summary.cellsWritten).toBe(ref.ids.length);
    expect(summary.droppedAtBorder).toEqual(ref.dropped);
    expect(summary.missingCytosol).toEqual(ref.cytosol_missing);
    expect(summary.missingCytosol).toEqual([slide.missing]);
    expect(summary.cellsPerSecond).toBeGreaterThan(0);
    expect(summary.output).toBe(out);
  });

  it("opens in anndata 0.8 and h5py with the layout of docs/format.md", () => {
    const r = py(
      `
import json, sys, anndata, h5py, numpy as np
p = json.loads(sys.stdin.read())
ad = anndata.read_h5ad(p["file"])
f = h5py.File(p["file"], "r")
d = f["obsm/single_cell_images"]
u = ad.uns["single_cell_images"]
print(json.dumps({
  "n_obs": ad.n_obs, "n_vars": ad.n_vars, "obs_names": list(ad.obs_names[:3]),
  "ids": [int(i) for i in ad.obs["scportrait_cell_id"]], "id_dtype": str(ad.obs["scportrait_cell_id"].dtype),
  "cy": ad.obs["centroid_y"].tolist(), "cx": ad.obs["centroid_x"].tolist(),
  "phase": [None if isinstance(v, float) else v for v in ad.obs["phase"].astype(object)], "phase_dtype": str(ad.obs["phase"].dtype),
  "score": [None if np.isnan(v) else v for v in ad.obs["score"]],
  "channels": list(ad.var["channels"]), "mapping": list(ad.var["channel_mapping"].astype(str)),
  "obsm_shape": list(ad.obsm["single_cell_images"].shape), "obsm_dtype": str(ad.obsm["single_cell_images"].dtype),
  "chunks": list(d.chunks), "compression": d.compression, "shuffle": d.shuffle, "dtype": str(d.dtype),
  "root": {k: str(v) for k, v in f.attrs.items()},
  "uns": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in u.items()},
}, default=str))
`,
      { file: out },
    );
    const n = ref.ids.length;
    expect(r.n_obs).toBe(n);
    expect(r.n_vars).toBe(5);
    expect(r.obs_names).toEqual(["0", "1", "2"]);
    expect(r.ids).toEqual(ref.ids);
    expect(r.id_dtype).toBe("uint64");
    r.cy.forEach((v: number, k: number) => {
      expect(v).toBeCloseTo(ref.centroids[k][0], 10);
    });
    r.cx.forEach((v: number, k: number) => {
      expect(v).toBeCloseTo(ref.centroids[k][1], 10);
    });
    expect(r.phase_dtype).toBe("category");
    expect(r.phase.filter((v: string | null) => v !== null).length).toBe(Math.ceil(n / 2));
    expect(r.phase[0]).toBe("mitotic");
    expect(r.score[0]).toBe(ref.ids[0] * 0.5);
    expect(r.score[1]).toBeNull();
    expect(r.channels).toEqual(["nucleus_mask", "cytosol_mask", "dna", "a", "b"]);
    expect(r.mapping).toEqual(["mask", "mask", "image_channel", "image_channel", "image_channel"]);
    expect(r.obsm_shape).toEqual([n, 5, SIZE, SIZE]);
    expect(r.obsm_dtype).toBe("float16");
    expect(r.chunks).toEqual([1, 1, SIZE, SIZE]);
    expect(r.compression).toBe("gzip");
    expect(r.shuffle).toBe(false);
    expect(r.root).toEqual({ "encoding-type": "anndata", "encoding-version": "0.1.0" });
    expect(r.uns.n_cells).toBe(n);
    expect(r.uns.n_channels).toBe(5);
    expect(r.uns.n_masks).toBe(2);
    expect(r.uns.n_image_channels).toBe(3);
    expect(r.uns.image_size).toBe(SIZE);
    expect(r.uns.normalization).toBe(true);
    expect(r.uns.normalization_range_lower).toBe(0.001);
    expect(r.uns.normalization_range_upper).toBe(0.999);
    expect(r.uns.channel_names).toEqual(r.channels);
    expect(r.uns.extraction_preset).toBe("classic");
    expect(JSON.parse(r.uns.extraction_params).size).toBe(SIZE);
  });

  it("stores the reference's stacks within float16 precision", () => {
    const got = readStacksPy(out, "h5");
    expect(maxAbsDiff(got, ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it("writes the same bytes with 1 and 2 threads", async () => {
    const other = path.join(tempDir("h5t1"), "cells.h5sc");
    await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out: other, size: SIZE, labels: labelsCsv, channelNames: ["dna", "a", "b"], threads: 1 });
    expect(readFileSync(other).equals(readFileSync(out))).toBe(true);
  });
});

describe("extract to Zarr", () => {
  it("v2: anndata 0.8's read_zarr loads it, values equal the reference", async () => {
    const out = path.join(tempDir("z2"), "cells.zarr");
    const s = await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out, size: SIZE, zarrFormat: 2, threads: 2 });
    expect(s.cellsWritten).toBe(ref.ids.length);
    const r = py(
      `
import json, sys, anndata
p = json.loads(sys.stdin.read())
ad = anndata.read_zarr(p["file"])
print(json.dumps({"ids": [int(i) for i in ad.obs["scportrait_cell_id"]], "shape": list(ad.obsm["single_cell_images"].shape),
  "channels": list(ad.var["channels"]), "n_cells": int(ad.uns["single_cell_images"]["n_cells"])}))
`,
      { file: out },
    );
    expect(r.ids).toEqual(ref.ids);
    expect(r.shape).toEqual([ref.ids.length, 5, SIZE, SIZE]);
    expect(r.channels).toEqual(["nucleus_mask", "cytosol_mask", "channel_0", "channel_1", "channel_2"]);
    expect(r.n_cells).toBe(ref.ids.length);
    expect(maxAbsDiff(readStacksPy(out, "zarr2"), ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it("a subset of cell ids, labels given as rows", async () => {
    const out = path.join(tempDir("subset"), "cells.zarr");
    const ids = [ref.ids[3], ref.ids[1], ref.dropped[0], ref.ids[7]];
    const s = await extract({
      image: slide.image,
      nucleus: slide.nucleus,
      cytosol: slide.cytosol,
      out,
      size: SIZE,
      zarrFormat: 2,
      cellIds: ids,
      labels: [
        { cellID: ref.ids[1], condition: "drug" },
        { cellID: ref.ids[7], condition: "control" },
      ],
    });
    expect(s.droppedAtBorder).toEqual([ref.dropped[0]]);
    const sub = reference(slide, { size: SIZE }, { ids });
    const r = py(
      `
import json, sys, anndata
p = json.loads(sys.stdin.read())
ad = anndata.read_zarr(p["file"])
print(json.dumps({"ids": [int(i) for i in ad.obs["scportrait_cell_id"]], "condition": [None if isinstance(v, float) else v for v in ad.obs["condition"].astype(object)]}))
`,
      { file: out },
    );
    expect(r.ids).toEqual(sub.ids);
    expect(r.condition).toEqual(sub.ids.map((id) => (id === ref.ids[1] ? "drug" : id === ref.ids[7] ? "control" : null)));
    expect(maxAbsDiff(readStacksPy(out, "zarr2"), sub.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it.skipIf(!hasZarr3())("v3 (default): sharded, zarr-python 3 reads the stacks and obs, equal to the reference; same bytes for 1 and 2 threads", async () => {
    const dir = tempDir("z3");
    const out = path.join(dir, "cells.zarr");
    await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out, size: SIZE, threads: 2 });
    const raw = path.join(dir, "stacks.f16");
    const r = pyZarr3(
      `
import json, sys, zarr, numpy as np
p = json.loads(sys.stdin.read())
g = zarr.open_group(p["file"], mode="r")
a = g["obsm/single_cell_images"]
a[...].astype("<f2").tofile(p["raw"])
ids = g["obs/scportrait_cell_id"][...]
print(json.dumps({"shape": list(a.shape), "chunks": list(a.chunks), "shards": list(a.shards) if a.shards else None,
  "ids": ids.tolist(), "id_dtype": str(ids.dtype), "enc": a.attrs["encoding-type"], "format": a.metadata.zarr_format}))
`,
      { file: out, raw: raw },
    );
    expect(r.format).toBe(3);
    expect(r.shape).toEqual([ref.ids.length, 5, SIZE, SIZE]);
    expect(r.chunks).toEqual([1, 5, SIZE, SIZE]);
    expect(r.shards?.[0]).toBeGreaterThan(1);
    expect(r.ids).toEqual(ref.ids);
    expect(r.id_dtype).toBe("uint64");
    expect(r.enc).toBe("array");
    const b = readFileSync(raw);
    expect(maxAbsDiff(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2), ref.stacks).max).toBeLessThanOrEqual(1e-3);

    const other = path.join(tempDir("z3t1"), "cells.zarr");
    await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out: other, size: SIZE, threads: 1 });
    const shard = (root: string) => readFileSync(path.join(root, "obsm/single_cell_images/c/0/0/0/0"));
    expect(shard(other).equals(shard(out))).toBe(true);
  });
});

describe("Zarr inputs", () => {
  it("an OME-Zarr image and Zarr masks (int64, uint16) give the reference's stacks", async () => {
    const dir = tempDir("zin");
    py(
      `
import json, sys, numpy as np, tifffile, zarr
p = json.loads(sys.stdin.read())
img = tifffile.imread(p["image"])
g = zarr.open_group(p["dir"] + "/image.ome.zarr", mode="w")
g.attrs["multiscales"] = [{"version": "0.4", "axes": [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                           "datasets": [{"path": "0"}]}]
g.create_dataset("0", data=img, chunks=(1, 64, 64))
zarr.save_array(p["dir"] + "/nucleus.zarr", tifffile.imread(p["nucleus"]).astype(np.int64), chunks=(50, 70))
zarr.save_array(p["dir"] + "/cytosol.zarr", tifffile.imread(p["cytosol"]).astype(np.uint16), chunks=(64, 64))
print("{}")
`,
      { dir, image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol },
    );
    const out = path.join(dir, "cells.h5sc");
    const s = await extract({ image: `${dir}/image.ome.zarr`, nucleus: `${dir}/nucleus.zarr`, cytosol: `${dir}/cytosol.zarr`, out, size: SIZE, threads: 2, bandBytes: 2_000_000 });
    expect(s.cellsWritten).toBe(ref.ids.length);
    expect(s.droppedAtBorder).toEqual(ref.dropped);
    expect(maxAbsDiff(readStacksPy(out, "h5"), ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });
});

describe("64-bit integer TIFF masks", () => {
  it("int64 nucleus and uint64 cytosol TIFFs (numpy's default integer) give the cells, centroids and stacks of the int32 / uint16 masks", async () => {
    const dir = tempDir("i64");
    py(
      `
import json, sys, numpy as np, tifffile
p = json.loads(sys.stdin.read())
tifffile.imwrite(p["dir"] + "/nucleus_i64.tif", tifffile.imread(p["nucleus"]).astype(np.int64))
tifffile.imwrite(p["dir"] + "/cytosol_u64.tif", tifffile.imread(p["cytosol"]).astype(np.uint64), compression="zlib", tile=(64, 64))
print("{}")
`,
      { dir, nucleus: slide.nucleus, cytosol: slide.cytosol },
    );
    const run = (nucleus: string, cytosol: string, name: string) => extract({ image: slide.image, nucleus, cytosol, out: path.join(dir, name), size: SIZE, threads: 1 });
    const a = await run(slide.nucleus, slide.cytosol, "a.h5sc");
    const b = await run(`${dir}/nucleus_i64.tif`, `${dir}/cytosol_u64.tif`, "b.h5sc");
    expect(b.cellsWritten).toBe(ref.ids.length);
    expect([b.droppedAtBorder, b.missingCytosol, b.masks]).toEqual([a.droppedAtBorder, a.missingCytosol, a.masks]);
    const obs = (file: string) =>
      py(
        `import json, sys, h5py
o = h5py.File(json.loads(sys.stdin.read()), "r")["obs"]
print(json.dumps({k: o[k][()].tolist() for k in ("scportrait_cell_id", "centroid_y", "centroid_x")}))`,
        file,
      );
    const obsB = obs(path.join(dir, "b.h5sc"));
    expect(obsB.scportrait_cell_id).toEqual(ref.ids);
    expect(obsB).toEqual(obs(path.join(dir, "a.h5sc")));
    expect(Buffer.from(readStacksPy(path.join(dir, "b.h5sc"), "h5").buffer).equals(Buffer.from(readStacksPy(path.join(dir, "a.h5sc"), "h5").buffer))).toBe(true);
  });
});

describe("bad input", () => {
  const base = () => ({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, size: SIZE, threads: 1 });
  /** An image source of the slide's shape whose reads fail after the first `good` ones. */
  const brokenImage = (good: number) => ({
    name: "broken",
    height: 200,
    width: 260,
    channels: 3,
    dtype: "uint16" as const,
    calls: 0,
    async readWindow(_y0: number, _x0: number, h: number, w: number) {
      if (++this.calls > good) throw new Error("disk on fire");
      return [0, 1, 2].map(() => new Uint16Array(h * w));
    },
    async close() {},
  });

  async function refused(options: Partial<Parameters<typeof extract>[0]>, message: RegExp): Promise<void> {
    const dir = tempDir("bad");
    await expect(extract({ ...base(), ...options, out: path.join(dir, "cells.h5sc") })).rejects.toThrow(message);
    // Nothing half-written: no output, no temporary sibling.
    expect(readdirSync(dir)).toEqual([]);
  }

  it("image and masks of different H x W", async () => {
    const small = makeSlide({ height: 120, width: 260, channels: 1, seed: 2 });
    await refused({ nucleus: small.nucleus }, /nucleus\.tif: nucleus mask is 120 x 260 pixels but the image .* is 200 x 260.*expected the same H x W/);
  });

  it("a mask that is not integer", async () => {
    await refused({ cytosol: slide.image }, /image\.tif: cytosol mask has 3 channels; expected one label plane/);
    const f = makeSlide({ height: 200, width: 260, channels: 1, seed: 2, dtype: "float32" });
    await refused({ nucleus: f.image }, /nucleus mask holds float32 values; expected an integer label image .*a float mask is refused even when its values are whole numbers.*mask\.astype\(np\.uint32\)/);
  });

  it("no cells at all", async () => {
    const dir = tempDir("empty");
    py(`import json,sys,numpy as np,tifffile; p=json.loads(sys.stdin.read()); tifffile.imwrite(p, np.zeros((200,260),np.int32)); print("{}")`, `${dir}/zero.tif`);
    await refused({ nucleus: `${dir}/zero.tif` }, /holds no cells/);
  });

  it("odd crop size, or larger than the image", async () => {
    await refused({ size: 31 }, /^size: expected an even integer/);
    await refused({ size: 256 }, /size: 256 is larger than the image .* \(200 x 260\); expected at most 200/);
  });

  it("channel index out of range", async () => {
    await refused({ nuclearChannel: 3 }, /nuclearChannel: expected an index below the image's 3 channel/);
  });

  it("labels CSV with unknown ids", async () => {
    const csv = path.join(tempDir("labels"), "labels.csv");
    writeFileSync(csv, `cellID,phase\n${ref.ids[0]},a\n99999,b\n`);
    await refused({ labels: csv }, /labels\.csv: cellID\(s\) 99999 are not in the nucleus mask/);
  });

  it("labels naming an obs column extract writes itself (centroid, cellID, index): refused before the masks are scanned, naming the file and the column", async () => {
    const dir = tempDir("labels-owned");
    const um = path.join(dir, "um.csv");
    writeFileSync(um, `cellID,centroid_x,centroid_y\n${ref.ids[0]},1.5,2.5\n${ref.ids[1]},3.5,4.5\n`);
    const stages: string[] = [];
    await refused(
      { labels: um, onStage: (e) => stages.push(e.stage) },
      /um\.csv: column "centroid_x" is an obs column extract writes itself \(_index, scportrait_cell_id, centroid_y, centroid_x: .*\), so the label would replace it; expected another name: rename the column/,
    );
    expect(stages).toEqual(["open"]);
    const id = path.join(dir, "id.csv");
    writeFileSync(id, `cellID,scportrait_cell_id\n${ref.ids[0]},5\n`);
    await refused({ labels: id }, /id\.csv: column "scportrait_cell_id" is an obs column extract writes itself/);
    await refused({ labels: [{ cellID: ref.ids[0], _index: "a" }] }, /^labels: column "_index" is an obs column extract writes itself/);
  });

  it("negative labels in a TIFF or a Zarr mask (a signed mask written as -id): refused naming the file, some labels and the fix", async () => {
    const dir = tempDir("negative");
    const made = py(
      `
import json, sys, numpy as np, tifffile, zarr
p = json.loads(sys.stdin.read())
n = tifffile.imread(p["nucleus"]).astype(np.int32)
tifffile.imwrite(p["dir"] + "/nucleus_neg.tif", -n)
c = tifffile.imread(p["cytosol"]).astype(np.int64)
top = int(c.max())
c[c == top] = -top
zarr.save_array(p["dir"] + "/cytosol_neg.zarr", c, chunks=(64, 64))
print(json.dumps({"cells": len(np.unique(n)) - 1, "top": top}))
`,
      { dir, nucleus: slide.nucleus, cytosol: slide.cytosol },
    );
    await refused(
      { nucleus: `${dir}/nucleus_neg.tif` },
      new RegExp(
        `nucleus_neg\\.tif: the nucleus mask holds ${made.cells} negative label\\(s\\) \\(-1, -2, -3, -4, -5, \\.\\.\\.\\); expected positive integer labels, 0 the background: relabel it to positive ids \\(e\\.g\\. skimage\\.segmentation\\.relabel_sequential.*np\\.abs\\(mask\\)`,
      ),
    );
    await refused({ cytosol: `${dir}/cytosol_neg.zarr` }, new RegExp(`cytosol_neg\\.zarr: the cytosol mask holds 1 negative label\\(s\\) \\(-${made.top}\\); expected positive integer labels`));
  });

  it("an output that exists, without overwrite; with overwrite it is replaced", async () => {
    const dir = tempDir("exists");
    const out = path.join(dir, "cells.h5sc");
    writeFileSync(out, "keep me");
    await expect(extract({ ...base(), out })).rejects.toThrow(/cells\.h5sc: already exists; expected a new path, or overwrite/);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    // overwrite replaces an output, not other bytes under its name
    await expect(extract({ ...base(), out, overwrite: true })).rejects.toThrow(/cells\.h5sc: .*is not an HDF5 file \(no HDF5 signature.*overwrite replaces only an HDF5 file/);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    rmSync(out);
    await extract({ ...base(), out });
    await extract({ ...base(), out, overwrite: true });
    expect(readFileSync(out).subarray(0, 8).toString("latin1")).toBe("\x89HDF\r\n\x1a\n");
    expect(readdirSync(dir)).toEqual(["cells.h5sc"]);
  });

  it("a failure midway leaves nothing behind", async () => {
    const dir = tempDir("midway");
    const out = path.join(dir, "cells.zarr");
    await expect(extract({ ...base(), image: brokenImage(1), out, bandBytes: 200_000 })).rejects.toThrow(/disk on fire/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the worker threads started while the plan is made end with a refused input or a failure midway", async () => {
    // Threads of this process (Linux): the cell workers are started before the
    // inputs are read, so every way out must terminate them.
    const threadsNow = () => readdirSync("/proc/self/task").length;
    const settled = async (most: number) => {
      for (let i = 0; i < 100 && threadsNow() > most; i++) await new Promise((r) => setTimeout(r, 20));
      return threadsNow();
    };
    const before = threadsNow();
    const small = makeSlide({ height: 120, width: 260, channels: 1, seed: 2 });
    await expect(extract({ ...base(), threads: 2, nucleus: small.nucleus, out: path.join(tempDir("threads"), "cells.h5sc") })).rejects.toThrow(/120 x 260/);
    expect(await settled(before)).toBeLessThanOrEqual(before);
    await expect(extract({ ...base(), threads: 2, image: brokenImage(0), out: path.join(tempDir("threads"), "cells.zarr") })).rejects.toThrow(/disk on fire/);
    expect(await settled(before)).toBeLessThanOrEqual(before);
    // and a run that succeeds uses them and ends them too
    const s = await extract({ ...base(), threads: 2, out: path.join(tempDir("threads"), "cells.h5sc") });
    expect(s.cellsWritten).toBe(ref.ids.length);
    expect(await settled(before)).toBeLessThanOrEqual(before);
  });
});
