// The starts of runs of equal (nucleus, cytosol) labels that the plan's scan
// visits (kernels/mask-runs.ts): the WebAssembly kernel and the JavaScript
// twin against the definition (a row's first pixel, or a pixel unlike the one
// before it in either mask), for every integer pixel type, rows narrower and
// wider than a vector, with and without a cytosol plane, and more starts than
// one call stores (resumed where it stopped).
import { describe, expect, it } from "vitest";
import { type MaskArray, type MaskPlane, MaskRunScanner, RUN_STARTS, runStarts } from "../../src/kernels/mask-runs.js";
import { wasmKernelsAvailable } from "../../src/kernels/wasm.js";

/** The definition, pixel by pixel. */
function expected(n: MaskPlane, c: MaskPlane | null, len: number, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < len; i++) if (i % width === 0 || n[i] !== n[i - 1] || (c !== null && c[i] !== c[i - 1])) out.push(i);
  return out;
}

/** Every start of one plane pair through repeated calls of `find`. */
function collect(find: (from: number) => { count: number; resume: number }, starts: Int32Array, len: number): number[] {
  const out: number[] = [];
  for (let from = 0; from < len; ) {
    const { count, resume } = find(from);
    expect(resume).toBeGreaterThan(from);
    for (let j = 0; j < count; j++) out.push(starts[j]);
    from = resume;
  }
  return out;
}

let seed = 3;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};

/** Labels in runs of random length (1 to `run`), some 0, within the type's range. */
function labels(T: MaskArray, len: number, run: number, max: number): MaskPlane {
  const a = new T(len);
  for (let i = 0; i < len; ) {
    const v = rand() < 0.3 ? 0 : Math.floor(rand() * max) - (T === Int8Array || T === Int16Array || T === Int32Array ? Math.floor(max / 2) : 0);
    const end = Math.min(len, i + 1 + Math.floor(rand() * run));
    a.fill(v, i, end);
    i = end;
  }
  return a;
}

const TYPES: [MaskArray, number][] = [
  [Uint8Array, 255],
  [Int8Array, 255],
  [Uint16Array, 65535],
  [Int16Array, 65535],
  [Uint32Array, 4e9],
  [Int32Array, 4e9],
];

describe("run starts of the masks' scan", () => {
  for (const [T, max] of TYPES) {
    for (const width of [1, 3, 5, 17, 64, 333]) {
      for (const withCytosol of [true, false]) {
        it(`${T.name}, rows of ${width}, ${withCytosol ? "nucleus and cytosol" : "nucleus alone"}`, () => {
          const rows = Math.ceil(4000 / width);
          const len = rows * width - (width > 3 ? 2 : 0); // a band may end inside a row
          for (const run of [1, 7, 200]) {
            const n = labels(T, len, run, max);
            const c = withCytosol ? labels(T, len, run * 2, max) : null;
            const want = expected(n, c, len, width);
            const starts = new Int32Array(RUN_STARTS);
            expect(collect((from) => runStarts(n, c, len, width, from, starts), starts, len)).toEqual(want);
            if (!wasmKernelsAvailable()) continue;
            const scanner = MaskRunScanner.create(T, withCytosol ? T : null, len, 1);
            if (!scanner) throw new Error(`no kernel for ${T.name}`);
            scanner.sets[0].n.set(n);
            scanner.sets[0].c?.set(c as MaskPlane);
            expect(collect((from) => scanner.find(0, len, width, from), scanner.starts, len)).toEqual(want);
          }
        });
      }
    }
  }

  it("more starts than one call holds: both resume where they stopped", () => {
    const width = 700;
    const len = 300 * width;
    const n = labels(Uint16Array, len, 2, 60000);
    const c = labels(Uint16Array, len, 2, 60000);
    const want = expected(n, c, len, width);
    expect(want.length).toBeGreaterThan(2 * RUN_STARTS);
    const starts = new Int32Array(RUN_STARTS);
    const first = runStarts(n, c, len, width, 0, starts);
    expect(first.count).toBe(RUN_STARTS);
    expect(first.resume).toBe(want[RUN_STARTS]);
    expect(collect((from) => runStarts(n, c, len, width, from, starts), starts, len)).toEqual(want);
    const scanner = MaskRunScanner.create(Uint16Array, Uint16Array, len, 2);
    if (!scanner) throw new Error("no kernel");
    scanner.sets[1].n.set(n);
    scanner.sets[1].c?.set(c);
    expect(scanner.find(1, len, width, 0)).toEqual(first);
    expect(collect((from) => scanner.find(1, len, width, from), scanner.starts, len)).toEqual(want);
  });

  it("the kernel takes integer masks of one pixel size; float labels and mixed sizes stay JavaScript", () => {
    expect(MaskRunScanner.create(Float32Array, null, 10)).toBeNull();
    expect(MaskRunScanner.create(Int32Array, Float32Array, 10)).toBeNull();
    expect(MaskRunScanner.create(Float64Array, null, 10)).toBeNull();
    expect(MaskRunScanner.create(Uint16Array, Uint32Array, 10)).toBeNull();
    expect(MaskRunScanner.create(Int32Array, Uint32Array, 10)).not.toBeNull();
  });
});
