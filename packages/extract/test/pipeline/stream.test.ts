// The pipeline's core without a writer: TIFF inputs read by window, the plan,
// and the stacks streamed in row order across worker threads, each against
// tifffile / the NumPy-SciPy reference.
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { PYTHON12 } from "../../../../test-utils/oracle.js";
import { openImageSource } from "../../src/inputs/index.js";
import { TiffSource } from "../../src/inputs/tiff.js";
import { planCells, planParts } from "../../src/plan.js";
import { resolveParams } from "../../src/presets.js";
import { streamStacks } from "../../src/stream.js";
import { makeSlide, maxAbsDiff, reference, type Slide, tempDir } from "./helpers.js";

let slide: Slide;

beforeAll(() => {
  slide = makeSlide({ height: 200, width: 260, channels: 3, seed: 3 });
});

async function stacks(
  params: ReturnType<typeof resolveParams>,
  threads: number,
  opts: { cytosol?: boolean; bandBytes?: number; queueBytes?: number; order?: "rows" | "extraction" } = {},
) {
  const image = await openImageSource(slide.image);
  const nucleus = await openImageSource(slide.nucleus);
  const cytosol = opts.cytosol === false ? null : await openImageSource(slide.cytosol);
  const plan = await planCells(nucleus, { size: params.size, border: params.border, bandBytes: 20_000 });
  const rowLength = ((cytosol ? 2 : 1) + image.channels) * params.size * params.size;
  const out = new Uint16Array(plan.cells.length * rowLength);
  const order: number[] = [];
  try {
    const res = await streamStacks(
      plan,
      params,
      { image, nucleus, cytosol },
      async (row, stack) => {
        order.push(row);
        out.set(stack, row * rowLength);
      },
      { threads, bandBytes: opts.bandBytes, queueBytes: opts.queueBytes, order: opts.order },
    );
    return { plan, out, order, ...res };
  } finally {
    await Promise.all([image.close(), nucleus.close(), cytosol?.close()]);
  }
}

describe("TIFF input", () => {
  it("reads windows of multi-page, multi-sample and planar TIFFs as tifffile does", async () => {
    const dir = tempDir("tiff");
    const code = `
import json, sys, numpy as np, tifffile
d = sys.argv[1]
a = (np.arange(3*37*53, dtype=np.uint32) * 7919 % 65521).astype(np.uint16).reshape(3, 37, 53)
tifffile.imwrite(d + "/pages.tif", a, photometric="minisblack")
tifffile.imwrite(d + "/chunky.tif", np.moveaxis(a, 0, -1).copy(), photometric="rgb")
tifffile.imwrite(d + "/planar.tif", a, photometric="rgb", planarconfig="separate")
tifffile.imwrite(d + "/tiled.ome.tif", a, metadata={"axes": "CYX"}, tile=(16, 16), compression="zlib")
tifffile.imwrite(d + "/float.tif", (a / 3).astype(np.float32), photometric="minisblack")
tifffile.imwrite(d + "/u8.tif", (a % 251).astype(np.uint8), photometric="minisblack")
tifffile.imwrite(d + "/strips.tif", a, photometric="minisblack", rowsperstrip=5)
tifffile.imwrite(d + "/planar-strips.tif", a, photometric="rgb", planarconfig="separate", rowsperstrip=4)
tifffile.imwrite(d + "/zlib-strips.tif", a, photometric="minisblack", rowsperstrip=7, compression="zlib")
tifffile.imwrite(d + "/big-endian.tif", a, photometric="minisblack", byteorder=">")
print(json.dumps(tifffile.imread(d + "/pages.tif")[:, 5:17, 20:31].tolist()))
`;
    const r = spawnSync(PYTHON12, ["-c", code, dir], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout.trim()) as number[][][];
    for (const [file, scale] of [
      ["pages.tif", 1],
      ["chunky.tif", 1],
      ["planar.tif", 1],
      ["tiled.ome.tif", 1],
      ["float.tif", 1 / 3],
      ["u8.tif", 0],
      ["strips.tif", 1],
      ["planar-strips.tif", 1],
      ["zlib-strips.tif", 1],
      ["big-endian.tif", 1],
    ] as const) {
      const src = await TiffSource.open(`${dir}/${file}`);
      expect([src.channels, src.height, src.width], file).toEqual([3, 37, 53]);
      const planes = await src.readWindow(5, 20, 12, 11);
      const got = planes.map((p) => Array.from({ length: 12 }, (_, y) => Array.from(p.subarray(y * 11, (y + 1) * 11))));
      const expected = want.map((c) => c.map((row) => row.map((v) => (scale === 0 ? v % 251 : scale === 1 ? v : Math.fround(v / 3)))));
      if (file === "float.tif") {
        for (let c = 0; c < 3; c++) for (let y = 0; y < 12; y++) for (let x = 0; x < 11; x++) expect(got[c][y][x]).toBeCloseTo(expected[c][y][x], 3);
      } else expect(got, file).toEqual(expected);
      await src.close();
    }
  });
});

