// Test helpers: our AnnData as the JSON that test-data/anndata/dump.py makes
// of Python's, and stores moved between Python and the in-memory store as
// plain node lists, so the element layer is judged by anndata itself.
import path from "node:path";
import { py, TEST_DATA } from "../../../../test-utils/oracle.js";
import { typedArrayFor } from "../../src/dtype.js";
import { loadArray } from "../../src/elements/context.js";
import { float16ToFloat32 } from "../../src/float16.js";
import { MemoryStore } from "../../src/memory.js";
import type { AnnData, DataFrame, Elem } from "../../src/model.js";
import type { Attrs, DType, NDArray } from "../../src/types.js";

export const ANNDATA_DATA = path.join(TEST_DATA, "anndata");

/** Python preamble: dump.py importable. */
export const PY_DUMP = `import sys, json\nsys.path.insert(0, ${JSON.stringify(ANNDATA_DATA)})\nimport warnings\nwarnings.filterwarnings("ignore")\nfrom dump import dump, to_json\nimport anndata as ad\n`;

function value(v: unknown, dtype: DType): unknown {
  if (typeof v === "bigint") return Number(v);
  if (dtype === "bool") return Boolean(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (v === Number.POSITIVE_INFINITY) return "Inf";
    if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  }
  return v;
}

function values(a: NDArray): unknown[] {
  const data = a.dtype === "float16" ? float16ToFloat32(a.data as Uint16Array) : a.data;
  return Array.from(data as ArrayLike<unknown>, (x) => value(x, a.dtype));
}

function dense(a: NDArray) {
  return { t: "dense", dtype: a.dtype, shape: a.shape, v: values(a) };
}

async function column(e: Elem): Promise<unknown> {
  if ("kind" in e) {
    if (e.kind === "categorical") {
      return { t: "cat", codes: values(e.codes), categories: values(e.categories), ordered: e.ordered };
    }
    if (e.kind === "nullable-integer" || e.kind === "nullable-boolean" || e.kind === "nullable-string-array") {
      const v = values(e.values);
      const m = e.mask.data as Uint8Array;
      return { t: e.kind, v: v.map((x, i) => (m[i] ? null : x)) };
    }
  }
  return dumpElem(e);
}

export async function dumpFrame(df: DataFrame) {
  const c: Record<string, unknown> = {};
  for (const name of df.columnOrder) c[name] = await column(df.columns[name]);
  const index = Array.isArray(df.index) ? df.index : values(df.index);
  return { t: "df", index, columns: df.columnOrder, c };
}

export async function dumpElem(e: Elem, recAsDict = false): Promise<unknown> {
  if (!("kind" in e)) return e.shape.length === 0 ? { t: "scalar", v: value(e.data[0], e.dtype) } : dense(e);
  switch (e.kind) {
    case "array-handle":
      return dense(await loadArray(e));
    case "dataframe":
      return dumpFrame(e);
    case "csr_matrix":
    case "csc_matrix":
      return {
        t: e.kind === "csr_matrix" ? "csr" : "csc",
        shape: e.shape,
        dtype: e.data.dtype,
        data: values(e.data),
        indices: values(e.indices),
        indptr: values(e.indptr),
      };
    case "dict": {
      const v: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(e.items)) v[k] = await dumpElem(x, recAsDict);
      return { t: "dict", v };
    }
    case "numeric-scalar":
    case "string":
      return { t: "scalar", v: value(e.value, e.dtype) };
    case "null":
      return { t: "null" };
    case "rec-array": {
      const v: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(e.fields)) v[recAsDict ? k.replaceAll("/", "_") : k] = dense(x);
      return { t: recAsDict ? "dict" : "rec", v };
    }
    case "awkward-array": {
      const buffers: Record<string, unknown> = {};
      for (const [k, b] of Object.entries(e.buffers)) buffers[k] = values(b);
      return { t: "awkward", length: e.length, buffers };
    }
    default:
      return column(e);
  }
}

