// The queue that turns cells finished in spatial order into rows written in
// cellID order (row-order.ts): rows of a batch share one buffer, and when too
// much is held it spills whole buffers, so the memory it keeps is what its
// budget says, and the writer still gets every row in order with its bytes.
import { describe, expect, it } from "vitest";
import { InOrderRows } from "../../src/row-order.js";
import { rng as random } from "../kernels/synthetic-slide.js";

/** Row r's bytes: a length and a pattern of its own. */
function rowBytes(r: number): Uint8Array {
  const n = 40 + ((r * 37) % 90);
  return Uint8Array.from({ length: n }, (_, i) => (r * 31 + i * 7) & 255);
}

/**
 * Rows 0..n-1 in batches of `per` rows, each batch's rows in one buffer, row
 * 0's batch last: random rows (ids in random order), or consecutive rows in
 * batches of random order (ids in raster order, bands out of order).
 */
function batches(n: number, per: number, seed: number, consecutive = false): { rows: number[]; views: Uint8Array[] }[] {
  const r = random(seed);
  const rows = Array.from({ length: n }, (_, k) => k);
  for (let i = n - 1; i > 0 && !consecutive; i--) {
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const out: { rows: number[]; views: Uint8Array[] }[] = [];
  for (let k = 0; k < n; k += per) {
    const these = rows.slice(k, k + per);
    const parts = these.map(rowBytes);
    const buf = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    const views = parts.map((p) => {
      buf.set(p, at);
      at += p.length;
      return buf.subarray(at - p.length, at);
    });
    out.push({ rows: these, views });
  }
  for (let i = out.length - 1; i > 0 && consecutive; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  const last = out.findIndex((b) => b.rows.includes(0));
  out.push(...out.splice(last, 1));
  return out;
}

/** Bytes of the longest run of consecutive rows among `rows`. */
function longestRun(rows: number[]): number {
  const sorted = [...rows].sort((a, b) => a - b);
  let most = 0;
  let run = 0;
  sorted.forEach((r, k) => {
    run = k > 0 && r === sorted[k - 1] + 1 ? run + rowBytes(r).length : rowBytes(r).length;
    most = Math.max(most, run);
  });
  return most;
}

/** Feeds the batches through a queue of `budget` bytes; what it wrote, what it kept, what it read back. */
async function run(input: { rows: number[]; views: Uint8Array[] }[], n: number, budget: number) {
  const written: number[] = [];
  const got = new Map<number, Uint8Array>();
  // rows put and rows let go, per buffer: a buffer is kept while some of its rows are held
  const put = new Map<ArrayBufferLike, number>();
  const gone = new Map<ArrayBufferLike, number>();
  let mostKept = 0;
  const q = new InOrderRows<Uint8Array>(
    async (row, bytes) => {
      written.push(row);
      got.set(row, bytes.slice());
      await new Promise((r) => setImmediate(r));
    },
    (b) => b,
    budget,
    0,
    (stack) => gone.set(stack.buffer, (gone.get(stack.buffer) ?? 0) + 1),
  );
  for (const { rows, views } of input) {
    await q.waitForRoom();
    let kept = 0;
    for (const [buf, k] of put) if (k > (gone.get(buf) ?? 0)) kept += buf.byteLength;
    mostKept = Math.max(mostKept, kept);
    put.set(views[0].buffer, rows.length);
    for (let j = 0; j < rows.length; j++) q.put(rows[j], views[j]);
  }
  await q.finish(n);
  q.close();
  expect(written).toEqual(Array.from({ length: n }, (_, k) => k));
  for (let r = 0; r < n; r++) expect(got.get(r), `row ${r}`).toEqual(rowBytes(r));
  return { mostKept, spilledRows: q.spilledRows, mostReadBack: q.mostReadBack };
}

describe("rows in cellID order from cells in spatial order", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: spills whole batches, keeps what the budget allows, reads back a row at a time, and writes every row in order with its bytes`, async () => {
      const n = 120;
      const input = batches(n, 6, seed);
      const batchBytes = Math.max(...input.map((b) => b.views[0].buffer.byteLength));
      const budget = 4 * batchBytes;
      const { mostKept, spilledRows, mostReadBack } = await run(input, n, budget);
      expect(spilledRows).toBeGreaterThan(0);
      // Row 0 comes last, so nothing is written before it: what the queue keeps
      // in buffers stays within its budget (plus the batch just put).
      expect(mostKept).toBeLessThanOrEqual(budget + batchBytes);
      // A spilled batch's rows are mostly far apart in row order: a row comes
      // back with only those of its batch that directly follow it, not with
      // the whole batch (held until the batch's last row: at the end nearly
      // every spilled byte at once).
      expect(mostReadBack).toBeGreaterThan(0);
      expect(mostReadBack).toBeLessThanOrEqual(Math.max(...input.map((b) => longestRun(b.rows))));
      expect(mostReadBack).toBeLessThan(Math.min(...input.map((b) => b.views[0].buffer.byteLength)));
    });
  }

  it("reads a spilled batch of consecutive rows back with one read", async () => {
    const n = 120;
    const input = batches(n, 6, 4, true);
    const batchBytes = Math.max(...input.map((b) => b.views[0].buffer.byteLength));
    const { spilledRows, mostReadBack } = await run(input, n, 4 * batchBytes);
    expect(spilledRows).toBeGreaterThan(0);
    const spilledBatch = Math.min(...input.map((b) => b.views[0].buffer.byteLength));
    expect(mostReadBack).toBeGreaterThanOrEqual(spilledBatch);
    expect(mostReadBack).toBeLessThanOrEqual(batchBytes);
  });
});
