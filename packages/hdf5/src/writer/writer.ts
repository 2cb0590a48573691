// The file: a tree of groups and datasets with their attributes. Chunks and
// contiguous data go to the file as they are written; everything else
// (attribute strings, chunk B-trees, group heaps / symbol nodes / B-trees,
// object headers, the superblock) is laid out and written at close.

import { utf8Strings } from "@cellfolio/codecs";
import { type FilterPool, hdf5Platform, type Sink } from "../platform.js";
import { encodeAttribute } from "./attribute.js";
import type { BuiltNode } from "./btree-v1.js";
import { Bytes, textEncoder } from "./bytes.js";
import { ChunkQueue } from "./chunk-queue.js";
import { type DatasetOptions, DatasetWriter, type ElementData } from "./dataset.js";
import { fixedStrings, type H5Type, typeSize } from "./datatype.js";
import { encodeDescriptors, packCollections } from "./global-heap.js";
import { MemorySink } from "./memory-sink.js";
import { type Message, MSG, planObjectHeader } from "./object-header.js";
import { encodeSuperblock, SUPERBLOCK_SIZE } from "./superblock.js";
import { type PlannedGroup, planGroup } from "./symbol-table.js";

/** An attribute value: `shape` [] for a scalar, [n] for a 1-D array (any rank works). */
export interface AttributeValue {
  type: H5Type;
  shape: number[];
  data: ElementData;
}

export interface CreateFileOptions {
  /** Replace an existing file at close (it is left alone until then). */
  overwrite?: boolean;
  /**
   * Chunks encoded in parallel at most (memory: this many chunks held, and
   * never more than 64 MB of them). Default 256: with 16, cell-sized lzf
   * chunks left the main thread and the filter workers idle half the time
   * waiting for each other (bench/hdf5-write lzf: 0.93-1.03x h5py; 128-512:
   * 1.2-1.45x).
   */
  concurrency?: number;
  /**
   * Worker threads running the filters, started on first use. Default: the
   * core count under Node, 0 elsewhere. 0: filters on the calling thread
   * (deflate, under Node, on zlib's threadpool).
   */
  workers?: number;
}

interface GroupNode {
  kind: "group";
  children: Map<string, TreeNode>;
  attrs: Map<string, AttributeValue>;
}
interface DatasetNode {
  kind: "dataset";
  dataset: DatasetWriter;
  attrs: Map<string, AttributeValue>;
}
type TreeNode = GroupNode | DatasetNode;

function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p.length > 0);
}

export class Hdf5Writer {
  private readonly root: GroupNode = { kind: "group", children: new Map(), attrs: new Map() };
  private readonly queue: ChunkQueue;
  private state: "open" | "closed" | "failed" = "open";
  private filterPool: FilterPool | null = null;

  private constructor(
    private readonly sink: Sink,
    concurrency: number,
    private readonly workers: number,
  ) {
    this.queue = new ChunkQueue(sink, concurrency);
    sink.reserve(SUPERBLOCK_SIZE);
  }

  /**
   * Starts a file at `path` (Node: written as `<path>.tmp-<pid>.<random>.<host>` until
   * close), or into any `Sink` the caller gives, e.g. `new MemorySink()` in a
   * browser, whose `bytes()` are the file after close.
   */
  static async create(target: string | Sink, options: CreateFileOptions = {}): Promise<Hdf5Writer> {
    const platform = hdf5Platform();
    let sink: Sink;
    if (typeof target !== "string") sink = target;
    else if (platform.createFileSink) sink = await platform.createFileSink(target, options.overwrite ?? false);
    else throw new Error(`${target}: files are written only under Node; elsewhere write into a Sink (new MemorySink())`);
    return new Hdf5Writer(sink, options.concurrency ?? 256, options.workers ?? platform.filterWorkers);
  }

