// Cluster extraction without a scheduler: 4 parts of one slide run as separate
// processes of the built CLI into one Zarr v3 store, then finalize; the store
// must equal a single-process extraction of the same slide (zarr-python 3
// judges every array, float16 bit for bit), and anndata must read it after
// cellfolio convert. Faults: a part killed mid-write, two finalizes at once.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Slide } from "../pipeline/helpers.js";
import { tempDir } from "../pipeline/helpers.js";
import { anndataReads, compareStores, extractArgs, partsSlide, runCli, startCli, zarrRefuses } from "./helpers.js";

let slide: Slide;
let work: string;
let single: string;
let args: string[];

beforeAll(() => {
  slide = partsSlide();
  work = tempDir("parts");
  args = extractArgs(slide);
  single = path.join(work, "single.zarr");
  const r = runCli(["extract", ...args, "--out", single]);
  if (r.code !== 0) throw new Error(`single-process extraction failed: ${r.stderr}`);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(slide.dir, { recursive: true, force: true });
});

async function runParts(out: string, indices: number[], count: number): Promise<void> {
  const runs = await Promise.all(indices.map((i) => startCli(["extract", ...args, "--out", out, "--part", `${i}/${count}`]).done));
  runs.forEach((r, k) => {
    if (r.code !== 0) throw new Error(`part ${indices[k]}/${count} failed (exit ${r.code}): ${r.stderr}`);
  });
}

/** Files under `dir` whose path contains `/c/` (shard files being written), recursively. */
function shardFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.split(path.sep).includes("c"));
}

