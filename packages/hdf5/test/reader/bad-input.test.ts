// Bad input: truncated files, wrong signatures, a corrupt deflate or lzf
// chunk, a failed fletcher32 check, an address past the end of the file,
// random corruption of metadata. Every case is an Hdf5Error naming the file
// and the object; never a crash or a hang; other reads of the file go on.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { Hdf5Error, Hdf5File, SourceError } from "../../src/reader/index.js";
import { FIXTURE_SCRIPT } from "./oracle-compare.js";

const dir = mkdtempSync(path.join(tmpdir(), "hdf5-bad-"));
const filters = path.join(dir, "filters.h5");
const groups = path.join(dir, "groups.h5");
beforeAll(() => {
  py(FIXTURE_SCRIPT, { dir, set: "default" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `src` changed by `edit`. */
function variant(src: string, name: string, edit: (b: Buffer) => Buffer): string {
  const out = path.join(dir, name);
  writeFileSync(out, edit(readFileSync(src)));
  return out;
}

/** h5py's own chunk index of one dataset: where to corrupt. */
function chunkInfo(file: string, ds: string): { offset: number[]; address: number; size: number; mask: number }[] {
  return py(
    `import h5py, json, sys
a = json.loads(sys.stdin.read())
d = h5py.File(a[0], "r")[a[1]]
print(json.dumps([{"offset": list(c.chunk_offset), "address": c.byte_offset, "size": c.size, "mask": c.filter_mask} for c in (d.id.get_chunk_info(i) for i in range(d.id.get_num_chunks()))]))`,
    [file, ds],
  );
}

describe("bad input", () => {
  it("a file that is not HDF5", async () => {
    const f = variant(filters, "text.h5", () => Buffer.from("just some text, not HDF5 at all\n".repeat(100)));
    await expect(Hdf5File.open(f)).rejects.toThrow(/text\.h5: not an HDF5 file/);
    const g = variant(filters, "zero.h5", () => Buffer.alloc(0));
    await expect(Hdf5File.open(g)).rejects.toThrow(/zero\.h5.*not an HDF5 file/);
  });

  it("a file that does not exist", async () => {
    await expect(Hdf5File.open(path.join(dir, "missing.h5"))).rejects.toThrow(/missing\.h5.*no such file/);
  });

  it("a truncated file: opening says so", async () => {
    const f = variant(filters, "truncated.h5", (b) => b.subarray(0, Math.floor(b.length / 2)));
    const err = await Hdf5File.open(f).catch((e) => e);
    expect(err).toBeInstanceOf(Hdf5Error);
    expect(err.message).toMatch(/truncated\.h5: truncated file/);
  });

  it("a file cut inside its metadata (superblock end-of-file patched): errors name the object", async () => {
    // Keep the superblock but cut the file after it and after the root group:
    // reading any dataset reaches past the end.
    const f = variant(filters, "cut.h5", (b) => {
      const c = Buffer.from(b.subarray(0, 2048));
      c.writeBigUInt64LE(BigInt(c.length), 40); // superblock v0: end-of-file address
      return c;
    });
    const file = await Hdf5File.open(f).catch((e) => e);
    if (file instanceof Error) {
      expect(file).toBeInstanceOf(Hdf5Error);
      return;
    }
    const err = await file
      .dataset("gzip")
      .then((d: any) => d.read())
      .catch((e: unknown) => e);
    await file.close();
    expect(err).toBeInstanceOf(Hdf5Error);
    // The root group's name heap already lies past the cut: the error is the file's (the root names no element), or the dataset's.
    expect(err.message).toMatch(/cut\.h5: (\/gzip: )?[^/]*past the end of the file/);
  });

  it("a corrupt deflate stream in one chunk: that read fails naming the chunk; other chunks read", async () => {
    const chunks = chunkInfo(filters, "gzip");
    const bad = chunks[5];
    const f = variant(filters, "bad-deflate.h5", (b) => {
      b.fill(0x55, bad.address + 2, bad.address + bad.size - 2);
      return b;
    });
    const file = await Hdf5File.open(f);
    const d = await file.dataset("gzip");
    const message = new RegExp(`bad-deflate\\.h5: /gzip: chunk at \\[${bad.offset.join(", ")}\\].*deflate`);
    await expect(d.read()).rejects.toThrow(message);
    // The same on the worker pool: the error names the chunk that failed there.
    await expect(d.read(undefined, undefined, { workers: true })).rejects.toThrow(message);
    // And in a small read, inflated on this thread.
    await expect(d.read(bad.offset, [1, 1])).rejects.toThrow(message);
    // A box away from the bad chunk still reads.
    const good = chunks.find((c) => c.offset[0] !== bad.offset[0])!;
    const v = (await d.read(good.offset, [1, 1])) as Float32Array;
    expect(v[0]).toBe((good.offset[0] * 37 + good.offset[1]) * 0.5);
    await file.close();
  });

  it("a corrupt lzf stream in one chunk", async () => {
    const chunks = chunkInfo(filters, "lzf").filter((c) => c.mask === 0);
    const bad = chunks[3];
    const f = variant(filters, "bad-lzf.h5", (b) => {
      // Back references that point before the start of the output.
      for (let i = bad.address; i < bad.address + bad.size; i += 2) {
        b[i] = 0xff;
        b[i + 1] = 0xff;
      }
      return b;
    });
    const file = await Hdf5File.open(f);
    const d = await file.dataset("lzf");
    const message = new RegExp(`bad-lzf\\.h5: /lzf: chunk at \\[${bad.offset.join(", ")}\\].*lzf`);
    await expect(d.read()).rejects.toThrow(message);
    await expect(d.read(undefined, undefined, { workers: true })).rejects.toThrow(message);
    await file.close();
  });

  it("a fletcher32 checksum mismatch", async () => {
    const [c] = chunkInfo(filters, "fletcher");
    const f = variant(filters, "bad-fletcher.h5", (b) => {
      b[c.address + 10] ^= 0xff;
      return b;
    });
    const file = await Hdf5File.open(f);
    await expect((await file.dataset("fletcher")).read()).rejects.toThrow(/bad-fletcher\.h5: \/fletcher: chunk at \[0, 0\].*fletcher32 checksum mismatch/);
    await file.close();
  });

  it("a chunk address past the end of the file", async () => {
    const chunks = chunkInfo(filters, "none");
    const f = variant(filters, "bad-address.h5", (b) => {
      // Patch the B-tree entry holding the chunk's address.
      const addr = Buffer.alloc(8);
      addr.writeBigUInt64LE(BigInt(chunks[2].address));
      const at = b.indexOf(addr);
      expect(at).toBeGreaterThan(0);
      b.writeBigUInt64LE(BigInt(b.length + 1_000_000), at);
      return b;
    });
    const file = await Hdf5File.open(f);
    await expect((await file.dataset("none")).read()).rejects.toThrow(/bad-address\.h5: \/none: chunk at .* past the end of the file/);
    await file.close();
  });

  it("a wrong signature in a B-tree node", async () => {
    const chunks = chunkInfo(filters, "shuffle_gzip");
    const f = variant(filters, "bad-tree.h5", (b) => {
      // The chunk B-tree node: the "TREE" nearest before the first chunk of this dataset.
      const at = b.lastIndexOf("TREE", chunks[0].address);
      b.write("XXXX", at);
      return b;
    });
    const file = await Hdf5File.open(f);
    const err = await file
      .get("shuffle_gzip")
      .then((d: any) => d.read())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Hdf5Error);
    expect(err.message).toMatch(/bad-tree\.h5: \/shuffle_gzip: .*bad signature/);
    await file.close();
  });

  it("random corruption of metadata never crashes or hangs: an Hdf5Error or a clean read", async () => {
    const orig = readFileSync(groups);
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const f = path.join(dir, "fuzz.h5");
    let errors = 0;
    for (let round = 0; round < 150; round++) {
      const b = Buffer.from(orig);
      for (let k = 0; k < 4; k++) b[Math.floor(rand() * Math.min(b.length, 8192))] = Math.floor(rand() * 256);
      writeFileSync(f, b);
      try {
        const file = await Hdf5File.open(f);
        try {
          const walk = async (p: string, depth: number): Promise<void> => {
            const n = await file.get(p);
            if (!n || depth > 8) return;
            await n.attributes();
            if (n.kind === "group") for (const k of await n.keys()) await walk(p ? `${p}/${k}` : k, depth + 1);
            else if (n.kind === "dataset" && n.size < 1e6) await n.read();
          };
          await walk("", 0);
        } finally {
          await file.close();
        }
      } catch (e) {
        errors++;
        if (!(e instanceof Hdf5Error || e instanceof SourceError)) throw new Error(`round ${round}: not an Hdf5Error: ${(e as Error).stack}`);
        expect((e as Error).message).toContain("fuzz.h5");
      }
    }
    expect(errors).toBeGreaterThan(10);
  });
});