describe("plan", () => {
  it("finds every cell, its centroid and the border drops as the reference does", async () => {
    for (const size of [32, 48]) {
      const ref = reference(slide, { size });
      const nucleus = await openImageSource(slide.nucleus);
      // A small band budget makes nuclei cross band boundaries.
      const plan = await planCells(nucleus, { size, border: "drop", bandBytes: 8 * slide.width * 7 });
      await nucleus.close();
      expect(Array.from(plan.maskIds)).toEqual(slide.ids);
      expect(plan.cells.toArray().map((c) => c.id)).toEqual(ref.ids);
      expect(plan.droppedAtBorder).toEqual(ref.dropped);
      expect(ref.dropped.length).toBeGreaterThan(0);
      plan.cells.toArray().forEach((c, r) => {
        expect(c.centroidY).toBeCloseTo(ref.centroids[r][0], 10);
        expect(c.centroidX).toBeCloseTo(ref.centroids[r][1], 10);
      });
    }
  });

  it("splits rows into parts along whole units", () => {
    const parts = planParts(1000, 64, 3);
    expect(parts.map((p) => [p.rowStart, p.rowEnd])).toEqual([
      [0, 320],
      [320, 640],
      [640, 1000],
    ]);
    expect(planParts(10, 64, 2).map((p) => [p.rowStart, p.rowEnd])).toEqual([
      [0, 0],
      [0, 10],
    ]);
  });
});