async function mapping(m: Record<string, Elem> | undefined, recAsDict = false) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = await dumpElem(v, recAsDict);
  return out;
}

/** Our AnnData as dump.py's JSON of Python's. */
export async function dumpAnnData(a: AnnData, recAsDict = false) {
  const n = (df: DataFrame) => (Array.isArray(df.index) ? df.index.length : df.index.shape[0]);
  return {
    shape: [n(a.obs), n(a.var)],
    X: a.X === undefined ? null : await dumpElem(a.X, recAsDict),
    obs: await dumpFrame(a.obs),
    var: await dumpFrame(a.var),
    obsm: await mapping(a.obsm, recAsDict),
    varm: await mapping(a.varm, recAsDict),
    obsp: await mapping(a.obsp, recAsDict),
    varp: await mapping(a.varp, recAsDict),
    layers: await mapping(a.layers, recAsDict),
    uns: await mapping(a.uns, recAsDict),
    raw: a.raw
      ? { X: a.raw.X === undefined ? null : await dumpElem(a.raw.X), var: await dumpFrame(a.raw.var), varm: await mapping(a.raw.varm) }
      : null,
  };
}

/** A store's nodes as plain JSON (float16 as bits, NaN as "NaN"). */
export interface NodeJson {
  path: string;
  kind: "group" | "array";
  attrs: Attrs;
  dtype?: DType;
  shape?: number[];
  data?: unknown[];
  /** Compound arrays: one entry per field. */
  fields?: { name: string; dtype: DType; shape: number[]; data: unknown[] }[];
}

const PY_NODES = `
import numpy as np, math
def jv(x):
    if isinstance(x, bytes): return x.decode()
    if isinstance(x, (np.bool_, bool)): return bool(x)
    if isinstance(x, (np.integer, int)): return int(x)
    if isinstance(x, (np.floating, float)):
        f = float(x)
        return "NaN" if math.isnan(f) else ("Inf" if f == math.inf else ("-Inf" if f == -math.inf else f))
    if isinstance(x, np.ndarray): return [jv(y) for y in x.tolist()] if x.dtype.kind not in "OSU" else [jv(y) for y in x.ravel()]
    if isinstance(x, (list, tuple)): return [jv(y) for y in x]
    if isinstance(x, dict): return {k: jv(v) for k, v in x.items()}
    return x if isinstance(x, str) or x is None else str(x)
def dtname(dt):
    return "string" if dt.kind in "OSU" else dt.name
def arr_node(p, a, attrs):
    if a.shape is None:
        return {"path": p, "kind": "array", "attrs": attrs, "dtype": "float64", "shape": [], "data": [0.0]}
    v = a[()]
    v = np.asarray(v)
    if v.dtype == np.float16:
        data = [int(x) for x in v.view(np.uint16).ravel()]
    elif v.dtype.kind in "OSU":
        data = [jv(x) for x in v.ravel()]
    else:
        data = [jv(x) for x in v.ravel()]
    return {"path": p, "kind": "array", "attrs": attrs, "dtype": dtname(v.dtype), "shape": list(v.shape), "data": data}
def rec_node(p, a, attrs):
    v = a[()]
    fields = []
    for name in v.dtype.names:
        x = np.asarray(v[name])
        if x.dtype.kind == "S":
            data = [y.decode() for y in x.ravel()]
        else:
            data = [jv(y) for y in x.ravel()]
        fields.append({"name": name, "dtype": dtname(x.dtype) if x.dtype != np.float16 else "float16", "shape": list(x.shape), "data": data})
    return {"path": p, "kind": "array", "attrs": attrs, "fields": fields}
def attrs_of(o):
    return {k: jv(v) for k, v in o.attrs.items() if k != "categories"}
`;

