// WorkerPoolOptions' heap caps reach V8: a worker started with them reports
// a heap limit of about their sum, one started without them the default
// (GBs on a 64-bit machine). The worker is a module written for the test
// that serves its pool through the built serveWorker.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WorkerPool } from "../../src/node/worker-pool.js";

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-worker-pool-"));
const file = path.join(dir, "heap-limit.mjs");
const built = new URL("../../dist/node.js", import.meta.url).href;
writeFileSync(
  file,
  `import { getHeapStatistics } from "node:v8";
import { serveWorker } from ${JSON.stringify(built)};
serveWorker(() => getHeapStatistics().heap_size_limit);
`,
);

async function heapLimitMb(options: ConstructorParameters<typeof WorkerPool>[2]): Promise<number> {
  const pool = new WorkerPool<null, number>(file, 1, options);
  try {
    return (await pool.run(null)) / 2 ** 20;
  } finally {
    await pool.close();
  }
}

describe("WorkerPool heap caps", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("cap the old and young generations as asked", async () => {
    const capped = await heapLimitMb({ youngGenerationMb: 8, oldGenerationMb: 64 });
    expect(capped).toBeGreaterThanOrEqual(64);
    expect(capped).toBeLessThanOrEqual(64 + 8 + 4);
  });

  it("leave V8's default without them", async () => {
    expect(await heapLimitMb({})).toBeGreaterThan(512);
  });
});