describe("streamed stacks", () => {
  it("equal the reference within float16 precision (classic, drop), in row order, same bits for 0, 1 and 2 threads", async () => {
    const params = resolveParams({ size: 32 });
    const ref = reference(slide, { size: 32 });
    const a = await stacks(params, 2, { bandBytes: 200_000 });
    expect(a.order).toEqual(a.plan.cells.toArray().map((_, r) => r));
    expect(a.missingCytosol).toEqual(ref.cytosol_missing);
    expect(ref.cytosol_missing).toEqual([slide.missing]);
    const d = maxAbsDiff(a.out, ref.stacks);
    expect(d.max).toBeLessThanOrEqual(1e-3);
    const b = await stacks(params, 1);
    const c = await stacks(params, 0);
    expect(Buffer.from(b.out.buffer).equals(Buffer.from(a.out.buffer))).toBe(true);
    expect(Buffer.from(c.out.buffer).equals(Buffer.from(a.out.buffer))).toBe(true);
  });

  it("hold three sets of band buffers, made once, however the bands' heights vary", async () => {
    const params = resolveParams({ size: 32 });
    const Real = globalThis.SharedArrayBuffer;
    let made = 0;
    globalThis.SharedArrayBuffer = class extends Real {
      constructor(bytes: number) {
        super(bytes);
        made++;
      }
    } as SharedArrayBufferConstructor;
    let banded: Awaited<ReturnType<typeof stacks>>;
    try {
      banded = await stacks(params, 0, { bandBytes: 200_000 });
    } finally {
      globalThis.SharedArrayBuffer = Real;
    }
    // Bands of ~22 rows: the first one clipped at the top, the later ones as tall as their cells make them.
    // Three slots (computed, read ahead, finishing) of 3 channel planes and 2 mask planes each.
    expect(made).toBe(3 * 5);
    const whole = await stacks(params, 0);
    expect(Buffer.from(banded.out.buffer).equals(Buffer.from(whole.out.buffer))).toBe(true);
  });

  it("equal the reference for the scportrait preset with border pad and no cytosol mask", async () => {
    const params = resolveParams({ preset: "scportrait", size: 40, border: "pad" });
    const ref = reference(slide, { preset: "scportrait", size: 40, border: "pad" }, { cytosol: false });
    const a = await stacks(params, 2, { cytosol: false });
    expect(a.plan.cells.toArray().map((c) => c.id)).toEqual(ref.ids);
    expect(a.plan.droppedAtBorder).toEqual([]);
    expect(maxAbsDiff(a.out, ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it("a part of the rows (planParts along units) gives exactly those rows of the whole run", async () => {
    const params = resolveParams({ size: 32 });
    const whole = await stacks(params, 2);
    const image = await openImageSource(slide.image);
    const nucleus = await openImageSource(slide.nucleus);
    const cytosol = await openImageSource(slide.cytosol);
    const plan = await planCells(nucleus, { size: 32, border: "drop" });
    const rowLength = 5 * 32 * 32;
    const parts = planParts(plan.cells.length, 8, 3);
    for (const part of parts) {
      const rows: number[] = [];
      const out = new Uint16Array((part.rowEnd - part.rowStart) * rowLength);
      await streamStacks(
        plan,
        params,
        { image, nucleus, cytosol },
        async (row, stack) => {
          rows.push(row);
          out.set(stack, (row - part.rowStart) * rowLength);
        },
        { threads: 2, rowStart: part.rowStart, rowEnd: part.rowEnd },
      );
      expect(rows).toEqual(Array.from({ length: part.rowEnd - part.rowStart }, (_, k) => part.rowStart + k));
      expect(Buffer.from(out.buffer).equals(Buffer.from(whole.out.buffer, part.rowStart * rowLength * 2, out.byteLength))).toBe(true);
    }
    await Promise.all([image.close(), nucleus.close(), cytosol.close()]);
  });

  it("writes nothing before what the stacks wait for, and stops at the next batch when that fails", async () => {
    const params = resolveParams({ size: 32 });
    const image = await openImageSource(slide.image);
    const nucleus = await openImageSource(slide.nucleus);
    const plan = await planCells(nucleus, { size: params.size, border: params.border });
    const sources = { image, nucleus, cytosol: null };
    // waited for: the sink is called only once it settles
    let ready = false;
    const calls: boolean[] = [];
    await streamStacks(plan, params, sources, async () => void calls.push(ready), {
      threads: 2,
      batchSize: 4,
      writeAfter: new Promise<void>((r) =>
        setTimeout(() => {
          ready = true;
          r();
        }, 50),
      ),
    });
    expect(calls.length).toBe(plan.cells.length);
    expect(calls.every((r) => r)).toBe(true);
    // failed: the stream fails with it, having computed only what was under way, and wrote nothing
    let computed = 0;
    let written = 0;
    const failed = Promise.reject(new Error("layout: disk on fire"));
    await expect(
      streamStacks(plan, params, sources, async () => void written++, { threads: 2, batchSize: 4, writeAfter: failed, onComputed: (k) => (computed += k) }),
    ).rejects.toThrow(/disk on fire/);
    expect(written).toBe(0);
    expect(plan.cells.length).toBeGreaterThan(40);
    expect(computed).toBeLessThan(plan.cells.length / 2);
    await Promise.all([image.close(), nucleus.close()]);
  });

  it("spills finished cells to disk when ids are far from raster order, with the same bytes", async () => {
    const params = resolveParams({ size: 32 });
    const free = await stacks(params, 2);
    const tight = await stacks(params, 2, { queueBytes: 5 * 32 * 32 * 2 * 4, bandBytes: 100_000 });
    expect(tight.spilledRows).toBeGreaterThan(0);
    expect(Buffer.from(tight.out.buffer).equals(Buffer.from(free.out.buffer))).toBe(true);
  });

  it("in extraction order, hands every row once in the bands' order, the same for any number of threads; one worker holds nothing back", async () => {
    const params = resolveParams({ size: 32 });
    const inRows = await stacks(params, 2);
    const tight = { queueBytes: 5 * 32 * 32 * 2 * 4, bandBytes: 100_000, order: "extraction" as const };
    const a = await stacks(params, 2, tight);
    expect([...a.order].sort((x, y) => x - y)).toEqual(inRows.order);
    expect(a.order).not.toEqual(inRows.order);
    // spatial: each row's centroid strip (16 rows of centroids) never goes back up
    const strips = a.order.map((r) => Math.floor(a.plan.cells.cy(r) / 16));
    expect(strips.every((s, k) => k === 0 || s >= strips[k - 1])).toBe(true);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(inRows.out.buffer))).toBe(true);
    // The same bands as the spill test above, whose row order spilled. Batches
    // finish in the order they were handed out on one worker (or none), so no
    // row waits; with two, a batch that finishes before an earlier one waits
    // for it (the order is fixed, so the files are the same bytes), and may spill.
    for (const threads of [0, 1]) {
      const one = await stacks(params, threads, tight);
      expect(one.order).toEqual(a.order);
      expect(one.spilledRows, `${threads} threads`).toBe(0);
    }
  });
});