/** Python's view of a store (h5py for .h5ad, zarr for .zarr): every node, attrs and values. */
export function nodesFromPython(file: string): NodeJson[] {
  return py(
    `${PY_NODES}
import json, sys, h5py, zarr
p = json.loads(sys.stdin.read())
nodes = []
if p.endswith(".zarr"):
    root = zarr.open_group(p, mode="r")
    nodes.append({"path": "", "kind": "group", "attrs": attrs_of(root)})
    def visit(name, o):
        if isinstance(o, zarr.Group): nodes.append({"path": name, "kind": "group", "attrs": attrs_of(o)})
        elif o.dtype.names is None: nodes.append(arr_node(name, o, attrs_of(o)))
        else: nodes.append(rec_node(name, o, attrs_of(o)))
    root.visititems(visit)
else:
    f = h5py.File(p, "r")
    nodes.append({"path": "", "kind": "group", "attrs": attrs_of(f)})
    def visit(name, o):
        if isinstance(o, h5py.Group): nodes.append({"path": name, "kind": "group", "attrs": attrs_of(o)})
        elif o.dtype.names is None: nodes.append(arr_node(name, o, attrs_of(o)))
        else: nodes.append(rec_node(name, o, attrs_of(o)))
    f.visititems(visit)
print(json.dumps(nodes, allow_nan=False))
`,
    file,
  );
}

