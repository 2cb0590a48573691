// One file exercising every dtype, filter, layout and attribute kind the
// writer supports, and the values each reader must find in it.
import { type AttributeValue, type H5Filter, type H5Type, Hdf5Writer } from "../../src/index.js";

export interface Expected {
  /** Values as the dump script prints them: ints / float bits as decimal strings, strings as text. */
  datasets: Record<string, { dtype: string; shape: number[]; chunks: number[] | null; filters: number[]; values: (string | boolean)[] }>;
  attrs: Record<string, Record<string, { dtype: string; shape: number[]; values: (string | boolean)[] }>>;
  groups: string[];
}

const INT_TYPES: [string, H5Type, (n: number) => bigint | number][] = [
  ["i1", { class: "int", size: 1, signed: true }, (i) => [-128, 127, 0, -1, 5][i % 5]],
  ["i2", { class: "int", size: 2, signed: true }, (i) => [-32768, 32767, 0, -1, 300][i % 5]],
  ["i4", { class: "int", size: 4, signed: true }, (i) => [-2147483648, 2147483647, 0, -1, 70000][i % 5]],
  ["i8", { class: "int", size: 8, signed: true }, (i) => [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 40n][i % 5]],
  ["u1", { class: "int", size: 1, signed: false }, (i) => [0, 255, 1, 128, 7][i % 5]],
  ["u2", { class: "int", size: 2, signed: false }, (i) => [0, 65535, 1, 32768, 7][i % 5]],
  ["u4", { class: "int", size: 4, signed: false }, (i) => [0, 4294967295, 1, 2147483648, 7][i % 5]],
  ["u8", { class: "int", size: 8, signed: false }, (i) => [0n, 2n ** 64n - 1n, 1n, 2n ** 63n, 7n][i % 5]],
];

function typedFor(code: string, n: number, f: (i: number) => bigint | number) {
  const C = {
    i1: Int8Array,
    i2: Int16Array,
    i4: Int32Array,
    i8: BigInt64Array,
    u1: Uint8Array,
    u2: Uint16Array,
    u4: Uint32Array,
    u8: BigUint64Array,
  }[code]!;
  const a = new (C as any)(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

/** Float bits as the dump prints them (unsigned integers of the float's width). */
function bitsOf(a: Float32Array | Float64Array | Uint16Array): string[] {
  if (a instanceof Uint16Array) return Array.from(a, String);
  if (a instanceof Float32Array) return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), String);
  return Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length), String);
}

