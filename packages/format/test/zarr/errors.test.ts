// Bad input and atomic output: corrupt and truncated chunks fail that read
// only (naming the array and chunk), missing and non-Zarr paths fail clearly,
// existing targets are refused, abort leaves nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FormatError } from "../../src/errors.js";
import { createZarr, openZarr } from "../../src/zarr/index.js";
import { makeArray, scratch, toPlain } from "./helpers.js";

const { dir, cleanup } = scratch("errors");
afterAll(cleanup);

async function writeOne(target: string, zarrFormat: 2 | 3, shards: number[] | null) {
  const a = makeArray("int32", [8, 6], 3);
  const w = await createZarr(target, { zarrFormat });
  await w.writeArray("grp/x", a, { chunks: [2, 3], shards, compression: { codec: "gzip", level: 1 } });
  await w.close();
  return a;
}

describe("corrupt and truncated chunks", () => {
  it("v2: a truncated chunk fails that read naming array and chunk; other reads still work", async () => {
    const target = path.join(dir, "trunc.zarr");
    const a = await writeOne(target, 2, null);
    const chunk = path.join(target, "grp/x/1.0");
    truncateSync(chunk, Math.floor(readFileSync(chunk).length / 2));
    const r = await openZarr(target);
    const err = await r.readBlock("grp/x", [2, 0], [2, 3]).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toContain(target);
    expect(err.message).toContain("/grp/x");
    expect(err.message).toContain("chunk 1.0");
    // The rest of the array is still readable with the same reader.
    const ok = await r.readBlock("grp/x", [4, 0], [4, 6]);
    expect(toPlain(ok)).toEqual((toPlain(a) as number[][]).slice(4, 8));
    await r.close();
  });
  it("v2: a corrupt (overwritten) chunk fails naming the chunk", async () => {
    const target = path.join(dir, "corrupt.zarr");
    await writeOne(target, 2, null);
    const chunk = path.join(target, "grp/x/0.1");
    const b = readFileSync(chunk);
    b.fill(0x5a, 10);
    writeFileSync(chunk, b);
    const r = await openZarr(target);
    await expect(r.readArray("grp/x")).rejects.toThrow(/grp\/x: chunk 0\.1: cannot decode/);
    await r.close();
  });
  it("v3 sharded: a corrupt inner chunk and a truncated shard fail naming the shard", async () => {
    const target = path.join(dir, "shard.zarr");
    const a = await writeOne(target, 3, [4, 6]);
    const shard0 = path.join(target, "grp/x/c/0/0");
    const b = readFileSync(shard0);
    // Inner chunks land in the shard in the order their encoding finishes: find
    // chunk 0,0 through the index at the end (4 inner chunks x offset/size + crc32c).
    const first = Number(b.readBigUInt64LE(b.length - 4 - 4 * 16));
    b.fill(0xff, first + 12, first + 30); // inside inner chunk 0,0's gzip stream
    writeFileSync(shard0, b);
    truncateSync(path.join(target, "grp/x/c/1/0"), 20);
    const r = await openZarr(target);
    await expect(r.readBlock("grp/x", [0, 0], [2, 3])).rejects.toThrow(/grp\/x: shard c\/0\/0 inner chunk 0,0/);
    await expect(r.readBlock("grp/x", [4, 0], [2, 3])).rejects.toThrow(/grp\/x: shard c\/1\/0: .*(truncated|crc32c)/);
    // The intact inner chunk of the first shard still reads.
    expect(toPlain(await r.readBlock("grp/x", [2, 3], [2, 3]))).toEqual((toPlain(a) as number[][]).slice(2, 4).map((row) => row.slice(3, 6)));
    await r.close();
  });
  it("a missing chunk reads as the fill value", async () => {
    const target = path.join(dir, "missing-chunk.zarr");
    await writeOne(target, 3, null);
    const { rmSync } = await import("node:fs");
    rmSync(path.join(target, "grp/x/c/0/0"));
    const r = await openZarr(target);
    expect(toPlain(await r.readBlock("grp/x", [0, 0], [2, 3]))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    await r.close();
  });
});

describe("bad paths", () => {
  it("a path that does not exist", async () => {
    const p = path.join(dir, "nope.zarr");
    const err = await openZarr(p).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toContain(p);
    expect(err.message).toMatch(/no such file or directory/);
  });
  it("a directory that is not Zarr", async () => {
    const p = path.join(dir, "plain-dir");
    mkdirSync(p);
    writeFileSync(path.join(p, "readme.txt"), "hello");
    await expect(openZarr(p)).rejects.toThrow(/not a Zarr store/);
  });
  it("a file that is not a zip", async () => {
    const p = path.join(dir, "bad.zarr.zip");
    writeFileSync(p, "not a zip at all");
    await expect(openZarr(p)).rejects.toThrow(/bad\.zarr\.zip.*not a zip file/);
  });
  it("an array that does not exist, a group read as an array", async () => {
    const target = path.join(dir, "some.zarr");
    await writeOne(target, 2, null);
    const r = await openZarr(target);
    await expect(r.readArray("grp/y")).rejects.toThrow(/grp\/y: no such array/);
    await expect(r.readArray("grp")).rejects.toThrow(/grp: is a group/);
    expect(await r.get("grp/y")).toBeNull();
    await r.close();
  });
});

describe("atomic output", () => {
  it("an existing target is refused without overwrite, replaced only at close with it", async () => {
    const target = path.join(dir, "exists.zarr");
    await writeOne(target, 2, null);
    await expect(createZarr(target, { zarrFormat: 2 })).rejects.toThrow(/already exists/);
    const w = await createZarr(target, { zarrFormat: 3, overwrite: true });
    await w.writeArray("y", makeArray("float32", [4], 1));
    // Until close the old store is untouched.
    expect(existsSync(path.join(target, "grp/x/.zarray"))).toBe(true);
    await w.close();
    expect(existsSync(path.join(target, "grp"))).toBe(false);
    expect(existsSync(path.join(target, "zarr.json"))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith("exists.zarr."))).toEqual([]);
  });
  it("overwrite replaces a Zarr store (v2 or v3) or an empty folder, never a folder of other files or a file", async () => {
    const cases: [string, (p: string) => Promise<void> | void, boolean][] = [
      ["v2.zarr", (p) => writeOne(p, 2, null).then(() => undefined), true],
      ["v3.zarr", (p) => writeOne(p, 3, [4, 6]).then(() => undefined), true],
      ["empty.zarr", (p) => mkdirSync(p), true],
      [
        "notes.zarr",
        (p) => {
          mkdirSync(path.join(p, "notes"), { recursive: true });
          writeFileSync(path.join(p, "notes/README.txt"), "mine");
        },
        false,
      ],
      ["file.zarr", (p) => writeFileSync(p, "mine"), false],
    ];
    for (const [name, make, replaced] of cases) {
      const target = path.join(dir, name);
      await make(target);
      const open = createZarr(target, { zarrFormat: 3, overwrite: true });
      if (replaced) {
        const w = await open;
        await w.writeArray("y", makeArray("float32", [4], 1));
        await w.close();
        expect(readdirSync(target).sort(), name).toEqual(["y", "zarr.json"]);
      } else {
        await expect(open, name).rejects.toThrow(
          name === "file.zarr"
            ? /file\.zarr: is a file, not a Zarr store or an empty folder; overwrite replaces only a Zarr store or an empty folder/
            : /notes\.zarr: is a folder that is not a Zarr store \(no zarr\.json, \.zgroup or \.zarray at its top\) and not empty/,
        );
        // left as it was
        expect(readFileSync(name === "file.zarr" ? target : path.join(target, "notes/README.txt"), "utf8"), name).toBe("mine");
      }
      expect(readdirSync(dir).filter((n) => n.startsWith(`${name}.`))).toEqual([]);
    }
  });
  it("a folder of other files made at the target while writing is not replaced at close, and the temporary store goes", async () => {
    const target = path.join(dir, "late.zarr");
    const w = await createZarr(target, { zarrFormat: 3, overwrite: true });
    await w.writeArray("y", makeArray("float32", [4], 1));
    mkdirSync(target);
    writeFileSync(path.join(target, "mine.txt"), "mine");
    await expect(w.close()).rejects.toThrow(/late\.zarr: is a folder that is not a Zarr store/);
    expect(readdirSync(target)).toEqual(["mine.txt"]);
    expect(readdirSync(dir).filter((n) => n.startsWith("late.zarr."))).toEqual([]);
  });
  it("abort leaves nothing behind", async () => {
    const target = path.join(dir, "aborted.zarr");
    const w = await createZarr(target, { zarrFormat: 3 });
    const aw = await w.createArray("x", { shape: [10, 4], dtype: "uint8", chunks: [2, 4] });
    await aw.setBlock([0, 0], makeArray("uint8", [4, 4], 2));
    expect(readdirSync(dir).some((n) => n.startsWith("aborted.zarr.tmp-"))).toBe(true);
    await w.abort();
    expect(readdirSync(dir).filter((n) => n.startsWith("aborted.zarr"))).toEqual([]);
  });
  it("a block off the chunk grid is refused with the array named", async () => {
    const w = await createZarr(path.join(dir, "grid.zarr"));
    const aw = await w.createArray("x", { shape: [10, 4], dtype: "uint8", chunks: [3, 4] });
    await expect(aw.setBlock([1, 0], makeArray("uint8", [3, 4]))).rejects.toThrow(/\/x: block at \[1,0\]/);
    await w.abort();
  });
});