function fromJson(v: unknown): number {
  if (v === "NaN") return Number.NaN;
  if (v === "Inf") return Number.POSITIVE_INFINITY;
  if (v === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(v);
}

function attrsFromJson(attrs: Attrs): Attrs {
  // Python's empty list attributes (h5py's empty float64 column-order) come as [].
  return attrs;
}

function ndarrayFromJson(dtype: DType, shape: number[], values: unknown[]): NDArray {
  let data: NDArray["data"];
  if (dtype === "string") data = values.map(String);
  else if (dtype === "int64") data = BigInt64Array.from(values as number[], (x) => BigInt(x));
  else if (dtype === "uint64") data = BigUint64Array.from(values as number[], (x) => BigInt(x));
  else {
    const arr = new (typedArrayFor(dtype))(values.length);
    values.forEach((x, i) => {
      (arr as Float64Array)[i] = typeof x === "boolean" ? Number(x) : fromJson(x);
    });
    data = arr;
  }
  return { dtype, shape, data };
}

/** A MemoryStore holding the nodes. */
export async function memoryFromNodes(nodes: NodeJson[], name = "memory"): Promise<MemoryStore> {
  const store = new MemoryStore(name);
  for (const n of nodes) {
    if (n.kind === "group") await store.createGroup(n.path, attrsFromJson(n.attrs));
    else if (n.fields) {
      const columns = n.fields.map((f) => ndarrayFromJson(f.dtype, f.shape, f.data));
      await store.writeRecords(
        n.path,
        n.fields.map((f) => ({ name: f.name, dtype: f.dtype })),
        columns,
        attrsFromJson(n.attrs),
      );
    } else {
      const arr = ndarrayFromJson(n.dtype as DType, n.shape ?? [], n.data ?? []);
      await store.writeArray(n.path, arr, { attrs: attrsFromJson(n.attrs) });
    }
  }
  return store;
}

/** The store's nodes as JSON for Python. */
export async function nodesOf(store: MemoryStore): Promise<NodeJson[]> {
  const out: NodeJson[] = [];
  const walk = async (p: string) => {
    const info = await store.get(p);
    if (!info) return;
    const attrs = JSON.parse(JSON.stringify(info.attrs, (_k, v) => (typeof v === "bigint" ? Number(v) : isArr(v) ? jsonData(v) : v)));
    if (info.kind === "group") {
      out.push({ path: p, kind: "group", attrs });
      for (const c of await store.list(p)) await walk(p === "" ? c : `${p}/${c}`);
    } else {
      const a = await store.readArray(p);
      const data = a.dtype === "bool" ? Array.from(a.data as Uint8Array, (x) => x !== 0) : jsonData(a);
      out.push({ path: p, kind: "array", attrs, dtype: a.dtype, shape: a.shape, data });
    }
  };
  await walk("");
  return out;
}

function isArr(v: unknown): v is NDArray {
  return typeof v === "object" && v !== null && "dtype" in v && "data" in v && "shape" in v;
}

function jsonData(a: NDArray): unknown[] {
  return Array.from(a.data as ArrayLike<unknown>, (x) => {
    if (typeof x === "bigint") return Number(x);
    if (typeof x === "number" && !Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Inf" : "-Inf";
    // JSON has no negative zero.
    if (Object.is(x, -0)) return "-0";
    return x;
  });
}

/** Python code that rebuilds nodes (JSON on stdin as {"nodes", "out"}) as a Zarr v2 store with zarr-python. */
export const PY_NODES_TO_ZARR = `
import json, sys, numpy as np, zarr, numcodecs
inp = json.loads(sys.stdin.read())
root = zarr.open_group(inp["out"], mode="w")
def num(x):
    return float("nan") if x == "NaN" else (float("inf") if x == "Inf" else (float("-inf") if x == "-Inf" else (-0.0 if x == "-0" else x)))
for n in inp["nodes"]:
    p = n["path"]
    if n["kind"] == "group":
        g = root if p == "" else root.require_group(p)
        g.attrs.update(n["attrs"])
    else:
        dt = n["dtype"]
        if dt == "string":
            a = np.array(n["data"], dtype=object).reshape(n["shape"])
            d = root.create_dataset(p, data=a, dtype=object, object_codec=numcodecs.VLenUTF8())
        elif dt == "float16":
            a = np.array(n["data"], dtype=np.uint16).view(np.float16).reshape(n["shape"])
            d = root.create_dataset(p, data=a)
        else:
            a = np.array([num(x) for x in n["data"]], dtype=dt).reshape(n["shape"])
            d = root.create_dataset(p, data=a)
        d.attrs.update(n["attrs"])
`;

/** zarr-python 3 (PyPI peer 'latest'): every array of `a` equal (dtype, shape, values) to the same path in `b`; attributes equal. */
export const ZARR3_COMPARE = `
import json, sys, numpy as np, zarr
inp = json.loads(sys.stdin.read())
a = zarr.open_group(inp["a"], mode="r")
b = zarr.open_group(inp["b"], mode="r")
n = 0
bad = []
def walk(ga, gb, p):
    global n
    if dict(ga.attrs) != dict(gb.attrs): bad.append(("attrs", p, dict(ga.attrs), dict(gb.attrs)))
    for k, x in ga.members():
        q = p + "/" + k
        try:
            y = gb[k]
        except KeyError:
            bad.append(("missing", q)); continue
        if isinstance(x, zarr.Group): walk(x, y, q); continue
        n += 1
        va, vb = np.asarray(x[...]), np.asarray(y[...])  # zarr-python 3.4 gives a 0-d string array as str
        if dict(x.attrs) != dict(y.attrs): bad.append(("attrs", q, dict(x.attrs), dict(y.attrs)))
        if va.shape != vb.shape: bad.append(("shape", q, va.shape, vb.shape)); continue
        if va.dtype.kind in "OUT" or vb.dtype.kind in "OUT":
            if [str(s) for s in va.ravel()] != [str(s) for s in vb.ravel()]: bad.append(("strings", q))
        elif va.dtype != vb.dtype: bad.append(("dtype", q, str(va.dtype), str(vb.dtype)))
        elif not np.array_equal(va, vb, equal_nan=va.dtype.kind == "f"): bad.append(("values", q))
    if len(list(gb.members())) != len(list(ga.members())): bad.append(("members", p))
walk(a, b, "")
print(json.dumps({"arrays": n, "bad": [str(x) for x in bad], "fa": a.metadata.zarr_format, "fb": b.metadata.zarr_format}))
`;