/** A deterministic pseudo-random generator (so the lzf chunk is incompressible). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

const F16: H5Type = { class: "float", size: 2 };
const FILTER_SETS: [string, H5Filter[], number[]][] = [
  ["none", [], []],
  ["gzip", [{ id: "deflate", level: 1 }], [1]],
  ["shuffle_gzip", [{ id: "shuffle" }, { id: "deflate", level: 6 }], [2, 1]],
  ["lzf", [{ id: "lzf" }], [32000]],
  ["shuffle_lzf", [{ id: "shuffle" }, { id: "lzf" }], [2, 32000]],
  ["shuffle", [{ id: "shuffle" }], [2]],
];

export const STRINGS = ["", "a", "héllo wörld", "日本語テキスト", "", "emoji 🧬🔬", "x".repeat(300), "tab\tnew\nline"];

export async function writeFixture(path: string): Promise<Expected> {
  const w = await Hdf5Writer.create(path, { overwrite: true });
  const exp: Expected = { datasets: {}, attrs: {}, groups: [] };
  const ds = (name: string, dtype: string, shape: number[], chunks: number[] | null, filters: number[], values: (string | boolean)[]) => {
    exp.datasets[name] = { dtype, shape, chunks, filters, values };
  };

  // every integer type, contiguous, extremes
  for (const [code, type, f] of INT_TYPES) {
    const data = typedFor(code, 10, f);
    const d = w.createDataset(`ints/${code}`, { shape: [10], type });
    await d.write([0], [10], data);
    ds(`ints/${code}`, `<${code}`.replace("<i1", "|i1").replace("<u1", "|u1"), [10], null, [], Array.from(data as ArrayLike<number | bigint>, String));
  }
  // floats, with NaN, infinities, -0 and subnormals
  const f32 = Float32Array.from([0, -0, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, 3.4e38]);
  await w.createDataset("floats/f4", { shape: [9], type: { class: "float", size: 4 } }).write([0], [9], f32);
  ds("floats/f4", "<f4", [9], null, [], bitsOf(f32));
  const f64 = Float64Array.from([0, -0, Math.PI, -1e300, Number.NaN, Number.POSITIVE_INFINITY, 5e-324, 1 / 3]);
  const d64 = w.createDataset("floats/f8_2d", { shape: [2, 4], type: { class: "float", size: 8 }, chunks: [1, 3], filters: [{ id: "shuffle" }, { id: "deflate", level: 9 }] });
  await d64.write([0, 0], [2, 4], f64);
  ds("floats/f8_2d", "<f8", [2, 4], [1, 3], [2, 1], bitsOf(f64));

  // float16 (N, 5, 9) with partial edge chunks, each filter set
  const shape = [7, 5, 9];
  const n = 7 * 5 * 9;
  const half = new Uint16Array(n);
  const r = rng(7);
  for (let i = 0; i < n; i++) half[i] = i % 3 === 0 ? 0x3c00 + (i % 97) : r() & 0x7bff; // finite halves
  for (const [name, filters, ids] of FILTER_SETS) {
    const d = w.createDataset(`f16/${name}`, { shape, type: F16, chunks: [3, 2, 4], filters });
    // two row blocks, the second first: chunks arrive out of order
    await d.write([3, 0, 0], [4, 5, 9], half.subarray(3 * 45));
    await d.write([0, 0, 0], [3, 5, 9], half.subarray(0, 3 * 45));
    ds(`f16/${name}`, "<f2", shape, [3, 2, 4], ids, bitsOf(half));
  }
  // lzf on incompressible bytes: stored raw with the filter-mask bit set
  const noise = new Uint8Array(4096);
  const r2 = rng(11);
  for (let i = 0; i < noise.length; i++) noise[i] = r2() >>> 24;
  noise.fill(0, 2048); // second chunk compresses
  const dn = w.createDataset("lzf_noise", { shape: [4096], type: { class: "int", size: 1, signed: false }, chunks: [2048], filters: [{ id: "lzf" }] });
  await dn.write([0], [4096], noise);
  ds("lzf_noise", "|u1", [4096], [2048], [32000], Array.from(noise, String));

  // many chunks: a chunk B-tree deeper than one node (300 chunks > 64)
  const many = Int16Array.from({ length: 1200 }, (_, i) => i - 600);
  await w.createDataset("many_chunks", { shape: [300, 4], type: { class: "int", size: 2, signed: true }, chunks: [1, 4], filters: [{ id: "deflate", level: 1 }] }).write([0, 0], [300, 4], many);
  ds("many_chunks", "<i2", [300, 4], [1, 4], [1], Array.from(many, String));

  // bools (h5py's enum), contiguous and chunked
  const bools = Uint8Array.from({ length: 11 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  await w.createDataset("bool/contiguous", { shape: [11], type: { class: "bool" } }).write([0], [11], bools);
  ds("bool/contiguous", "|b1", [11], null, [], Array.from(bools, (b) => b === 1));
  await w.createDataset("bool/chunked", { shape: [11], type: { class: "bool" }, chunks: [4], filters: [{ id: "deflate", level: 4 }] }).write([0], [11], bools);
  ds("bool/chunked", "|b1", [11], [4], [1], Array.from(bools, (b) => b === 1));

  // strings
  await w.createDataset("str/vlen", { shape: [STRINGS.length], type: { class: "vlen-string" } }).write([0], [STRINGS.length], STRINGS);
  ds("str/vlen", "|O", [STRINGS.length], null, [], STRINGS);
  const s2 = [...STRINGS, "last"];
  const dv = w.createDataset("str/vlen_chunked", { shape: [3, 3], type: { class: "vlen-string" }, chunks: [2, 2], filters: [{ id: "deflate", level: 1 }] });
  await dv.write([0, 0], [3, 3], s2);
  ds("str/vlen_chunked", "|O", [3, 3], [2, 2], [1], s2);
  const fixed = ["abc", "", "hello", "x"];
  await w.createDataset("str/fixed", { shape: [4], type: { class: "fixed-string", size: 5 } }).write([0], [4], fixed);
  ds("str/fixed", "|S5", [4], null, [], fixed);

  // scalars, zero-length and empty
  await w.createDataset("scalar/f8", { shape: [], type: { class: "float", size: 8 } }).write([], [], new Float64Array([2.5]));
  ds("scalar/f8", "<f8", [], null, [], bitsOf(new Float64Array([2.5])));
  await w.createDataset("scalar/str", { shape: [], type: { class: "vlen-string" } }).write([], [], ["scalar ü"]);
  ds("scalar/str", "|O", [], null, [], ["scalar ü"]);
  w.createDataset("empty/zero_length", { shape: [0], type: { class: "float", size: 4 } });
  ds("empty/zero_length", "<f4", [0], null, [], []);
  w.createDataset("empty/zero_rows", { shape: [0, 3], type: { class: "int", size: 2, signed: true } });
  ds("empty/zero_rows", "<i2", [0, 3], null, [], []);
  w.createDataset("empty/unwritten_chunks", { shape: [5, 2], type: { class: "int", size: 4, signed: true }, chunks: [2, 2], filters: [{ id: "deflate", level: 1 }] });
  ds("empty/unwritten_chunks", "<i4", [5, 2], [2, 2], [1], new Array(10).fill("0"));
  w.createDataset("empty/strings", { shape: [0], type: { class: "vlen-string" } });
  ds("empty/strings", "|O", [0], null, [], []);

  // contiguous written in two arbitrary boxes
  const grid = Int32Array.from({ length: 24 }, (_, i) => i * 1000);
  const dg = w.createDataset("boxes", { shape: [4, 6], type: { class: "int", size: 4, signed: true } });
  await dg.write([0, 0], [4, 2], Int32Array.from([0, 1, 6, 7, 12, 13, 18, 19], (i) => grid[i]));
  await dg.write([0, 2], [4, 4], Int32Array.from([2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 20, 21, 22, 23], (i) => grid[i]));
  ds("boxes", "<i4", [4, 6], null, [], Array.from(grid, String));

  // groups: nested, empty, wide (SNOD splits and a two-level group B-tree)
  w.createGroup("nested/a/b/c");
  w.createGroup("empty_group");
  for (let i = 0; i < 300; i++) w.createGroup(`wide/g${String(i).padStart(3, "0")}`);
  exp.groups = ["nested", "nested/a", "nested/a/b", "nested/a/b/c", "empty_group", "wide", ...Array.from({ length: 300 }, (_, i) => `wide/g${String(i).padStart(3, "0")}`)];

  // attributes of every kind
  const attrs: [string, AttributeValue, string, (string | boolean)[]][] = [
    ["str", { type: { class: "vlen-string" }, shape: [], data: ["anndata"] }, "|O", ["anndata"]],
    ["str_unicode", { type: { class: "vlen-string" }, shape: [], data: ["μm ✓"] }, "|O", ["μm ✓"]],
    ["str_empty", { type: { class: "vlen-string" }, shape: [], data: [""] }, "|O", [""]],
    ["str_list", { type: { class: "vlen-string" }, shape: [4], data: ["a", "", "ß", "obs"] }, "|O", ["a", "", "ß", "obs"]],
    ["i64", { type: { class: "int", size: 8, signed: true }, shape: [], data: new BigInt64Array([-(2n ** 62n)]) }, "<i8", [String(-(2n ** 62n))]],
    ["u8", { type: { class: "int", size: 1, signed: false }, shape: [], data: new Uint8Array([200]) }, "|u1", ["200"]],
    ["f64", { type: { class: "float", size: 8 }, shape: [], data: new Float64Array([0.1]) }, "<f8", bitsOf(new Float64Array([0.1]))],
    ["bool_true", { type: { class: "bool" }, shape: [], data: new Uint8Array([1]) }, "|b1", [true]],
    ["bool_false", { type: { class: "bool" }, shape: [], data: new Uint8Array([0]) }, "|b1", [false]],
    ["bool_list", { type: { class: "bool" }, shape: [3], data: new Uint8Array([1, 0, 1]) }, "|b1", [true, false, true]],
    ["int_list", { type: { class: "int", size: 8, signed: true }, shape: [3], data: new BigInt64Array([1n, -2n, 3n]) }, "<i8", ["1", "-2", "3"]],
    ["float_list", { type: { class: "float", size: 4 }, shape: [2], data: new Float32Array([1.5, -0.25]) }, "<f4", bitsOf(new Float32Array([1.5, -0.25]))],
    ["empty_list", { type: { class: "float", size: 8 }, shape: [0], data: new Float64Array(0) }, "<f8", []],
    ["fixed", { type: { class: "fixed-string", size: 4 }, shape: [], data: ["abcd"] }, "|S4", ["abcd"]],
    ["ünïcode näme", { type: { class: "int", size: 4, signed: true }, shape: [], data: new Int32Array([42]) }, "<i4", ["42"]],
  ];
  for (const target of ["", "nested/a", "f16/lzf", "str/vlen"]) {
    exp.attrs[target] = {};
    for (const [name, v, dtype, values] of attrs) {
      w.setAttribute(target, name, v);
      exp.attrs[target][name] = { dtype, shape: v.shape, values };
    }
  }
  // many attributes: the object header continues in further chunks
  exp.attrs.many_attrs = {};
  w.createGroup("many_attrs");
  for (let i = 0; i < 250; i++) {
    const name = `attr_${i}`;
    if (i % 2) {
      w.setAttribute("many_attrs", name, { type: { class: "vlen-string" }, shape: [], data: [`value ${i}`] });
      exp.attrs.many_attrs[name] = { dtype: "|O", shape: [], values: [`value ${i}`] };
    } else {
      w.setAttribute("many_attrs", name, { type: { class: "int", size: 8, signed: true }, shape: [], data: new BigInt64Array([BigInt(i)]) });
      exp.attrs.many_attrs[name] = { dtype: "<i8", shape: [], values: [String(i)] };
    }
  }
  await w.close();
  return exp;
}

/** Dumps a file with h5py (3.7 or 3.13): the same shape as `Expected`. */
export const DUMP_SCRIPT = `
import h5py, json, sys, numpy as np
inp = json.loads(sys.stdin.read())
f = h5py.File(inp["path"], "r")
def values(x):
    x = np.asarray(x)
    if x.dtype.kind == "O" or x.dtype.kind == "S":
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in x.ravel().tolist()]
    if x.dtype.kind == "b":
        return [bool(v) for v in x.ravel()]
    if x.dtype.kind == "f":
        return [str(int(v)) for v in x.view("u%d" % x.dtype.itemsize).ravel()]
    return [str(int(v)) for v in x.ravel()]
def dt(x):
    return x.dtype.str if x.dtype.kind != "O" else "|O"
out = {"datasets": {}, "attrs": {}, "groups": [], "masks": {}}
def visit(name, obj):
    if isinstance(obj, h5py.Group):
        out["groups"].append(name)
    else:
        out["datasets"][name] = {"dtype": dt(obj), "shape": list(obj.shape), "chunks": list(obj.chunks) if obj.chunks else None,
            "filters": [int(obj.id.get_create_plist().get_filter(i)[0]) for i in range(obj.id.get_create_plist().get_nfilters())],
            "values": values(obj[()])}
        if obj.chunks:
            out["masks"][name] = [obj.id.get_chunk_info(i).filter_mask for i in range(obj.id.get_num_chunks())]
f.visititems(visit)
for target in inp["attr_targets"]:
    obj = f[target] if target else f
    d = {}
    for k in obj.attrs.keys():
        v = obj.attrs[k]
        a = np.asarray(v)
        d[k] = {"dtype": dt(a) if not isinstance(v, str) else "|O", "shape": list(a.shape), "values": values(a) if not isinstance(v, str) else [v]}
    out["attrs"][target] = d
print(json.dumps(out))
`;
