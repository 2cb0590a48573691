// The hostile inputs (test-data/hostile, made by make_hostile.py):
// each is refused with one FormatError naming the file and the element,
// where h5py / zarr-python refuse it too (asked here, not assumed), and no
// read leaves an unhandled rejection behind (vitest fails the run on one).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pyPeer, skipPeer, TEST_DATA } from "../../../../test-utils/oracle.js";
import { FormatError, openStore, type StoreReader } from "../../src/node.js";

const H = path.join(TEST_DATA, "hostile");
const file = (name: string) => path.join(H, name);

/** What h5py / zarr-python say of the input: the exception's text, or null when they read it whole. */
function peerRefusal(name: string, element: string): string | null {
  return pyPeer(
    "latest",
    `
import json, sys, h5py, zarr
p, el = ${JSON.stringify(file(name))}, ${JSON.stringify(element)}
try:
    if p.endswith(".h5ad"):
        h5py.File(p, "r")[el][()]
    else:
        store = zarr.storage.ZipStore(p, mode="r") if p.endswith(".zip") else p
        zarr.open_group(store, mode="r")[el][...]
    print(json.dumps(None))
except Exception as e:
    print(json.dumps(f"{type(e).__name__}: {e}"))
`,
  );
}

async function refusal(name: string, fn: (r: StoreReader) => Promise<unknown>): Promise<FormatError> {
  const r = await openStore(file(name)).catch((e) => e);
  if (r instanceof Error) return r as FormatError;
  try {
    await fn(r);
  } catch (e) {
    return e as FormatError;
  } finally {
    await r.close();
  }
  throw new Error(`${name}: read without an error`);
}

function expectNamed(e: FormatError, name: string, element: string, problem: RegExp): void {
  expect(e).toBeInstanceOf(FormatError);
  expect(e.message).toContain(file(name));
  expect(e.message).toContain(`/${element}`);
  expect(e.message).toMatch(problem);
  // said once, and no JavaScript internals
  expect(e.message.split(file(name)).length).toBe(2);
  expect(e.message).not.toMatch(/is not a function|Invalid array length|of undefined|\bNaN\b/);
}

describe.skipIf(skipPeer("latest"))("hostile inputs: one error naming file and element, where the peers refuse too", () => {
  it("a corrupt gzip chunk fails the block read of many chunks with that chunk named", async () => {
    expect(peerRefusal("bad-gzip.h5ad", "X")).toMatch(/filter returned failure/);
    // 256 chunks of 8 KiB decoded: the read yields to the event loop between them
    const e = await refusal("bad-gzip.h5ad", (r) => r.readBlock("X", [0, 0], [2048, 256]));
    expectNamed(e, "bad-gzip.h5ad", "X", /chunk at \[8, 0\].*deflate/);
    // the other chunks still read
    const r = await openStore(file("bad-gzip.h5ad"));
    const ok = await r.readBlock("X", [16, 0], [2032, 256]);
    expect(Array.from((ok.data as Float32Array).subarray(0, 14))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0]);
    await r.close();
  });

  it("a group cycle (a hard link to the root) is refused, not walked forever", async () => {
    const e = await refusal("cycle.h5ad", (r) => r.get("uns/loop/uns/loop/X"));
    expectNamed(e, "cycle.h5ad", "uns/loop", /link cycle/);
  });

  it("a soft link to itself is dangling, as h5py cannot follow it either", async () => {
    expect(peerRefusal("selflink.h5ad", "uns/self")).toMatch(/too many links/);
    const r = await openStore(file("selflink.h5ad"));
    expect(await r.list("uns")).toContain("self");
    expect(await r.get("uns/self")).toBeNull();
    await r.close();
  });

  it("a dimension of 2^32 + 1 in an HDF5 dataspace is refused against the file's size", async () => {
    expect(peerRefusal("dim-2e32.h5ad", "X")).toMatch(/invalid dataset size/);
    const e = await refusal("dim-2e32.h5ad", (r) => r.get("X"));
    expectNamed(e, "dim-2e32.h5ad", "X", /4294967297.*the file has \d+/);
  });

  it("a shape of 2^64 in Zarr JSON is refused before anything is sized from it", async () => {
    expect(peerRefusal("shape-2e64.zarr", "X")).toMatch(/Maximum allowed dimension/);
    const e = await refusal("shape-2e64.zarr", (r) => r.get("X"));
    expectNamed(e, "shape-2e64.zarr", "X", /shape\[0\] is 18446744073709552000: expected an integer/);
  });

  it("a zip entry whose CRC-32 is wrong is refused", async () => {
    expect(peerRefusal("bad-crc.zarr.zip", "X")).toMatch(/Bad CRC-32/);
    const e = await refusal("bad-crc.zarr.zip", (r) => r.readArray("X"));
    expectNamed(e, "bad-crc.zarr.zip", "X", /chunk 0\.0: bad CRC-32/);
  });

  it("a blosc frame numcodecs refuses is refused here, not decoded to other values", async () => {
    expect(peerRefusal("bad-blosc.zarr", "X")).toMatch(/blosc decompression/);
    const e = await refusal("bad-blosc.zarr", (r) => r.readArray("X"));
    expectNamed(e, "bad-blosc.zarr", "X", /chunk 0\.0: .*blosc: corrupt frame header \(block size/);
  });
});
