// Shared by the convert tests: every real AnnData file converted to Zarr v2
// and v3; anndata 0.8 finds the v2 result equal to the original (legacy
// layouts normalised as anndata normalises them on read; rec-arrays stay
// rec-arrays), zarr-python 3 finds the v3 arrays equal to the v2s.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, TEST_DATA } from "../../../../test-utils/oracle.js";
import { type ConvertProgress, convert } from "../../src/convert.js";
import { openStore } from "../../src/store.js";
import { ANNDATA_DATA, PY_DUMP, ZARR3_COMPARE } from "../anndata/helpers.js";

export const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-convert-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function hdf5Readable(): Promise<boolean> {
  try {
    await (await openStore(path.join(ANNDATA_DATA, "empty.h5ad"))).close();
    return true;
  } catch (e) {
    return !/not implemented/.test(String(e));
  }
}
export const hdf5Read = await hdf5Readable();

export function listSources(): string[] {
  const out: string[] = [];
  for (const top of ["anndata-archives", "anndata-js"]) {
    const root = path.join(TEST_DATA, top);
    for (const version of readdirSync(root).sort()) {
      for (const f of readdirSync(path.join(root, version)).sort()) out.push(path.join(root, version, f));
    }
  }
  return out;
}

/** anndata 0.8's reading of a store, as JSON (rec-arrays must stay rec-arrays, same field names and values). */
export const PY_READ = `${PY_DUMP}
import zarr
def read(p):
    if p.endswith(".zarr.zip"):
        return ad.read_zarr(zarr.storage.ZipStore(p, mode="r"))
    if p.endswith(".zarr"):
        return ad.read_zarr(p)
    return ad.read_h5ad(p)
inp = json.loads(sys.stdin.read())
a = to_json(dump(read(inp["a"])))
b = to_json(dump(read(inp["b"])))
print(json.dumps({"equal": a == b, "a": a if a != b else "", "b": b if a != b else ""}))
`;

export function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: original …${a.slice(Math.max(0, i - 150), i + 150)}… ours …${b.slice(Math.max(0, i - 150), i + 150)}…`;
}


export function defineConversions(title: string, sources: string[]): void {
 describe(title, () => {
  for (const src of sources) {
    const rel = path.relative(path.dirname(path.dirname(src)), src);
    const isHdf5 = src.endsWith(".h5ad");
    it.skipIf(isHdf5 && !hdf5Read)(`${rel}`, async () => {
      const name = rel.replaceAll("/", "_");
      const v2 = path.join(tmp, `${name}.v2.zarr`);
      const v3 = path.join(tmp, `${name}.v3.zarr`);
      const progress: ConvertProgress[] = [];
      const result = await convert(src, v2, { zarrFormat: 2, onProgress: (p) => progress.push(p) });
      expect(result.problems).toEqual([]);
      await convert(src, v3, { zarrFormat: 3 });
      const r = py(PY_READ, { a: src, b: v2 });
      if (!r.equal) expect.fail(`anndata reads ${rel} and its Zarr v2 conversion differently ${firstDifference(r.a, r.b)}`);
      // Progress in bytes: never backwards, ends at the total.
      expect(progress.length).toBeGreaterThan(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);
      expect(progress.at(-1)).toEqual({ bytesDone: result.bytes, bytesTotal: result.bytes });
      if (hasZarr3()) {
        const c = pyZarr3(ZARR3_COMPARE, { a: v3, b: v2 });
        expect(c.bad).toEqual([]);
        expect([c.fa, c.fb]).toEqual([3, 2]);
      }
    });
  }
});
}
