// The codec worker threads only run from the built package (dist/), where the
// worker is a .js file: write and read there, in a child process, and let
// zarr-python judge. The suite builds first (npm test), so a missing build
// fails here rather than skipping the workers.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, REPO_ROOT } from "../../../../test-utils/oracle.js";
import { codecWorkers } from "../../src/node/codec-pool.js";
import { createZarr, openZarr } from "../../src/zarr/index.js";
import { scratch } from "./helpers.js";

const DIST = path.join(REPO_ROOT, "packages/format/dist");
const built = existsSync(path.join(DIST, "node/codec-worker.js")) && existsSync(path.join(DIST, "node.js"));
const { dir, cleanup } = scratch("workers");
afterAll(cleanup);

/** Runs an ES module script in a child node (`flags` before it, `args` after). */
function runScript(script: string, args: string[], flags: string[] = []) {
  return spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
}
/** The JSON of a script's last printed line, once it has exited 0. */
function lastJson(res: ReturnType<typeof runScript>): any {
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim().split("\n").pop() as string);
}
/** A script's float16 bits -> numbers, as Python's astype(float) gives them. */
const HALF_TO_FLOAT = `function halfToFloat(h) {
  const e = (h >> 10) & 31, f = h & 1023, s = h >> 15 ? -1 : 1;
  return e === 0 ? s * f * 2 ** -24 : s * (1 + f / 1024) * 2 ** (e - 15);
}`;

const SCRIPT = `
import { createZarr, openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const [target, fmt] = process.argv.slice(1);
const n = 40, row = 3 * 64 * 64;
const data = new Uint16Array(n * row);
for (let i = 0; i < data.length; i++) data[i] = 0x3c00 + ((i * 7919) % 977); // halves in [1, 2)
const w = await createZarr(target, { zarrFormat: Number(fmt) });
const aw = await w.createArray("x", { shape: [n, 3, 64, 64], dtype: "float16", chunks: [1, 3, 64, 64], shards: fmt === "3" ? [16, 3, 64, 64] : null });
for (let i = 0; i < n; i++) await aw.setBlock([i, 0, 0, 0], { dtype: "float16", shape: [1, 3, 64, 64], data: data.slice(i * row, (i + 1) * row) });
await w.close();
const r = await openZarr(target);
const back = await r.readArray("x");
let same = back.data.length === data.length;
for (let i = 0; same && i < data.length; i++) same = back.data[i] === data[i];
let sum = 0;
for (const v of data) sum += v;
console.log(JSON.stringify({ same, sumBits: sum }));
`;

const PY = `
import json, sys, zarr, numpy as np
inp = json.loads(sys.stdin.read())
a = zarr.open_array(inp["path"], mode="r")[...]
print(json.dumps({"sumBits": int(a.view("<u2").astype(np.int64).sum()), "shape": list(a.shape)}))
`;

