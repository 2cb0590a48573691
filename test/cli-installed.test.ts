// The cellfolio command as a user installs it: `npm i -g --prefix <temp>` of
// the six tarballs (no workspace, no repo paths), then `cellfolio extract` on
// the bundled sample and `cellfolio view` of the result: the page, a script of
// it and the dataset are served from the installed package, and SIGINT stops it;
// and the sample as LZW- and JPEG 2000-tiled OME-TIFFs, whose tiles decode on
// the installed package's own reader threads (dist/tile-worker.js; OpenJPEG's
// WebAssembly from its dependency), to the same cells; and the packages in a
// worker thread of the user's.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer, TEST_DATA } from "../test-utils/oracle.js";
import { installGlobal, PUBLISHED, packAll } from "../test-utils/packed.js";

let prefix: string;
let work: string;
let bin: string;
let tarballDir: string;
/** The child's environment: nothing that points the CLI at the repo's viewer. */
const env = { ...process.env };
delete env.CELLFOLIO_VIEWER_DIR;

beforeAll(() => {
  const packed = packAll();
  tarballDir = path.dirname(packed["@cellfolio/cli"].tarball);
  prefix = installGlobal(PUBLISHED.map((n) => packed[n].tarball));
  bin = path.join(prefix, "bin", "cellfolio");
  work = mkdtempSync(path.join(tmpdir(), "cellfolio-cli-installed-"));
});
afterAll(() => {
  for (const d of [prefix, work, tarballDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const run = (args: string[]) => execFileSync(bin, args, { cwd: work, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("cellfolio installed with npm i -g from the tarballs", () => {
  it("is a command of its own, and every package is requirable from CommonJS", () => {
    expect(run(["--version"]).trim()).toBe("0.1.0");
    const lib = path.join(prefix, "lib");
    const out = execFileSync(process.execPath, ["-e", `for (const n of ${JSON.stringify(PUBLISHED)}) require(n); console.log("ok")`], { cwd: lib, encoding: "utf8" });
    expect(out.trim()).toBe("ok");
  });

  it("every package imports in a worker thread of the user's, and a TIFF geotiff reads opens there (geotiff's web-worker dependency kept from the thread)", () => {
    // A CellProfiler example image: uint8, a layout our reader leaves to geotiff.
    const file = path.join(TEST_DATA, "real-images/cellprofiler-examplehuman/AS_09125_050116030001_D03f00d1.tif");
    const script = `
import { Worker } from "node:worker_threads";
import { openImageSource } from "@cellfolio/extract";
const names = ${JSON.stringify(PUBLISHED)};
const file = ${JSON.stringify(file)};
const read = async (open) => {
  const src = await open(file);
  const [plane] = await src.readWindow(100, 200, 30, 40);
  await src.close();
  return Array.from(plane);
};
const inWorker = (workerData) =>
  new Promise((ok) => {
    const code = \`
import threads from "node:worker_threads";
try {
  for (const n of \${JSON.stringify(names)}) await import(n);
  const { openImageSource } = await import("@cellfolio/extract");
  const src = await openImageSource(\${JSON.stringify(file)});
  const [plane] = await src.readWindow(100, 200, 30, 40);
  await src.close();
  threads.parentPort.postMessage({ values: Array.from(plane), workerData: threads.workerData ?? null });
} catch (e) {
  threads.parentPort.postMessage({ error: String(e && e.message) });
}\`;
    // an ES module, as a user's worker file would be
    const w = new Worker(code, { eval: true, execArgv: ["--input-type=module"], ...(workerData === undefined ? {} : { workerData }) });
    // a thread web-worker took over answers nothing: said, not waited for
    const quiet = setTimeout(() => ok({ error: "no answer in 20 s" }), 20000);
    const done = (m) => {
      clearTimeout(quiet);
      w.terminate();
      ok(m);
    };
    w.once("message", done);
    w.once("error", (e) => done({ error: e.message }));
  });
console.log(JSON.stringify({ main: await read(openImageSource), none: await inWorker(undefined), own: await inWorker({ mod: "./not-a-module.js", job: 7 }) }));
`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: path.join(prefix, "lib"), encoding: "utf8", timeout: 120_000 }));
    expect(out.main).toHaveLength(30 * 40);
    expect(new Set(out.main).size).toBeGreaterThan(10); // a window of the cells, not background
    // without workerData (web-worker 1.5.0 threw at import), and with the user's own holding a `mod` (web-worker ran it)
    expect(out.none).toEqual({ values: out.main, workerData: null });
    expect(out.own).toEqual({ values: out.main, workerData: { mod: "./not-a-module.js", job: 7 } });
  });

  it("extracts the sample and serves it with the viewer it ships; SIGINT stops it", async () => {
    const sample = path.join(TEST_DATA, "sample");
    const dataset = path.join(work, "sample.h5sc");
    run(["extract", "--image", path.join(sample, "image.tif"), "--nucleus", path.join(sample, "nucleus.tif"), "--cytosol", path.join(sample, "cytosol.tif"), "--channel-names", "DNA,PH3,cellbody", "--size", "48", "--out", dataset]);

    const child = spawn(bin, ["view", dataset], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((ok) => child.on("exit", ok));
    try {
      const url = await new Promise<string>((ok, fail) => {
        child.stdout.on("data", (d) => {
          out += d;
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
          if (m) ok(m[1]);
        });
        exited.then((code) => fail(new Error(`cellfolio view exited ${code}: ${out}${err}`)));
      });
      expect(new URL(url).searchParams.get("url")).toBe("/data/sample.h5sc");

      // the page is the copy inside the installed package
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toBe(readFileSync(path.join(prefix, "lib/node_modules/@cellfolio/cli/dist/viewer/index.html"), "utf8"));
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      expect(script, html).toBeTruthy();
      const js = await fetch(new URL(script as string, url));
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toMatch(/javascript/);
      expect((await js.text()).length).toBeGreaterThan(1000);

      // the dataset by range, as the page reads it: an HDF5 signature
      const data = await fetch(new URL("/data/sample.h5sc", url), { headers: { Range: "bytes=0-7" } });
      expect(data.status).toBe(206);
      expect([...new Uint8Array(await data.arrayBuffer())]).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  it.skipIf(skipPeer("latest"))("extracts the sample written as LZW (bfconvert's kind) and JPEG 2000 (Xenium's) tiled OME-TIFFs to the same cells", () => {
    const sample = path.join(TEST_DATA, "sample");
    // tifffile + imagecodecs (the latest peer) write LZW tiles with the horizontal predictor, and lossless JPEG 2000 tiles
    pyPeer(
      "latest",
      `import os, tifffile
src, work = ${JSON.stringify(sample)}, ${JSON.stringify(work)}
for kind, opts in (("lzw", dict(compression="lzw", predictor=True)), ("jpeg2000", dict(compression="jpeg2000"))):
    os.makedirs(f"{work}/{kind}", exist_ok=True)
    for name in ("image", "nucleus", "cytosol"):
        a = tifffile.imread(f"{src}/{name}.tif")
        extra = dict(ome=True, metadata={"axes": "CYX"}) if name == "image" else {}
        tifffile.imwrite(f"{work}/{kind}/{name}.tif", a, photometric="minisblack", tile=(64, 64), **opts, **extra)
print("{}")`,
    );
    const outs = ["plain", "lzw", "jpeg2000"].map((kind) => {
      const dir = kind === "plain" ? sample : path.join(work, kind);
      const out = path.join(work, `${kind}.h5sc`);
      run(["extract", "--image", path.join(dir, "image.tif"), "--nucleus", path.join(dir, "nucleus.tif"), "--cytosol", path.join(dir, "cytosol.tif"), "--size", "48", "--out", out, "--quiet"]);
      return out;
    });
    const same = pyPeer(
      "latest",
      `import h5py, json, numpy as np
a, *others = (h5py.File(p, "r") for p in ${JSON.stringify(outs)})
x = a["obsm/single_cell_images"][()]
print(json.dumps({"shape": list(x.shape), "equal": [bool(np.array_equal(x, b["obsm/single_cell_images"][()])) for b in others], "ids": [bool(np.array_equal(a["obs/scportrait_cell_id"][()], b["obs/scportrait_cell_id"][()])) for b in others]}))`,
    );
    expect(same.shape[0]).toBeGreaterThan(10);
    expect(same).toMatchObject({ equal: [true, true], ids: [true, true] });
  });
});