describe("extract --part I/N and --finalize", () => {
  it("4 parts as separate processes + finalize equal a single-process extraction; zarr-python 3 and anndata (after convert) read it", async () => {
    const out = path.join(work, "four.zarr");
    await runParts(out, [0, 1, 2, 3], 4);
    // Before finalize the store is no dataset: no root metadata at all.
    expect(zarrRefuses(out).refused).toBe(true);
    const v = runCli(["validate", out]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`every part is complete: run cellfolio extract --finalize ${out}`);

    const f = runCli(["extract", "--finalize", out]);
    expect(f.stderr).toBe("");
    expect(f.code).toBe(0);
    expect(readdirSync(path.join(out, ".cellfolio/tmp"))).toEqual([]);

    const cmp = compareStores(out, single);
    expect(cmp.diffs).toEqual([]);
    expect(cmp.arrays).toBeGreaterThan(8);
    expect(cmp.shards[0]).toBe(256);
    expect(cmp.shape[0]).toBeGreaterThan(2000);
    expect(cmp.nonzero).toBeGreaterThan(cmp.shape[0] * 32 * 32); // real pixels, not zeros everywhere
    // Rows in cellID order: the kept ids of the slide (the mask's ids minus the dropped ones), ascending.
    expect(cmp.ids).toEqual([...cmp.ids].sort((a, b) => a - b));
    expect(new Set(cmp.ids).size).toBe(cmp.ids.length);
    expect(cmp.ids.every((id) => slide.ids.includes(id))).toBe(true);
    // The shards were split between the parts: no part wrote another's shard.
    const keys = [0, 1, 2, 3].map((i) => JSON.parse(readFileSync(path.join(out, `.cellfolio/parts/part-${i}.json`), "utf8")).keys as string[]);
    expect(keys.every((k) => k.length > 0)).toBe(true);
    expect(new Set(keys.flat()).size).toBe(keys.flat().length);
    expect(keys.flat().length).toBe(Math.ceil(cmp.shape[0] / 256));

    const h5ad = path.join(work, "four.h5ad");
    const c = runCli(["convert", out, h5ad, "--quiet"]);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const ad = anndataReads(h5ad);
    expect(ad.n_obs).toBe(cmp.shape[0]);
    expect(ad.ids).toEqual(cmp.ids);
    expect(ad.images).toEqual(cmp.shape);
    expect(runCli(["validate", out]).code).toBe(0);
  }, 240_000);

  it("a part killed mid-write makes finalize refuse, naming it; rerunning it makes finalize succeed with equal output", async () => {
    const out = path.join(work, "killed.zarr");
    await runParts(out, [0, 1, 3], 4);
    const victim = startCli(["extract", ...args, "--out", out, "--part", "2/4"]);
    // Kill it once it has shard files open in its scratch store (mid-write).
    const scratch = path.join(out, ".cellfolio/tmp");
    const deadline = Date.now() + 60_000;
    let seen = false;
    while (!seen && Date.now() < deadline && victim.child.exitCode === null) {
      seen = shardFilesUnder(scratch).length > 0;
      if (!seen) await new Promise((r) => setTimeout(r, 5));
    }
    if (!seen) {
      const r = await victim.done;
      expect.fail(`part 2/4 ended (exit ${r.code}) before it was seen writing shards: ${r.stderr}`);
    }
    victim.child.kill("SIGKILL");
    expect((await victim.done).signal).toBe("SIGKILL");

    const refused = runCli(["extract", "--finalize", out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/part 2\/4 is incomplete/);
    expect(refused.stderr).not.toMatch(/part [013]\/4/);
    expect(zarrRefuses(out).refused).toBe(true);

    // A part never started is named too.
    const missing = path.join(work, "missing.zarr");
    await runParts(missing, [1], 4);
    const m = runCli(["extract", "--finalize", missing]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/part 0\/4 is missing/);
    expect(m.stderr).toMatch(/part 2\/4 is missing/);
    expect(m.stderr).toMatch(/part 3\/4 is missing/);

    await runParts(out, [2], 4);
    const f = runCli(["extract", "--finalize", out]);
    expect(f.stderr).toBe("");
    expect(f.code).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
    expect(compareStores(out, single).diffs).toEqual([]);
  }, 240_000);

  it("two finalizes at once: exactly one succeeds, the other fails clearly, the store stays whole", async () => {
    const out = path.join(work, "race.zarr");
    await runParts(out, [0, 1, 2, 3], 4);
    const runs = await Promise.all([startCli(["extract", "--finalize", out]).done, startCli(["extract", "--finalize", out]).done]);
    const codes = runs.map((r) => r.code).sort();
    expect(codes).toEqual([0, 1]);
    const loser = runs.find((r) => r.code === 1);
    expect(loser?.stderr).toMatch(/another finalize holds|is already finalized/);
    expect(existsSync(path.join(out, ".cellfolio/finalize.lock"))).toBe(false);
    expect(compareStores(out, single).diffs).toEqual([]);
    // A part cannot be rerun into a finished store.
    const late = runCli(["extract", ...args, "--out", out, "--part", "0/4"]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already finalized/);
  }, 240_000);

  it("labels from a CSV: finalize reads them again into obs, equal to a single run with the same labels", async () => {
    const csv = path.join(work, "labels.csv");
    const ids = slide.ids.slice(0, 500);
    writeFileSync(csv, `cellID,score,kind\n${ids.map((id, k) => `${id},${(k * 0.37).toFixed(2)},${k % 3 === 0 ? "a" : "b"}`).join("\n")}\n`);
    const withLabels = [...args, "--labels", csv];
    const one = path.join(work, "labels-single.zarr");
    expect(runCli(["extract", ...withLabels, "--out", one]).code).toBe(0);
    const out = path.join(work, "labels-parts.zarr");
    const runs = await Promise.all([0, 1].map((i) => startCli(["extract", ...withLabels, "--out", out, "--part", `${i}/2`]).done));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runCli(["extract", "--finalize", out]).code).toBe(0);
    const cmp = compareStores(out, one);
    expect(cmp.diffs).toEqual([]);
    expect(cmp.arrays).toBeGreaterThan(10); // obs/score and obs/kind are there too
  }, 120_000);

  it("refuses HDF5 output for parts, bad part specs and parts with other options", async () => {
    const h5 = runCli(["extract", ...args, "--out", path.join(work, "x.h5sc"), "--part", "0/2"]);
    expect(h5.code).toBe(2);
    expect(h5.stderr).toMatch(/cellfolio convert/);
    const bad = runCli(["extract", ...args, "--out", path.join(work, "y.zarr"), "--part", "4/4"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--part 4/4: expected I/N with 0 <= I < N (e.g. --part 0/4)");
    const out = path.join(work, "mixed.zarr");
    await runParts(out, [0], 2);
    const other = runCli(["extract", ...args.map((a) => (a === "32" ? "48" : a)), "--out", out, "--part", "1/2"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/plan .* written by a part with other inputs or options/);
  }, 120_000);
});
