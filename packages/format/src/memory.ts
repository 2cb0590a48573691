// An in-memory store that is both a StoreReader and a StoreWriter: for unit
// tests of the element layer and for small datasets built in process.
import { allocate, copyBlock, intoBuffer, product, sliceArray } from "./dtype.js";
import { FormatError } from "./errors.js";
import type {
  ArrayInfo,
  ArrayWriter,
  Attrs,
  CreateArrayOptions,
  FieldInfo,
  NDArray,
  NodeInfo,
  ReadBlockOptions,
  StoreReader,
  StoreWriter,
} from "./types.js";

type MemNode =
  | { kind: "group"; attrs: Attrs }
  | { kind: "array"; info: ArrayInfo; data: NDArray; records?: Record<string, NDArray> };

export function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export class MemoryStore implements StoreReader, StoreWriter {
  readonly backend = "memory" as const;
  readonly source: string;
  readonly target: string;
  private nodes = new Map<string, MemNode>([["", { kind: "group", attrs: {} }]]);

  constructor(name = "memory") {
    this.source = name;
    this.target = name;
  }

  async get(path: string): Promise<NodeInfo | null> {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (!node) return null;
    if (node.kind === "group") return { kind: "group", path: p, attrs: structuredClone(node.attrs) };
    return { ...node.info, attrs: structuredClone(node.info.attrs) };
  }

  async list(path: string): Promise<string[]> {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (node?.kind !== "group") throw new FormatError(this.source, p, "not a group");
    const prefix = p === "" ? "" : `${p}/`;
    const names: string[] = [];
    for (const key of this.nodes.keys()) {
      if (key === p || !key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      if (!rest.includes("/")) names.push(rest);
    }
    return names.sort();
  }

  private array(path: string): { info: ArrayInfo; data: NDArray; records?: Record<string, NDArray> } {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (node?.kind !== "array") throw new FormatError(this.source, p, "not an array");
    return node;
  }

  async readArray(path: string): Promise<NDArray> {
    const { data, records } = this.array(path);
    if (records) throw new FormatError(this.source, normalizePath(path), "a compound array: read it with readRecords");
    return { dtype: data.dtype, shape: [...data.shape], data: data.data.slice() as NDArray["data"] };
  }

  async readBlock(path: string, start: number[], shape: number[], options: ReadBlockOptions = {}): Promise<NDArray> {
    const { data } = this.array(path);
    if (start.length !== data.shape.length || start.some((s, i) => s < 0 || s + shape[i] > data.shape[i])) {
      throw new FormatError(this.source, normalizePath(path), `block ${start}+${shape} outside shape ${data.shape}`);
    }
    return intoBuffer(sliceArray(data, start, shape), options.into, this.source, path);
  }

  async readRecords(path: string): Promise<Record<string, NDArray>> {
    const { records } = this.array(path);
    if (!records) throw new FormatError(this.source, normalizePath(path), "not a compound array");
    const out: Record<string, NDArray> = {};
    for (const [k, v] of Object.entries(records)) out[k] = { ...v, shape: [...v.shape], data: v.data.slice() as NDArray["data"] };
    return out;
  }

  /** Stores a compound (structured) array, one 1-D (or sub-array) column per field, as legacy h5ad files hold. */
  async writeRecords(path: string, fields: FieldInfo[], columns: NDArray[], attrs: Attrs = {}): Promise<void> {
    const p = normalizePath(path);
    if (fields.length === 0 || fields.length !== columns.length) throw new FormatError(this.target, p, `a compound array needs fields, one column each (${fields.length} fields, ${columns.length} columns)`);
    this.ensureParents(p);
    const records: Record<string, NDArray> = {};
    fields.forEach((f, i) => {
      records[f.name] = columns[i];
    });
    const info: ArrayInfo = {
      kind: "array",
      path: p,
      shape: [columns[0].shape[0]],
      dtype: fields[0].dtype,
      chunks: null,
      compression: "none",
      attrs: structuredClone(attrs),
      fields: fields.map((f) => ({ ...f })),
    };
    this.nodes.set(p, { kind: "array", info, data: columns[0], records });
  }

  async close(): Promise<void> {}

  async abort(): Promise<void> {
    this.nodes = new Map([["", { kind: "group", attrs: {} }]]);
  }

  private ensureParents(p: string): void {
    const parent = parentOf(p);
    if (parent === p) return;
    const node = this.nodes.get(parent);
    if (node?.kind === "array") throw new FormatError(this.target, parent, "is an array, cannot hold children");
    if (!node) {
      this.ensureParents(parent);
      this.nodes.set(parent, { kind: "group", attrs: {} });
    }
  }

  async createGroup(path: string, attrs: Attrs = {}): Promise<void> {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (node?.kind === "array") throw new FormatError(this.target, p, "exists as an array");
    this.ensureParents(p);
    this.nodes.set(p, { kind: "group", attrs: { ...(node?.kind === "group" ? node.attrs : {}), ...structuredClone(attrs) } });
  }

  async createArray(path: string, options: CreateArrayOptions): Promise<ArrayWriter> {
    const p = normalizePath(path);
    if (this.nodes.has(p)) throw new FormatError(this.target, p, "exists already");
    this.ensureParents(p);
    const shape = [...options.shape];
    const chunks = options.chunks ? [...options.chunks] : shape.map((s) => Math.max(1, s));
    const info: ArrayInfo = {
      kind: "array",
      path: p,
      shape,
      dtype: options.dtype,
      chunks,
      compression: "none",
      attrs: structuredClone(options.attrs ?? {}),
    };
    const data = allocate(options.dtype, shape);
    this.nodes.set(p, { kind: "array", info, data });
    const target = this.target;
    return {
      info,
      unit: chunks,
      async setBlock(start: number[], block: NDArray): Promise<void> {
        if (block.dtype !== data.dtype && !(block.dtype === "bool" && data.dtype === "uint8")) {
          throw new FormatError(target, p, `block of ${block.dtype} written to a ${data.dtype} array`);
        }
        if (start.some((s, i) => s + block.shape[i] > shape[i])) {
          throw new FormatError(target, p, `block ${start}+${block.shape} outside shape ${shape}`);
        }
        copyBlock(block.data, block.shape, new Array(shape.length).fill(0), data.data, shape, start, block.shape);
      },
      async close(): Promise<void> {},
    };
  }

  async writeArray(path: string, data: NDArray, options: Omit<CreateArrayOptions, "shape" | "dtype"> = {}): Promise<void> {
    const w = await this.createArray(path, { ...options, shape: data.shape, dtype: data.dtype });
    if (product(data.shape) > 0 || data.shape.length === 0) await w.setBlock(data.shape.map(() => 0), data);
    await w.close();
  }

  async setAttrs(path: string, attrs: Attrs): Promise<void> {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (!node) throw new FormatError(this.target, p, "no such node");
    const target = node.kind === "group" ? node.attrs : node.info.attrs;
    Object.assign(target, structuredClone(attrs));
  }
}

/** A new, empty in-memory store (reader and writer at once). */
export function createMemoryStore(name = "memory"): MemoryStore {
  return new MemoryStore(name);
}