describe("codec workers (built package)", () => {
  it("the built package has the Node entry and the worker file", () => {
    expect(built, `${DIST}: run npm run build first`).toBe(true);
  });

  it("start under node flags a worker refuses (--max-old-space-size), as users run big jobs", () => {
    const target = path.join(dir, "flags.zarr");
    expect(lastJson(runScript(SCRIPT, [target, "2"], ["--max-old-space-size=2048", "--stack-size=2000"])).same).toBe(true);
  });

  for (const fmt of ["2", "3"]) {
    it(`v${fmt}: blosc chunks encoded and decoded in workers read equal here and in zarr-python`, () => {
      const target = path.join(dir, `w${fmt}.zarr`);
      const ours = lastJson(runScript(SCRIPT, [target, fmt]));
      expect(ours.same).toBe(true);
      const theirs = fmt === "2" ? py(PY, { path: path.join(target, "x") }) : hasZarr3() ? pyZarr3(PY, { path: path.join(target, "x") }) : null;
      if (theirs) {
        expect(theirs.shape).toEqual([40, 3, 64, 64]);
        expect(theirs.sumBits).toBe(ours.sumBits);
      }
    });
  }

  it("v2 block reads shared with the workers equal zarr-python 2's, with chunks missing (fill value), edge chunks and a corrupt one", () => {
    const target = path.join(dir, "zp2.zarr");
    const made = py(
      `
import json, sys, zarr, numpy as np
from numcodecs import Blosc
inp = json.loads(sys.stdin.read())
root = zarr.open_group(inp["path"], mode="w")
rng = np.random.default_rng(5)
a = (rng.random((41, 2, 16, 16)) * 10).astype("<f2")
a[:, :, :4] = 0
# rows 8-11 never written: fill value
z = root.create_dataset("x", shape=a.shape, chunks=(2, 2, 16, 16), dtype="<f2", fill_value=7,
                        compressor=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
z[:8] = a[:8]
z[12:] = a[12:]
y = root.create_dataset("y", shape=(30, 3, 10), chunks=(4, 3, 7), dtype="<i4", fill_value=-1,
                        compressor=Blosc(cname="lz4", clevel=3, shuffle=Blosc.SHUFFLE))
y[:] = np.arange(900, dtype="<i4").reshape(30, 3, 10)
print(json.dumps({"x": z[...].astype(float).tolist(), "y": y[...].tolist()}))
`,
      { path: target },
    );
    const script = `
import { openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const r = await openZarr(process.argv[1]);
const out = {};
for (const [name, start, shape] of [["x", [0, 0, 0, 0], [41, 2, 16, 16]], ["x", [4, 0, 0, 0], [32, 2, 16, 16]], ["y", [3, 0, 2], [25, 3, 8]]]) {
  const b = await r.readBlock(name, start, shape);
  out[name + start.join(",")] = Array.from(b.data, (v) => (name === "x" ? halfToFloat(v) : v));
  // into a dirty buffer over shared memory, where the workers decode in place
  const n = shape.reduce((a, c) => a * c, 1);
  const into = name === "x" ? new Uint16Array(new SharedArrayBuffer(2 * n + 6), 2) : new Int32Array(new SharedArrayBuffer(4 * n));
  into.fill(12345);
  const c = await r.readBlock(name, start, shape, { into });
  out[name + start.join(",") + " shared"] = Array.from(c.data, (v) => (name === "x" ? halfToFloat(v) : v));
}
${HALF_TO_FLOAT}
console.log(JSON.stringify(out));
`;
    const ours = lastJson(runScript(script, [target]));
    const x = (made.x as number[][][][]).flat(3);
    expect(ours["x0,0,0,0"]).toEqual(x);
    expect(ours["x4,0,0,0"]).toEqual(x.slice(4 * 512, 36 * 512));
    expect(ours["x4,0,0,0"].slice(4 * 512, 8 * 512).every((v: number) => v === 7)).toBe(true);
    const y = (made.y as number[][][]).slice(3, 28).flatMap((r) => r.flatMap((c) => c.slice(2, 10)));
    expect(ours["y3,0,2"]).toEqual(y);
    for (const k of ["x0,0,0,0", "x4,0,0,0", "y3,0,2"]) expect(ours[`${k} shared`], k).toEqual(ours[k]);

    // one chunk file cut short: the read fails naming the array and the chunk
    const bad = path.join(target, "x", "14.0.0.0");
    writeFileSync(bad, readFileSync(bad).subarray(0, 40));
    const res2 = runScript(script, [target]);
    expect(res2.status).not.toBe(0);
    expect(res2.stderr).toMatch(/x.*chunk 14\.0\.0\.0/);
  });

  it("block reads while the workers encode a writer's 4 MB chunks read what was written", () => {
    const target = path.join(dir, "busy");
    mkdirSync(target, { recursive: true });
    const script = `
import { createZarr, openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const row = 3 * 64 * 64;
const noise = (n, seed) => { const d = new Uint16Array(n); let x = seed; for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; d[i] = 0x3c00 + (x >>> 22); } return d; };
const a = noise(64 * row, 1);
const wa = await createZarr(process.argv[1] + "/a.zarr", { zarrFormat: 2 });
const aw = await wa.createArray("a", { shape: [64, 3, 64, 64], dtype: "float16", chunks: [1, 3, 64, 64] });
await aw.setBlock([0, 0, 0, 0], { dtype: "float16", shape: [64, 3, 64, 64], data: a });
await wa.close();
const w = await createZarr(process.argv[1] + "/b.zarr", { zarrFormat: 2 });
// 4 MB chunks of noise: each keeps a worker busy for milliseconds, so read jobs wait behind them
const bw = await w.createArray("b", { shape: [40, 1024, 1024], dtype: "float32", chunks: [1, 1024, 1024] });
const big = new Float32Array(noise(2 * 1024 * 1024, 9).buffer);
const r = await openZarr(process.argv[1] + "/a.zarr");
const pending = [];
let bad = 0, reads = 0;
const into = new Uint16Array(32 * row);
for (let k = 0; k < 40; k++) {
  pending.push(bw.setBlock([k, 0, 0], { dtype: "float32", shape: [1, 1024, 1024], data: big.slice() }));
  const s0 = (k * 13) % 33;
  const b = await r.readBlock("a", [s0, 0, 0, 0], [32, 3, 64, 64], k % 2 ? { into } : {});
  for (let i = 0; i < b.data.length; i++) if (b.data[i] !== a[s0 * row + i]) { bad++; break; }
  reads++;
}
const writing = Promise.all(pending);
await writing;
await bw.close();
await w.close();
console.log(JSON.stringify({ bad, reads }));
`;
    expect(lastJson(runScript(script, [target]))).toEqual({ bad: 0, reads: 40 });
  });

  it("a block read larger than the workers' shared scratch (16 MB) goes in parts, equal to zarr-python 2's", () => {
    const target = path.join(dir, "parts.zarr");
    const made = py(
      `
import json, sys, zarr, numpy as np
from numcodecs import Blosc
inp = json.loads(sys.stdin.read())
z = zarr.open_group(inp["path"], mode="w").create_dataset("x", shape=(40, 1024, 1024), chunks=(1, 1024, 1024), dtype="u1",
                    fill_value=3, compressor=Blosc(cname="lz4", clevel=1, shuffle=Blosc.NOSHUFFLE))
for i in range(40):
    if i in (5, 30):
        continue  # never written: fill value
    z[i] = ((np.arange(1024 * 1024, dtype=np.int64) * (i + 1)) % 251).astype("u1").reshape(1024, 1024)
a = z[2:39]
print(json.dumps({"sum": int(a.astype(np.int64).sum()), "row30": int(a[28].astype(np.int64).sum()), "last": int(a[-1, -1, -1])}))
`,
      { path: target },
    );
    const script = `
import { openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const r = await openZarr(process.argv[1]);
const b = await r.readBlock("x", [2, 0, 0], [37, 1024, 1024]);
let sum = 0, row30 = 0;
for (let i = 0; i < b.data.length; i++) sum += b.data[i];
for (let i = 28 * 1048576; i < 29 * 1048576; i++) row30 += b.data[i];
console.log(JSON.stringify({ sum, row30, last: b.data[b.data.length - 1] }));
`;
    expect(lastJson(runScript(script, [target]))).toEqual(made);
    expect(made.row30).toBe(3 * 1048576);
  });

  it.skipIf(!hasZarr3())("v3 sharded block reads shared with the workers equal zarr-python 3's: partial shards, missing inner chunks and shards, sub-row inner chunks, a corrupt inner chunk", () => {
    const target = path.join(dir, "zp3.zarr");
    const made = pyZarr3(
      `
import json, sys, zarr, numpy as np
inp = json.loads(sys.stdin.read())
root = zarr.open_group(inp["path"], mode="w", zarr_format=3)
rng = np.random.default_rng(7)
a = (rng.random((45, 2, 16, 16)) * 10).astype("<f2")
x = root.create_array("x", shape=a.shape, chunks=(1, 2, 16, 16), shards=(8, 2, 16, 16), dtype="<f2", fill_value=7)
x[:9] = a[:9]      # rows 9-10: inner chunks the second shard does not hold
x[11:16] = a[11:16]
x[24:] = a[24:]    # rows 16-23: no shard file at all; the last shard is partial
y = root.create_array("y", shape=(30, 3, 10), chunks=(4, 3, 5), shards=(8, 3, 10), dtype="<i4", fill_value=-1)
y[:] = np.arange(900, dtype="<i4").reshape(30, 3, 10)
print(json.dumps({"x": x[...].astype(float).tolist(), "y": y[...].tolist()}))
`,
      { path: target },
    );
    const script = `
import { openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const r = await openZarr(process.argv[1]);
const out = {};
for (const [name, start, shape] of [["x", [0, 0, 0, 0], [45, 2, 16, 16]], ["x", [5, 0, 0, 0], [35, 2, 16, 16]], ["y", [3, 0, 2], [25, 3, 8]]]) {
  const n = shape.reduce((a, c) => a * c, 1);
  const T = name === "x" ? Uint16Array : Int32Array;
  const plain = new T(n).fill(12345);
  const shared = new T(new SharedArrayBuffer(T.BYTES_PER_ELEMENT * n)).fill(12345);
  for (const [how, opts] of [["fresh", {}], ["into", { into: plain }], ["shared", { into: shared }]]) {
    const b = await r.readBlock(name, start, shape, opts);
    out[name + start.join(",") + " " + how] = Array.from(b.data, (v) => (name === "x" ? halfToFloat(v) : v));
  }
}
// a shuffled batch of rows (repeats, missing inner chunks and shard), gathered with the workers
const rows = [40, 3, 9, 17, 44, 0, 3, 25, 10, 31, 16];
for (const [how, into] of [["fresh", undefined], ["shared", new Uint16Array(new SharedArrayBuffer(2 * rows.length * 512))]]) {
  const b = await r.readRows("x", rows, [0, 0, 0], [2, 16, 16], into ? { into } : {});
  out["rows " + how] = Array.from(b.data, halfToFloat);
}
${HALF_TO_FLOAT}
console.log(JSON.stringify(out));
`;
    const ours = lastJson(runScript(script, [target]));
    const x = (made.x as number[][][][]).flat(3);
    const y = (made.y as number[][][]).slice(3, 28).flatMap((r) => r.flatMap((c) => c.slice(2, 10)));
    const picked = [40, 3, 9, 17, 44, 0, 3, 25, 10, 31, 16].flatMap((row) => x.slice(row * 512, (row + 1) * 512));
    expect(ours["rows fresh"]).toEqual(picked);
    expect(ours["rows shared"]).toEqual(picked);
    for (const how of ["fresh", "into", "shared"]) {
      expect(ours[`x0,0,0,0 ${how}`], how).toEqual(x);
      expect(ours[`x5,0,0,0 ${how}`], how).toEqual(x.slice(5 * 512, 40 * 512));
      expect(ours[`y3,0,2 ${how}`], how).toEqual(y);
    }
    expect(x.slice(9 * 512, 11 * 512).every((v) => v === 7)).toBe(true);
    expect(x.slice(16 * 512, 24 * 512).every((v) => v === 7)).toBe(true);

    // the first inner chunk of the first shard overwritten: the read fails naming the shard and the inner chunk
    const bad = path.join(target, "x", "c", "0", "0", "0", "0");
    const b = readFileSync(bad);
    b.fill(0, 0, 16);
    writeFileSync(bad, b);
    const res2 = runScript(script, [target]);
    expect(res2.status).not.toBe(0);
    expect(res2.stderr).toMatch(/x.*shard c\/0\/0\/0\/0 inner chunk 0,0,0,0/);
  });

  it("v3: inner chunks over 128 KB (decoded in a worker) read equal to what was written, and in zarr-python 3", () => {
    const target = path.join(dir, "big.zarr");
    const script = `
import { createZarr, openZarr } from ${JSON.stringify(path.join(DIST, "node.js"))};
const n = 6, row = 256 * 256;
const data = new Float32Array(n * row);
let x = 1;
for (let i = 0; i < data.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; data[i] = x / 2 ** 32; } // noise: chunks stay ~256 KB
const w = await createZarr(process.argv[1], { zarrFormat: 3 });
const aw = await w.createArray("x", { shape: [n, 256, 256], dtype: "float32", chunks: [1, 256, 256], shards: [3, 256, 256] });
await aw.setBlock([0, 0, 0], { dtype: "float32", shape: [n, 256, 256], data });
await w.close();
const r = await openZarr(process.argv[1]);
const back = await r.readBlock("x", [0, 0, 0], [n, 256, 256]);
let same = back.data.length === data.length;
for (let i = 0; same && i < data.length; i++) same = back.data[i] === data[i];
let sum = 0;
for (const v of data) sum += v;
console.log(JSON.stringify({ same, sum }));
`;
    const ours = lastJson(runScript(script, [target]));
    expect(ours.same).toBe(true);
    if (hasZarr3()) {
      const theirs = pyZarr3(
        `
import json, sys, zarr, numpy as np
a = zarr.open_array(json.loads(sys.stdin.read())["path"], mode="r")[...]
print(json.dumps({"sum": float(a.astype(np.float64).sum())}))
`,
        { path: path.join(target, "x") },
      );
      expect(theirs.sum).toBeCloseTo(ours.sum, 3);
    }
  });
});

describe("codec workers (this process, from the TypeScript sources)", () => {
  it("encode and decode the chunks over the size bounds, so the tests exercise them (fails if they fall back to this thread)", async () => {
    const target = path.join(dir, "here.zarr");
    const n = 8; // a block read of 8 chunks or more is shared with the workers
    const data = new Float32Array(n * 256 * 256);
    let x = 1;
    for (let i = 0; i < data.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data[i] = x / 2 ** 32; // noise: blosc chunks stay ~256 KB
    }
    const done = () => codecWorkers()?.stats().reduce((a, b) => a + b, 0) ?? 0;
    const before = done();
    const w = await createZarr(target, { zarrFormat: 2 });
    const aw = await w.createArray("x", { shape: [n, 256, 256], dtype: "float32", chunks: [1, 256, 256] });
    await aw.setBlock([0, 0, 0], { dtype: "float32", shape: [n, 256, 256], data });
    await w.close();
    const encoded = done();
    expect(encoded - before).toBe(n);
    const back = (await (await openZarr(target)).readBlock("x", [0, 0, 0], [n, 256, 256])) as { data: Float32Array };
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(data.buffer))).toBe(true);
    expect(done()).toBeGreaterThan(encoded);
  });
});
