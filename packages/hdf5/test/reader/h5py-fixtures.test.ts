// Files written by h5py 3.7 (default format) and h5py 3.16 (libver="latest"):
// our tree, attributes, chunk index and decoded values equal h5py's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3 } from "../../../../test-utils/oracle.js";
import { Hdf5File } from "../../src/reader/index.js";
import { compareFile, DUMP_SCRIPT, FIXTURE_SCRIPT } from "./oracle-compare.js";

const dir = mkdtempSync(path.join(tmpdir(), "hdf5-reader-"));
const DEFAULT = ["filters.h5", "resized.h5", "dtypes.h5", "groups.h5", "scportrait.h5sc"];
const LATEST = ["latest_indexes.h5", "filters_latest.h5", "resized_latest.h5", "dtypes_latest.h5", "groups_latest.h5"];

beforeAll(() => {
  py(FIXTURE_SCRIPT, { dir, set: "default" });
  if (hasZarr3()) pyZarr3(FIXTURE_SCRIPT, { dir, set: "latest" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(name: string, oracle: typeof py) {
  const file = path.join(dir, name);
  const dump = oracle(DUMP_SCRIPT, { file, values: true, chunks: true });
  const f = await Hdf5File.open(file);
  const diffs: string[] = [];
  try {
    await compareFile(f, dump, diffs);
  } finally {
    await f.close();
  }
  expect(diffs).toEqual([]);
  return dump;
}

describe("files written by h5py 3.7 (Debian 12, default format)", () => {
  it.each(DEFAULT)("%s equals h5py 3.7's read", async (name) => {
    const dump = await check(name, py);
    expect(Object.keys(dump).length).toBeGreaterThan(3);
  });
});

describe.skipIf(!hasZarr3())("files written by h5py 3.16 with libver='latest' (v4 chunk indexes, v2 object headers)", () => {
  it.each(LATEST)("%s equals h5py 3.16's read", async (name) => {
    await check(name, pyZarr3);
  });
});
