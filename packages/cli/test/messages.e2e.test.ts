// Every message a user meets, said in flags: the exact text names the flag,
// the value and the fix, and the exit code is the documented one
// (0 ok, 1 bad input, 2 usage error). The real binary on the real sample.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { py, REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const S = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-messages-"));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, first: res.stderr.split("\n")[0] };
}

const IMG = path.join(S, "image.tif");
const NUC = path.join(S, "nucleus.tif");
const base = (out = path.join(dir, "x.h5sc")) => ["extract", "--image", IMG, "--nucleus", NUC, "--out", out, "--quiet"];

describe("usage errors: exit 2, flag + value + what is expected", () => {
  it.each([
    [["--size", "33"], "cellfolio extract: --size 33: expected an even integer from 2 to 4096"],
    [["--size", "0"], "cellfolio extract: --size 0: expected an even integer from 2 to 4096"],
    [["--size", "abc"], 'cellfolio extract: --size "abc": expected an even integer from 2 to 4096'],
    [["--sigma", "-1"], 'cellfolio extract: --sigma "-1": expected a positive number'],
    [["--border", "pda"], 'cellfolio extract: --border "pda": expected one of drop, pad (did you mean pad?)'],
    [["--cell-ids", "1,x"], 'cellfolio extract: --cell-ids "1,x": expected cellIDs as integers separated by commas (e.g. --cell-ids 12,40,41); not an integer: x'],
    [["--zarr-format", "4"], "cellfolio extract: --zarr-format 4: expected one of 2, 3"],
    [["--threads", "0"], "cellfolio extract: --threads 0: expected an integer from 1 to 256"],
    [["--threads", "1000"], "cellfolio extract: --threads 1000: expected an integer from 1 to 256"],
    [["--compression", "gzip:12"], 'cellfolio extract: --compression gzip:12: gzip level "12"; expected 0..9'],
    [
      ["--compression", "zstd"],
      `cellfolio extract: --compression zstd: not for an HDF5 output (${path.join(dir, "x.h5sc")}): stock h5py reads only gzip, lzf, none there; expected gzip[:level], lzf or none, or a .zarr output for zstd`,
    ],
    [["--cell-id", "3"], "cellfolio extract: unknown option --cell-id; did you mean --cell-ids?"],
    [["--nuclearchannel", "1"], "cellfolio extract: unknown option --nuclearchannel; did you mean --nuclear-channel?"],
    [["--size"], "cellfolio extract: --size needs a value (--size S)"],
    [["--image", NUC], `cellfolio extract: --image given twice (${IMG}, ${NUC}); expected it once`],
    [["--overwrite=yes"], "cellfolio extract: --overwrite is a switch and takes no value (write --overwrite alone)"],
  ])("extract %j", (extra, message) => {
    const r = cellfolio(...base(), ...extra);
    expect(r.first).toBe(message);
    expect(r.code).toBe(2);
  });

  it("--threads past the cores: a note that they add memory, not speed; the run goes on", () => {
    const n = availableParallelism() + 1;
    const r = cellfolio("extract", "--image", IMG, "--nucleus", NUC, "--size", "48", "--out", path.join(dir, "threads.h5sc"), "--threads", String(n));
    expect(r.code, r.stderr).toBe(0);
    expect(r.first).toBe(`note: --threads ${n} is more than the ${n - 1} cores here: threads past the cores add memory, not speed`);
  });

  it("names a missing required option and shows the usage line with every option", () => {
    const r = cellfolio("extract", "--image", IMG);
    expect(r.first).toBe("cellfolio extract: missing --nucleus MASK: nucleus label mask (integer TIFF or Zarr; 0 = background, each cell its id)");
    expect(r.stderr).toContain("usage: cellfolio extract --image IMG --nucleus MASK [--cytosol MASK] --out OUT [--size S]");
    for (const o of ["--sigma", "--dilation", "--quiet", "--json", "--shard-rows", "--part", "--finalize"]) expect(r.stderr).toContain(o);
    expect(r.code).toBe(2);
  });

  it("unknown outputs are refused by extract and convert alike", () => {
    const e = cellfolio(...base(path.join(dir, "cells.parquet")));
    expect(e.first).toBe(`cellfolio extract: --out ${path.join(dir, "cells.parquet")}: unknown output kind ".parquet"; expected a path ending in .h5sc, .h5ad or .h5 (HDF5) or .zarr (Zarr)`);
    expect(e.code).toBe(2);
    const c = cellfolio("convert", "in.h5sc", "out.parquet");
    expect(c.first).toBe('cellfolio convert: OUT out.parquet: unknown output kind ".parquet"; expected a path ending in .h5sc, .h5ad or .h5 (HDF5) or .zarr (Zarr)');
    expect(c.code).toBe(2);
    const n = cellfolio("convert", "in.h5sc", path.join(dir, "noext"));
    expect(n.first).toBe(`cellfolio convert: OUT ${path.join(dir, "noext")}: no extension, so no output kind; expected a path ending in .h5sc, .h5ad or .h5 (HDF5) or .zarr (Zarr)`);
    expect(n.code).toBe(2);
    expect(existsSync(path.join(dir, "noext"))).toBe(false);
  });

  it("unknown commands suggest the nearest; help COMMAND prints the command's help", () => {
    const r = cellfolio("extarct");
    expect(r.first).toBe('cellfolio: unknown command "extarct"; did you mean extract? (commands: extract, convert, info, validate, export, view, reference, lmd; cellfolio --help)');
    expect(r.code).toBe(2);
    const h = cellfolio("help", "extract");
    expect(h.code).toBe(0);
    expect(h.stdout).toBe(cellfolio("extract", "--help").stdout);
    expect(h.stdout).toContain("--verbose");
    expect(h.stdout).toContain("exit codes: 0 success, 1 bad input");
    expect(cellfolio("help", "exprot").first).toBe('cellfolio help: unknown command "exprot"; did you mean export? (commands: extract, convert, info, validate, export, view, reference, lmd; cellfolio --help)');
    const general = cellfolio("--help");
    expect(general.stdout).toContain("cellfolio help <command>");
    expect(general.stdout).toContain("--verbose");
    expect(general.stdout).toContain("2 usage error");
  });
});

