// `cellfolio view`'s server: ranges as RFC 9110 has them (checked against the
// bytes on disk), 404 / 416, nothing outside the dataset and the viewer, and
// the command itself (prints the URL, stops on Ctrl-C).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRange, serve } from "../../../packages/cli/src/serve.js";
import { REPO_ROOT } from "../../../test-utils/oracle.js";
import { CLI, cli } from "./harness.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-serve-"));
const viewer = path.join(tmp, "dist");
const file = path.join(tmp, "cells.h5sc");
const zarr = path.join(tmp, "cells.zarr");
const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);

beforeAll(() => {
  cli(["--version"]); // builds the CLI if it is not built
  mkdirSync(viewer);
  writeFileSync(path.join(viewer, "index.html"), "<!doctype html><title>viewer</title>");
  writeFileSync(file, bytes);
  mkdirSync(path.join(zarr, "obs"), { recursive: true });
  writeFileSync(path.join(zarr, "zarr.json"), '{"zarr_format":3}');
  writeFileSync(path.join(zarr, "obs", "zarr.json"), "{}");
  writeFileSync(path.join(tmp, "secret.txt"), "no");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("parseRange", () => {
  it("reads single ranges, open ends and suffixes; unsatisfiable is null", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual([0, 9]);
    expect(parseRange("bytes=90-", 100)).toEqual([90, 99]);
    expect(parseRange("bytes=90-200", 100)).toEqual([90, 99]);
    expect(parseRange("bytes=-10", 100)).toEqual([90, 99]);
    expect(parseRange("bytes=-500", 100)).toEqual([0, 99]);
    expect(parseRange("bytes=100-", 100)).toBeNull();
    expect(parseRange("bytes=5-2", 100)).toBeNull();
    expect(parseRange("bytes=-0", 100)).toBeNull();
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange("items=0-1", 100)).toBeUndefined();
  });
});

describe("serve", () => {
  it("serves a file dataset by range, the viewer at /, and nothing else", async () => {
    const s = await serve({ dataset: file, viewerDir: viewer });
    try {
      expect(s.url).toBe(`http://127.0.0.1:${s.port}/?url=/data/cells.h5sc`);
      const page = await fetch(s.url);
      expect(await page.text()).toContain("<title>viewer</title>");
      const part = await fetch(s.dataUrl, { headers: { Range: "bytes=100-199" } });
      expect(part.status).toBe(206);
      expect(part.headers.get("content-range")).toBe("bytes 100-199/1000");
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
      const tail = await fetch(s.dataUrl, { headers: { Range: "bytes=-8" } });
      expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.subarray(992));
      const whole = await fetch(s.dataUrl);
      expect(whole.status).toBe(200);
      expect(whole.headers.get("accept-ranges")).toBe("bytes");
      expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
      const bad = await fetch(s.dataUrl, { headers: { Range: "bytes=1000-" } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get("content-range")).toBe("bytes */1000");
      expect((await fetch(`${s.dataUrl}/x`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${s.port}/../secret.txt`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${s.port}/%2e%2e/secret.txt`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it("serves a .zarr directory's keys, not what lies beside it", async () => {
    const s = await serve({ dataset: zarr, viewerDir: viewer });
    try {
      expect(await (await fetch(`${s.dataUrl}/zarr.json`)).text()).toBe('{"zarr_format":3}');
      expect(await (await fetch(`${s.dataUrl}/obs/zarr.json`)).text()).toBe("{}");
      expect((await fetch(`${s.dataUrl}/missing/zarr.json`)).status).toBe(404);
      expect((await fetch(`${s.dataUrl}/%2e%2e/secret.txt`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe("cellfolio view", () => {
  // view opens the dataset before serving: a real one, extracted from the sample
  const real = path.join(tmp, "real", "cells.h5sc");
  beforeAll(() => {
    const sample = path.join(REPO_ROOT, "test-data", "sample");
    const r = spawnSync(
      process.execPath,
      [CLI, "extract", "--image", path.join(sample, "image.tif"), "--nucleus", path.join(sample, "nucleus.tif"), "--size", "32", "--out", real, "--quiet"],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
  });

  it("prints the URL, serves the dataset with the viewer and stops on SIGINT", async () => {
    const child = spawn(process.execPath, [CLI, "view", real, "--viewer", viewer], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on("data", (d) => {
        out += d;
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?url=\/data\/cells\.h5sc)/.exec(out);
        if (m) ok(m[1]);
      });
      child.on("exit", (code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    const data = new URL("/data/cells.h5sc", url).href;
    const part = await fetch(data, { headers: { Range: "bytes=0-3" } });
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(new Uint8Array(readFileSync(real).subarray(0, 4)));
    expect(await (await fetch(url)).text()).toBe(readFileSync(path.join(viewer, "index.html"), "utf8"));
    const code = await new Promise<number | null>((ok) => {
      child.on("exit", ok);
      child.kill("SIGINT");
    });
    expect(code).toBe(0);
  });

  it("fails with a clear message for a missing dataset or an unbuilt viewer", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((ok) => {
        const c = spawn(process.execPath, [CLI, "view", ...args], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        c.stderr.on("data", (d) => {
          err += d;
        });
        c.on("exit", (code) => ok({ code, err }));
      });
    const missing = await run([path.join(tmp, "nope.zarr")]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("nope.zarr: no such file or directory");
    const unbuilt = await run([real, "--viewer", path.join(tmp, "empty")]);
    expect(unbuilt.code).toBe(1);
    expect(unbuilt.err).toContain("the viewer is not built");
    // not a dataset (1000 bytes of noise named .h5sc): refused before serving
    const noise = await run([file, "--viewer", viewer]);
    expect(noise.code).toBe(1);
    expect(noise.err).toBe(
      `cellfolio view: ${file}: not a single-cell image dataset (cannot open: not AnnData: neither an HDF5 file nor a Zarr store (.zarr directory or .zarr.zip)); expected an .h5sc / .h5ad file or a .zarr store written by cellfolio extract or convert\n`,
    );
  });
});
