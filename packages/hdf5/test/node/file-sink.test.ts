// The output file's sink: what is appended, reserved and filled in lands at
// its address, through the write-behind buffer, the direct writes of large
// pieces and the background syncs of a long write; nothing appears under the
// final name before commit, and a discard leaves nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileSink } from "../../src/node/file-sink.js";

/** Bytes that say where they are: byte i of piece k is (k * 31 + i) & 255. */
function piece(k: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (k * 31 + i) & 255;
  return b;
}

describe("FileSink", () => {
  it("writes 96 MB of small and large appends and a filled reservation to their addresses, and commits it under its name", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cf-sink-"));
    const file = path.join(dir, "out.h5");
    const sink = await FileSink.create(file, false);
    const expected: [number, Uint8Array][] = [];
    const header = sink.reserve(4096);
    let k = 0;
    // pieces of 64 KB to 3 MB (copied into the buffer) and of 5 MB (written from where they are), past several background syncs
    while (sink.end < 96 << 20) {
      const n = k % 7 === 6 ? 5 << 20 : (64 << 10) * (1 + (k % 48));
      const b = piece(k++, n);
      expected.push([sink.append(b), b]);
      await sink.backpressure();
    }
    const head = piece(999, 4096);
    sink.writeAt(header, head);
    expected.push([header, head]);
    expect(existsSync(file)).toBe(false);
    await sink.commit();
    const got = readFileSync(file);
    expect(got.length).toBe(sink.end);
    for (const [at, b] of expected) expect(Buffer.compare(got.subarray(at, at + b.length), b)).toBe(0);
    expect(readdirSync(dir)).toEqual(["out.h5"]);
  });

  it("a discard leaves no file, after background syncs too", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cf-sink-"));
    const sink = await FileSink.create(path.join(dir, "gone.h5"), false);
    for (let k = 0; k < 20; k++) {
      sink.append(piece(k, 3 << 20));
      await sink.backpressure();
    }
    await sink.discard();
    expect(readdirSync(dir)).toEqual([]);
  });
});
