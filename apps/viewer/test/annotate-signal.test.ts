// Ctrl-C while `cellfolio view --annotate` writes labels into a dataset: the
// rewrite's temporary store goes, the dataset stays as it was (zarr-python
// reads it, without the column), and the exit code is 130.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, pyZarr3 } from "../../../test-utils/oracle.js";
import { writeBigDataset } from "./big-dataset.js";
import { buildViewer, CLI, cli } from "./harness.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-annotate-sig-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasZarr3())("Ctrl-C during a save into the dataset", () => {
  it("removes the temporary store and leaves the dataset as it was", async () => {
    cli(["--version"]); // built
    const store = path.join(tmp, "cells.zarr");
    const N = 20_000; // a rewrite of ~30 MB in 156 shards: long enough to be interrupted
    writeBigDataset(store, N, 16);
    const dist = buildViewer();
    const child = spawn(process.execPath, [CLI, "view", store, "--viewer", dist, "--annotate"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
    const url = await new Promise<URL>((ok, fail) => {
      child.stdout.on("data", (d) => {
        out += d;
        const m = /open (\S+#annotate=([\w-]+))\n/.exec(out);
        if (m) ok(new URL(m[1]));
      });
      child.on("exit", (code) => fail(new Error(`view exited ${code}: ${out}${err}`)));
    });
    const token = new URLSearchParams(url.hash.slice(1)).get("annotate") as string;
    const cells = Array.from({ length: 500 }, (_, i) => ({ cellId: 1000 + 2 * i, label: i % 2 }));
    const save = fetch(new URL("/api/labels", url), {
      method: "POST",
      headers: { Origin: url.origin, "Content-Type": "application/json", "X-Cellfolio-Token": token },
      body: JSON.stringify({ target: "obs", column: "cell_class", classes: ["a", "b"], cells }),
    }).catch((e: Error) => e);
    // signalled once the temporary store exists
    const deadline = Date.now() + 30_000;
    while (!readdirSync(tmp).some((f) => f.startsWith("cells.zarr.tmp-")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(tmp).some((f) => f.startsWith("cells.zarr.tmp-")), "the save never started writing").toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await save).toBeInstanceOf(Error); // the connection ended without an answer
    expect(err).toMatch(/interrupted \(SIGINT\); removed .*cells\.zarr\.tmp-/);
    expect(readdirSync(tmp).sort()).toEqual(["cells.zarr"]);
    const back = pyZarr3(
      `
import json, sys, zarr
g = zarr.open_group(json.loads(sys.stdin.read()), mode="r")
print(json.dumps({"obs": sorted(g["obs"].keys()), "n": g["obsm/single_cell_images"].shape[0]}))
`,
      store,
    );
    expect(back).toEqual({ obs: ["_index", "class", "scportrait_cell_id"], n: N });
    expect(existsSync(`${store}.labels.csv`)).toBe(false);
  }, 240_000);
});
