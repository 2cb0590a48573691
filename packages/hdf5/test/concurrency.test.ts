// The one bound on work under way (Limiter, and runPool for a list of tasks):
// the bound holds, a failure frees its slot, results come back to their
// callers, and a pool stops starting tasks after a failure but settles those
// under way first.
import { describe, expect, it } from "vitest";
import { Limiter, runPool } from "../src/index.js";

const tick = (ms = 2) => new Promise<void>((r) => setTimeout(r, ms));

/** A task that records how many run at once. */
function counter() {
  const state = { now: 0, most: 0, started: [] as number[], finished: [] as number[] };
  const task = (i: number, fail = false) => async () => {
    state.started.push(i);
    state.most = Math.max(state.most, ++state.now);
    await tick(1 + (i % 3));
    state.now--;
    state.finished.push(i);
    if (fail) throw new Error(`task ${i} failed`);
    return i * 10;
  };
  return { state, task };
}

describe("Limiter", () => {
  it("keeps at most max runs under way and hands each its own result", async () => {
    const { state, task } = counter();
    const limiter = new Limiter(3);
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.run(task(i))));
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(state.most).toBe(3);
    expect(state.started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("frees the slot of a run that throws or rejects", async () => {
    const limiter = new Limiter(1);
    await expect(
      limiter.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(limiter.run(() => Promise.reject(new Error("async")))).rejects.toThrow("async");
    await expect(limiter.run(async () => 7)).resolves.toBe(7);
  });

  it("treats a bound below 1 as 1 (no run waits for ever, none is skipped)", async () => {
    const { state, task } = counter();
    const limiter = new Limiter(0);
    await Promise.all([0, 1, 2].map((i) => limiter.run(task(i))));
    await runPool([3, 4].map((i) => async () => void (await task(i)())), 0);
    expect(state.most).toBe(1);
    expect(state.finished).toEqual([0, 1, 2, 3, 4]);
  });

  it("setMax: a higher bound starts waiters at once; under a lower one, no run starts until fewer are under way", async () => {
    const { state, task } = counter();
    const limiter = new Limiter(2);
    const all = Array.from({ length: 12 }, (_, i) => limiter.run(task(i)));
    expect(limiter.waiting).toBe(10);
    limiter.setMax(5);
    for (let i = 0; i < 3; i++) await Promise.resolve(); // the waiters' runs start in microtasks
    expect(state.started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.waiting).toBe(7);
    limiter.setMax(1);
    await Promise.all(all);
    expect(state.most).toBe(5);
    // after the lower bound, runs went one at a time: each started once the one before finished
    expect(state.finished.slice(5)).toEqual(state.started.slice(5));
    expect(state.finished).toHaveLength(12);
  });
});

describe("runPool", () => {
  it("runs every task in order, at most limit at once", async () => {
    const { state, task } = counter();
    await runPool(
      Array.from({ length: 12 }, (_, i) => async () => void (await task(i)())),
      4,
    );
    expect(state.most).toBe(4);
    expect(state.started).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it("after a failure starts no more, and rejects once those under way settle", async () => {
    const { state, task } = counter();
    const tasks = Array.from({ length: 10 }, (_, i) => async () => void (await task(i, i === 1)()));
    await expect(runPool(tasks, 3)).rejects.toThrow("task 1 failed");
    // 0..2 started at once; task 1 fails before 3 can take its slot (0 and 2 take longer)
    expect(state.started.length).toBeLessThan(10);
    expect(state.now).toBe(0);
    expect([...state.finished].sort()).toEqual([...state.started].sort());
  });
});
