// Over HTTP from the static servers people start by hand, on 127.0.0.1
// (http-server.ts): one that answers only a few requests at once and makes
// the others wait 1 s, 2 s more, ..., as `python -m http.server` does to the
// connections past its listen backlog of 5, and one where a request goes
// unanswered once.
// A full pass of training batches must complete with no tuning, its values
// equal to the local read of the same files.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HTTP_CONCURRENCY } from "@cellfolio/format";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { batches, openDataset } from "../src/index.js";
import { type Fixtures, makeFixtures, N_CELLS } from "./fixtures.js";
import { serve, type TestServer } from "./http-server.js";

let fx: Fixtures;
let server: TestServer;
const dir = path.join(tmpdir(), `lazy-backlog-${process.pid}`);
const url = (file: string, on = server) => `${on.url}/${path.relative(dir, file)}`;
/**
 * A request left unanswered fails in 2 s instead of 30 (the default): sent
 * 64 at once (as before the window), requests wait 3 s and more and the
 * pass fails quickly rather than after minutes.
 */
const QUICK = { timeoutMs: 2000, retryDelayMs: 20 };

beforeAll(async () => {
  fx = makeFixtures(dir);
  server = await serve(dir);
}, 120_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

/** A full shuffled pass of batches of `file` from `on`, each batch equal to the same cells read locally. */
async function fullPass(file: string, options: Record<string, unknown>, on = server): Promise<number> {
  const remote = await openDataset(url(file, on), options);
  const local = await openDataset(file);
  let n = 0;
  try {
    for await (const b of batches(remote, { batchSize: 16, seed: 5 })) {
      const want = await local.getCells(b.rows);
      expect(b.cellIds).toEqual(want.cellIds);
      expect(Array.from(b.images)).toEqual(Array.from(want.data));
      n += b.shape[0];
    }
  } finally {
    await remote.close();
    await local.close();
  }
  return n;
}

describe("a server that answers only 6 requests at once (Python's listen backlog of 5), the others 1 s later or more", () => {
  it("a full pass of batches over Zarr v2 and .h5sc completes with no `concurrency` given; values equal", async () => {
    expect(HTTP_CONCURRENCY["http:"]).toBe(6);
    for (const file of [fx.zarr2, fx.h5lzf]) {
      // a server (an origin) of its own: what the client learnt of the last one does not carry over
      const busy = await serve(dir);
      busy.maxUnderWay = 6;
      try {
        expect(await fullPass(file, QUICK, busy)).toBe(N_CELLS);
        // a Zarr chunk or HDF5 chunk group a request: many more requests than slots
        expect(busy.log.length).toBeGreaterThan(5 * 6);
      } finally {
        await busy.close();
      }
    }
  });

  it("`concurrency: 12` is a fixed number of requests in flight: more than 6 at once, never more than 12", async () => {
    server.maxUnderWay = 100;
    expect(await fullPass(fx.h5lzf, { concurrency: 12 })).toBe(N_CELLS);
    expect(server.peakUnderWay).toBeGreaterThan(6);
    expect(server.peakUnderWay).toBeLessThanOrEqual(12);
  });
});

describe("a request with no answer within timeoutMs", () => {
  it("is sent again (attempts, with backoff): the pass completes, values equal", async () => {
    // the first request for each chunk of the images is left unanswered
    const seen = new Set<string>();
    let stalled = 0;
    server.intercept = (req, _res, entry) => {
      const key = `${entry.path} ${req.headers.range ?? ""}`;
      if (!/single_cell_images\/\d/.test(entry.path) || seen.has(key)) return false;
      seen.add(key);
      stalled++;
      return true; // never answered
    };
    expect(await fullPass(fx.zarr2, { timeoutMs: 300, retryDelayMs: 20 })).toBe(N_CELLS);
    expect(stalled).toBe(N_CELLS);
  });

  it("every try unanswered: the error names the URL, the time limit and the tries", async () => {
    server.intercept = () => true; // never answered
    const t0 = Date.now();
    await expect(openDataset(url(fx.h5lzf), { timeoutMs: 300, retryDelayMs: 20 })).rejects.toThrow(
      `${url(fx.h5lzf)}: no answer within 0.3 s (the connect and first-byte time limit, option timeoutMs) (3 tries)`,
    );
    expect(server.log.length).toBe(3);
    expect(Date.now() - t0).toBeLessThan(3 * 300 + 1000);
  });
});
