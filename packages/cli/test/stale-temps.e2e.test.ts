// Runs killed with SIGKILL cannot clean up: their temporary outputs
// (`<out>.tmp-<pid>.<random>.<host>`) stay. The next run writing into the same
// folder removes those whose process is gone, keeps those of live processes,
// and writes a valid output. The real binary, killed once its temporary
// output exists.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pyPeer, REPO_ROOT, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-stale-"));
const out = path.join(dir, "out");
mkdirSync(out);

/** Runs the CLI and SIGKILLs it once stderr shows `when` (its temporary output exists from then on). */
function kill(args: string[], when: RegExp): Promise<{ signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill("SIGKILL");
      }
    });
    child.stdout.resume();
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, stderr }));
  });
}

const temps = () => readdirSync(out).filter((f) => f.includes(".tmp-"));

describe.skipIf(skipPeer("latest"))("temporary outputs of killed runs", () => {
  const input = path.join(dir, "cells.h5sc");
  beforeAll(() => {
    const args = ["extract", "--image", path.join(SAMPLE, "image.tif"), "--nucleus", path.join(SAMPLE, "nucleus.tif")];
    const made = spawnSync(process.execPath, [BIN, ...args, "--cytosol", path.join(SAMPLE, "cytosol.tif"), "--size", "128", "--out", input, "--quiet"], {
      encoding: "utf8",
    });
    expect(made.status, made.stderr).toBe(0);
  });

  it("stay after SIGKILL, and the next run into the folder removes them and writes a valid output", async () => {
    const h5 = path.join(out, "copy.h5sc");
    const zarr = path.join(out, "copy.zarr");
    const killed = async (target: string) => {
      const r = await kill(["convert", input, target, "--compression", "gzip:9"], /writing /);
      expect(r.signal, r.stderr).toBe("SIGKILL");
      expect(existsSync(target)).toBe(false);
    };
    const tempOf = (name: string) => new RegExp(`^${name.replace(".", "\\.")}\\.tmp-\\d+\\.[0-9a-f]{8}\\.`);
    await killed(h5);
    expect(temps().filter((f) => tempOf("copy.h5sc").test(f))).toHaveLength(1);
    // The next run into the folder (another output) removes it; its own temporary stays when it is killed in turn.
    await killed(zarr);
    expect(temps().filter((f) => tempOf("copy.h5sc").test(f))).toEqual([]);
    expect(temps().filter((f) => tempOf("copy.zarr").test(f))).toHaveLength(1);

    // Temporaries of a live process (this test's) and of another host are not touched.
    const host = hostname().replace(/[^A-Za-z0-9-]/g, "_").slice(0, 32);
    const live = `other.h5sc.tmp-${process.pid}.0123abcd.${host}`;
    const remote = `other.h5sc.tmp-999999.0123abcd.${host === "elsewhere" ? "elsewhere2" : "elsewhere"}`;
    writeFileSync(path.join(out, live), "being written");
    writeFileSync(path.join(out, remote), "being written on another node");

    const again = spawnSync(process.execPath, [BIN, "convert", input, h5, "--quiet"], { encoding: "utf8" });
    expect(again.status, again.stderr).toBe(0);
    expect(temps().sort()).toEqual([live, remote].sort());
    expect(spawnSync(process.execPath, [BIN, "validate", h5]).status).toBe(0);
    // h5py reads the output equal to the input
    const same = pyPeer(
      "latest",
      `import sys, json, h5py, numpy as np
a, b = json.loads(sys.stdin.read())
with h5py.File(a) as fa, h5py.File(b) as fb:
    k = "obsm/single_cell_images"
    print(json.dumps(bool(np.array_equal(fa[k][()], fb[k][()]))))`,
      [input, h5],
    );
    expect(same).toBe(true);
  });
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