describe("bad input: exit 1, said in flags", () => {
  it.each([
    [["--size", "600"], `cellfolio extract: --size 600 is larger than the image ${IMG} (512 x 512); expected at most 512`],
    [["--nuclear-channel", "5"], "cellfolio extract: --nuclear-channel 5: expected an index below the image's 3 channel(s)"],
    [["--channel-names", "a,b"], `cellfolio extract: --channel-names a,b: 2 names for the 3 channel(s) of ${IMG}; expected one per channel (--channel-names name0,name1,name2)`],
    [
      ["--cell-ids", "1,2", "--size", "48"],
      "cellfolio extract: --cell-ids 1,2: these cells are all at the border (the 48 x 48 crop around the centroid leaves the 512 x 512 image), so none is written; expected ids of cells away from the border, or --border pad to zero-pad their crops",
    ],
  ])("extract %j", (extra, message) => {
    const out = path.join(dir, "bad.h5sc");
    const r = cellfolio(...base(out), ...extra);
    expect(r.first).toBe(message);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it("a missing dataset is named as a file, with no element", () => {
    const missing = path.join(dir, "missing.h5sc");
    for (const command of ["info", "validate"]) {
      const r = cellfolio(command, missing);
      expect(r.first).toBe(`cellfolio ${command}: ${missing}: no such file or directory`);
      expect(r.code).toBe(1);
    }
  });

  it("an existing output: pass --overwrite", () => {
    const out = path.join(dir, "exists.h5sc");
    writeFileSync(out, "old");
    const r = cellfolio(...base(out));
    expect(r.first).toBe(`cellfolio extract: --out ${out}: already exists; pass --overwrite to replace it (it is replaced only once the new one is complete)`);
    expect(r.code).toBe(1);
  });

  it("--overwrite replaces an output, never a folder of the user's files or a folder under an .h5sc name", () => {
    const store = path.join(dir, "results.zarr");
    mkdirSync(path.join(store, "notes"), { recursive: true });
    writeFileSync(path.join(store, "notes/README.txt"), "mine");
    const z = cellfolio(...base(store), "--overwrite");
    expect(z.first).toBe(
      `cellfolio extract: ${store}: is a folder that is not a Zarr store (no zarr.json, .zgroup or .zarray at its top) and not empty; --overwrite replaces only a Zarr store or an empty folder: remove it yourself if it may go, or choose another path`,
    );
    expect(z.code).toBe(1);
    expect(readdirSync(path.join(store, "notes"))).toEqual(["README.txt"]);
    const folder = path.join(dir, "folder.h5sc");
    mkdirSync(folder);
    const h = cellfolio(...base(folder), "--overwrite");
    expect(h.first).toBe(`cellfolio extract: ${folder}: is a folder, not an HDF5 file; --overwrite replaces only an HDF5 file: remove it yourself if it may go, or choose another path`);
    expect(h.code).toBe(1);
    expect(readdirSync(dir).filter((n) => /^(results\.zarr|folder\.h5sc)\./.test(n))).toEqual([]);
  });

  it("view of an AnnData without cell images says so once; a port in use is named with its flag", async () => {
    const plain = path.join(dir, "plain.h5ad");
    py(`import anndata as ad, numpy as np, sys, json; ad.AnnData(np.zeros((3, 2), np.float32)).write_h5ad(json.loads(sys.stdin.read())); print("{}")`, plain);
    const r = cellfolio("view", plain);
    expect(r.first).toBe(
      `cellfolio view: ${plain}: not a single-cell image dataset (no obsm/single_cell_images, nor SPARCSpy's single_cell_data); expected an .h5sc / .h5ad file or a .zarr store written by cellfolio extract or convert`,
    );
    expect(r.code).toBe(1);
    const h5 = path.join(dir, "for-view.h5sc");
    expect(cellfolio(...base(h5), "--size", "48").code).toBe(0);
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", ok));
    const port = (busy.address() as AddressInfo).port;
    try {
      const v = await new Promise<{ code: number | null; err: string }>((ok) => {
        const child = spawn(process.execPath, [BIN, "view", h5, "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (d) => {
          err += d;
        });
        const kill = setTimeout(() => child.kill("SIGINT"), 20000);
        child.on("exit", (code) => {
          clearTimeout(kill);
          ok({ code, err });
        });
      });
      expect(v.err.trim()).toBe(`cellfolio view: --port ${port}: 127.0.0.1:${port} is in use by another program; expected a free port: give another --port, or none for a free one`);
      expect(v.code).toBe(1);
    } finally {
      busy.close();
    }
  });

  it("view refuses what is not a dataset before serving", () => {
    const r = cellfolio("view", IMG);
    expect(r.first).toBe(
      `cellfolio view: ${IMG}: not a single-cell image dataset (cannot open: not AnnData: neither an HDF5 file nor a Zarr store (.zarr directory or .zarr.zip)); expected an .h5sc / .h5ad file or a .zarr store written by cellfolio extract or convert`,
    );
    expect(r.code).toBe(1);
  });
});

describe("export", () => {
  const h5 = path.join(dir, "sample.h5sc");
  let ids: number[];
  beforeAll(() => {
    const r = cellfolio("extract", "--image", IMG, "--nucleus", NUC, "--cytosol", path.join(S, "cytosol.tif"), "--channel-names", "DNA,PH3,cellbody", "--size", "48", "--out", h5, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(""); // --json: no progress
    const summary = JSON.parse(r.stdout);
    expect(summary.cellsWritten).toBe(228);
    expect(summary.droppedAtBorder.slice(0, 3)).toEqual([1, 2, 3]);
    ids = py(`import json, sys, anndata as ad\nprint(json.dumps([int(x) for x in ad.read_h5ad(json.loads(sys.stdin.read())).obs["scportrait_cell_id"]]))`, h5);
  });

  it("names every cellID it cannot export, with the reason, and writes nothing", () => {
    const out = path.join(dir, "missing");
    const r = cellfolio("export", h5, "--cell-ids", `1,${ids[0]},99999`, "--out", out);
    expect(r.first).toBe(
      `cellfolio export: --cell-ids: 2 of 3 cellIDs cannot be exported from ${h5}: 1 (dropped at the border at extraction: its crop left the image; extract again with --border pad to keep it), 99999 (not in the dataset); nothing was written (leave them out, or see cellfolio info ${h5} for what it holds)`,
    );
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it("--cell-id is an alias of --cell-ids; a non-empty folder needs --overwrite; a file is not a folder", () => {
    const out = path.join(dir, "cells");
    expect(cellfolio("export", h5, "--cell-id", String(ids[0]), "--out", out).code).toBe(0);
    const again = cellfolio("export", h5, "--cell-ids", String(ids[1]), "--out", out);
    expect(again.first).toBe(`cellfolio export: --out ${out}: the folder holds 6 files already; give a new or empty folder, or pass --overwrite to write into it (files of the same name are replaced)`);
    expect(again.code).toBe(1);
    expect(cellfolio("export", h5, "--cell-ids", String(ids[1]), "--out", out, "--overwrite").code).toBe(0);
    const file = path.join(dir, "a-file.txt");
    writeFileSync(file, "x");
    const f = cellfolio("export", h5, "--rows", "0:2", "--out", file);
    expect(f.first).toBe(`cellfolio export: --out ${file}: is a file; expected a folder (new, or empty, or with --overwrite)`);
    expect(f.code).toBe(1);
    const both = cellfolio("export", h5, "--rows", "0:2", "--cell-ids", "3", "--out", path.join(dir, "both"));
    expect(both.first).toBe("cellfolio export: give exactly one of --cell-ids and --rows");
    expect(both.code).toBe(2);
    const ch = cellfolio("export", h5, "--rows", "0:2", "--channels", "nope", "--out", path.join(dir, "ch"));
    expect(ch.first).toBe('cellfolio export: --channels nope: no channel "nope"; expected names (nucleus_mask, cytosol_mask, DNA, PH3, cellbody) or indices 0..4');
    expect(ch.code).toBe(1);
  });

  it("labels the contact sheet with the cellIDs and the channel names", () => {
    const out = path.join(dir, "sheet");
    mkdirSync(out);
    const r = cellfolio("export", h5, "--cell-ids", `${ids[0]},${ids[1]}`, "--channels", "DNA,PH3", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["contact_sheet.png", `cell_${ids[0]}_DNA.png`, `cell_${ids[0]}_PH3.png`, `cell_${ids[1]}_DNA.png`, `cell_${ids[1]}_PH3.png`].sort());
    const sheet = py(
      `
import json, sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(json.loads(sys.stdin.read())))
print(json.dumps({"shape": list(a.shape), "header": int((a[:9, :] == 255).sum()), "left": int((a[11:, :10] == 255).sum())}))`,
      path.join(out, "contact_sheet.png"),
    );
    const idWidth = 2 + (String(Math.max(ids[0], ids[1])).length * 6 - 1) + 2;
    expect(sheet.shape).toEqual([11 + 2 * 50, idWidth + 2 * 50]);
    expect(sheet.header).toBeGreaterThan(20); // "DNA", "PH3" in white
    expect(sheet.left).toBeGreaterThan(10); // the cellIDs in white
  });
});

describe("export file names", () => {
  it("channels whose names differ only outside [A-Za-z0-9] or in case each get their own PNG", () => {
    const greek = path.join(dir, "greek.h5sc");
    const r = cellfolio(...base(greek), "--size", "48", "--channel-names", "PDGFRα,PDGFRβ,dna", "--cell-ids", "12");
    expect(r.code, r.stderr).toBe(0);
    // stored channels (no cytosol mask given): 0 nucleus_mask, 1 PDGFRα, 2 PDGFRβ, 3 dna
    const out = path.join(dir, "greek-png");
    const e = cellfolio("export", greek, "--cell-ids", "12", "--channels", "PDGFRα,PDGFRβ,dna,0", "--out", out);
    expect(e.code, e.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["cell_12_PDGFRα.png", "cell_12_PDGFRβ.png", "cell_12_dna.png", "cell_12_nucleus_mask.png", "contact_sheet.png"].sort());
    // two names one file on a case-insensitive disk, or after the characters a file name cannot hold: the channel index added
    const clash = path.join(dir, "clash.h5sc");
    expect(cellfolio(...base(clash), "--size", "48", "--channel-names", "DNA,dna,a/b", "--cell-ids", "12").code).toBe(0);
    const out2 = path.join(dir, "clash-png");
    const e2 = cellfolio("export", clash, "--cell-ids", "12", "--channels", "DNA,dna,a/b", "--out", out2);
    expect(e2.code, e2.stderr).toBe(0);
    expect(readdirSync(out2).sort()).toEqual(["cell_12_DNA_1.png", "cell_12_dna_2.png", "cell_12_a_b.png", "contact_sheet.png"].sort());
  });
});

describe("summaries", () => {
  it("a Zarr v3 output says which readers open it and how to get v2; --json is one object", () => {
    const out = path.join(dir, "v3.zarr");
    const r = cellfolio(...base(out).filter((a) => a !== "--quiet"), "--size", "48");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "Zarr v3: opens in zarr-python >= 3, anndata >= 0.11, cellfolio; for zarr-python 2 or an older anndata write Zarr v2 with --zarr-format 2 (or cellfolio convert OUT.zarr OUT-v2.zarr --zarr-format 2)",
    );
    const c = cellfolio("convert", out, path.join(dir, "v3-copy.zarr"), "--json");
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toBe("");
    const j = JSON.parse(c.stdout);
    expect(j.zarrFormat).toBe(3);
    expect(j.readers.opensWith).toEqual(["zarr-python >= 3", "anndata >= 0.11", "cellfolio"]);
    expect(j.bytes).toBeGreaterThan(0);
  });
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
