// Cluster extraction on a real Slurm: Debian's slurm-wlm + munge, slurmctld and
// slurmd on 127.0.0.1 (.ci/slurm-setup.sh), the example scripts of
// examples/slurm submitting an array job of 4 parts and a finalize job that
// depends on it. The store must equal a single-process extraction. If Slurm
// cannot be started the test fails; CELLFOLIO_NO_SLURM=1 skips it.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../../test-utils/oracle.js";
import { jobStates, slurmDisabled, startSlurm, stopSlurm, waitForJob } from "../../../../test-utils/slurm.js";
import { type Slide, tempDir } from "../pipeline/helpers.js";
import { anndataReads, CLI, compareStores, extractArgs, partsSlide, runCli } from "./helpers.js";

const disabled = slurmDisabled();
const SUBMIT = path.join(REPO_ROOT, "examples/slurm/submit.sh");

describe.skipIf(disabled !== null)(`on a real Slurm${disabled ? ` (skipped: ${disabled})` : ""}`, () => {
  let slide: Slide;
  let work: string;
  let single: string;

  beforeAll(() => {
    startSlurm(); // throws, failing the test loudly, when the daemons do not come up
    slide = partsSlide();
    work = tempDir("slurm");
    single = path.join(work, "single.zarr");
    const r = runCli(["extract", ...extractArgs(slide), "--out", single]);
    if (r.code !== 0) throw new Error(`single-process extraction failed: ${r.stderr}`);
  }, 300_000);

  afterAll(() => {
    stopSlurm();
    if (work) rmSync(work, { recursive: true, force: true });
    if (slide) rmSync(slide.dir, { recursive: true, force: true });
  });

  it("an sbatch --array=0-3 job of 4 parts and a dependent finalize job write the same store as one process", async () => {
    const out = path.join(work, "slurm.zarr");
    const sub = spawnSync("bash", [SUBMIT, "4"], {
      cwd: work,
      encoding: "utf8",
      env: {
        ...process.env,
        IMAGE: slide.image,
        NUCLEUS: slide.nucleus,
        CYTOSOL: slide.cytosol,
        OUT: out,
        EXTRACT_ARGS: "--size 32 --shard-rows 256",
        CELLFOLIO: `${process.execPath} ${CLI}`,
      },
    });
    expect(sub.stderr).toBe("");
    expect(sub.status).toBe(0);
    const [arrayId, finalId] = sub.stdout.trim().split(/\s+/);
    expect(arrayId).toMatch(/^\d+$/);
    expect(finalId).toMatch(/^\d+$/);
    // The finalize job waits on the array (afterok), and both run to completion.
    const logs = () => readdirSync(work).filter((f) => f.endsWith(".out")).map((f) => `${f}:\n${readFileSync(path.join(work, f), "utf8")}`).join("\n");
    const arrayStates = await waitForJob(arrayId, 240_000);
    expect(arrayStates, logs()).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]);
    expect(await waitForJob(finalId, 120_000), logs()).toEqual(["COMPLETED"]);
    expect(jobStates(finalId)).toEqual(["COMPLETED"]);
    const records = [0, 1, 2, 3].map((i) => JSON.parse(readFileSync(path.join(out, `.cellfolio/parts/part-${i}.json`), "utf8")));
    expect(records.map((r) => r.status)).toEqual(["complete", "complete", "complete", "complete"]);
    expect(readFileSync(path.join(work, `cellfolio-finalize-${finalId}.out`), "utf8")).toMatch(/from 4 parts/);

    const cmp = compareStores(out, single);
    expect(cmp.diffs).toEqual([]);
    expect(cmp.shape[0]).toBeGreaterThan(2000);
    const h5ad = path.join(work, "slurm.h5ad");
    const c = runCli(["convert", out, h5ad, "--quiet"]);
    expect(c.code).toBe(0);
    const ad = anndataReads(h5ad);
    expect(ad.ids).toEqual(cmp.ids);
    expect(ad.images).toEqual(cmp.shape);
  }, 400_000);
});