  /** A writer into memory; after `close()`, `sink.bytes()` is the whole file. */
  static async createInMemory(name = "(memory).h5", options: CreateFileOptions = {}): Promise<{ writer: Hdf5Writer; sink: MemorySink }> {
    const sink = new MemorySink(name);
    return { writer: await Hdf5Writer.create(sink, options), sink };
  }

  get path(): string {
    return this.sink.path;
  }
  get tmpPath(): string {
    return this.sink.tmpPath;
  }

  private check(): void {
    if (this.state !== "open") throw new Error(`${this.sink.path}: the file is ${this.state}`);
  }

  private lookup(path: string): TreeNode | undefined {
    let node: TreeNode = this.root;
    for (const part of splitPath(path)) {
      if (node.kind !== "group") return undefined;
      const next = node.children.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** The parent group of `path` (creating missing groups) and the last name. */
  private parentOf(path: string): [GroupNode, string] {
    const parts = splitPath(path);
    if (parts.length === 0) throw new Error(`${this.sink.path}: the root already exists`);
    let node: GroupNode = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = node.children.get(parts[i]);
      if (!next) {
        next = { kind: "group", children: new Map(), attrs: new Map() };
        node.children.set(parts[i], next);
      }
      if (next.kind !== "group") throw new Error(`${this.sink.path}: /${parts.join("/")}: /${parts.slice(0, i + 1).join("/")} is a dataset, not a group`);
      node = next;
    }
    const name = parts[parts.length - 1];
    if (name === "." || textEncoder.encode(name).includes(0)) throw new Error(`${this.sink.path}: bad name ${JSON.stringify(name)}`);
    return [node, name];
  }

  /** Creates a group and any missing parents; an existing group is left as is. */
  createGroup(path: string): void {
    this.check();
    if (splitPath(path).length === 0) return;
    const [parent, name] = this.parentOf(path);
    const existing = parent.children.get(name);
    if (existing?.kind === "dataset") throw new Error(`${this.sink.path}: /${path} is a dataset`);
    if (!existing) parent.children.set(name, { kind: "group", children: new Map(), attrs: new Map() });
  }

  createDataset(path: string, options: DatasetOptions): DatasetWriter {
    this.check();
    const [parent, name] = this.parentOf(path);
    if (parent.children.has(name)) throw new Error(`${this.sink.path}: /${path} already exists`);
    const dataset = new DatasetWriter(splitPath(path).join("/"), options, this.sink, this.queue, () => {
      const make = hdf5Platform().filterPool;
      if (this.workers === 0 || !make) return null;
      this.filterPool ??= make(this.workers);
      return this.filterPool;
    });
    parent.children.set(name, { kind: "dataset", dataset, attrs: new Map() });
    return dataset;
  }

  has(path: string): "group" | "dataset" | null {
    return this.lookup(path)?.kind ?? null;
  }

  /** Sets (or replaces) an attribute of the group or dataset at `path`. */
  setAttribute(path: string, name: string, value: AttributeValue): void {
    this.check();
    const node = this.lookup(path);
    const where = `${this.sink.path}: /${splitPath(path).join("/")}`;
    if (!node) throw new Error(`${where}: no such group or dataset`);
    const n = value.shape.reduce((a, b) => a * b, 1);
    const got = Array.isArray(value.data) ? value.data.length : (value.data as ArrayBufferView).byteLength / typeSize(value.type);
    if (got !== n) throw new Error(`${where}: attribute ${name}: ${got} values for shape [${value.shape}]`);
    node.attrs.set(name, value);
  }

  /** Writes the metadata and superblock, then renames the file onto its path. */
  async close(): Promise<void> {
    this.check();
    this.state = "closed";
    try {
      await this.queue.drain();
      await this.writeMetadata();
      await this.sink.commit();
    } catch (e) {
      this.state = "failed";
      await this.sink.discard();
      throw e;
    } finally {
      await this.filterPool?.close();
    }
  }

  /** Gives up: removes the temporary file. */
  async abort(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "failed";
    await this.queue.drain().catch(() => {});
    await this.filterPool?.close();
    await this.sink.discard();
  }

  private async writeMetadata(): Promise<void> {
    const sink = this.sink;
    // 1. Strings of vlen string attributes, in global heap collections.
    const nodes: TreeNode[] = [];
    const visit = (n: TreeNode) => {
      nodes.push(n);
      if (n.kind === "group") for (const c of n.children.values()) visit(c);
    };
    visit(this.root);
    const values: string[] = [];
    for (const n of nodes) for (const a of n.attrs.values()) if (a.type.class === "vlen-string") for (const s of a.data as string[]) values.push(s);
    const strings = utf8Strings(values);
    const heap = packCollections(strings);
    const heapAddresses = heap.collections.map((c) => sink.append(c));
    let next = 0;
    const attrMessages = new Map<TreeNode, Message[]>();
    for (const n of nodes) {
      const msgs: Message[] = [];
      for (const [name, a] of n.attrs) {
        let raw: Uint8Array;
        if (a.type.class === "vlen-string") {
          const count = (a.data as string[]).length;
          raw = encodeDescriptors(strings, heap, heapAddresses, next, next + count);
          next += count;
        } else raw = attributeBytes(name, a);
        const body = encodeAttribute(name, a.type, a.shape, raw);
        if (body.length > 0xffff) throw new Error(`${sink.path}: attribute ${name} is ${body.length} bytes; attributes are limited to 64 KiB here`);
        msgs.push({ type: MSG.attribute, body });
      }
      attrMessages.set(n, msgs);
    }

    // 2. The chunk indexes, appended (streamed: they grow with the chunks).
    for (const n of nodes) if (n.kind === "dataset") await n.dataset.writeIndex();
    // 3. Metadata area: everything else after the data, laid out in one buffer.
    const start = sink.end;
    let cursor = start;
    const alloc = (size: number) => {
      const at = cursor;
      cursor += size;
      return at;
    };
    const pieces: BuiltNode[] = [];
    const groups = new Map<GroupNode, PlannedGroup>();
    for (const n of nodes) if (n.kind === "group") groups.set(n, await planGroup([...n.children.keys()], alloc));
    const headers = new Map<TreeNode, { address: number; encode: (a: number) => Uint8Array }>();
    for (const n of nodes) {
      const own: Message[] =
        n.kind === "dataset"
          ? n.dataset.messages()
          : [{ type: MSG.symbolTable, body: stabBody(groups.get(n)!) }];
      const planned = planObjectHeader([...own, ...attrMessages.get(n)!]);
      headers.set(n, { address: alloc(planned.size), encode: planned.encode });
    }
    for (const [g, plan] of groups) {
      const children = [...g.children].map(([name, c]) => ({
        name,
        objectHeader: headers.get(c)!.address,
        stab: c.kind === "group" ? { btree: groups.get(c)!.btreeAddress, heap: groups.get(c)!.heapAddress } : undefined,
      }));
      for (const p of plan.encode(children)) pieces.push(p);
    }
    for (const h of headers.values()) pieces.push({ address: h.address, bytes: h.encode(h.address) });
    const meta = new Uint8Array(cursor - start);
    for (const p of pieces) meta.set(p.bytes, p.address - start);
    sink.reserve(meta.length);
    sink.writeAt(start, meta);
    const rootPlan = groups.get(this.root)!;
    sink.writeAt(0, encodeSuperblock(sink.end, { objectHeader: headers.get(this.root)!.address, btree: rootPlan.btreeAddress, heap: rootPlan.heapAddress }));
    await sink.flush();
  }
}

function stabBody(g: PlannedGroup): Uint8Array {
  return new Bytes(16).u64(g.btreeAddress).u64(g.heapAddress).finish();
}

function attributeBytes(name: string, a: AttributeValue): Uint8Array {
  const d = a.data;
  if (Array.isArray(d)) return fixedStrings(utf8Strings(d), typeSize(a.type), `attribute ${name}`);
  const v = d as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
