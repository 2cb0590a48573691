// One error base across the packages: each package's error is a
// CellfolioError (the class of @cellfolio/codecs, the same one every package
// re-exports) whose `code`, `file` and `element` say what failed and where.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CellfolioError as CodecsError } from "@cellfolio/codecs";
import { checkCalibration, extract, isCellfolioError as extractGuard } from "@cellfolio/extract";
import { CellfolioError, isCellfolioError, openStore } from "@cellfolio/format";
import { Hdf5File } from "@cellfolio/hdf5";
import { openDataset } from "@cellfolio/lazy";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_DATA } from "../test-utils/oracle.js";

const dir = mkdtempSync(path.join(tmpdir(), "errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("every package's errors extend one CellfolioError", () => {
  it("is the same class in every package", () => {
    expect(CellfolioError).toBe(CodecsError);
    expect(extractGuard).toBe(isCellfolioError);
  });

  it("hdf5: a file that is not HDF5 names the file", async () => {
    const f = path.join(dir, "not.h5");
    writeFileSync(f, "this is not an HDF5 file, only text long enough to hold a superblock".repeat(4));
    const e = await caught(Hdf5File.open(f));
    expect(isCellfolioError(e, "hdf5")).toBe(true);
    expect((e as CellfolioError).file).toBe(f);
    expect((e as CellfolioError).message.startsWith(`${f}: `)).toBe(true);
  });

  it("hdf5: a missing file is a source error naming the path", async () => {
    const f = path.join(dir, "missing.h5");
    const e = await caught(Hdf5File.open(f));
    expect(isCellfolioError(e)).toBe(true);
    expect((e as CellfolioError).file).toBe(f);
    expect(isCellfolioError(e, "hdf5")).toBe(false);
  });

  it("format and lazy: a group that is not a dataset names the file and the element", async () => {
    const store = await openStore(path.join(TEST_DATA, "anndata-archives/v0.11.4/adata.h5ad"));
    await store.close?.();
    const e = await caught(openDataset(path.join(TEST_DATA, "anndata-archives/v0.11.4/adata.h5ad")));
    expect(isCellfolioError(e, "dataset")).toBe(true);
    expect((e as CellfolioError).file).toBe(path.join(TEST_DATA, "anndata-archives/v0.11.4/adata.h5ad"));
    expect(typeof (e as CellfolioError).element).toBe("string");
    expect((e as CellfolioError).problem.length).toBeGreaterThan(0);
  });

  it("extract: an impossible option is named as the option", async () => {
    const e = await caught(
      extract({
        image: path.join(TEST_DATA, "sample/image.tif"),
        nucleus: path.join(TEST_DATA, "sample/nucleus.tif"),
        out: path.join(dir, "never.h5sc"),
        size: -3,
      }),
    );
    expect(isCellfolioError(e)).toBe(true);
    expect(["extract", "param"]).toContain((e as CellfolioError).code);
    expect((e as CellfolioError).message).toMatch(/size/);
  });

  it("extract's laser-microdissection: bad calibration points are an lmd error naming the option", () => {
    let e: unknown;
    try {
      checkCalibration([[0, 0], [1, 1]]);
    } catch (x) {
      e = x;
    }
    expect(isCellfolioError(e, "lmd")).toBe(true);
    expect((e as CellfolioError).file).toBe("calibration");
    expect((e as CellfolioError).message).toBe("calibration: expected three points (row, col), got [[0,0],[1,1]]");
  });
});
