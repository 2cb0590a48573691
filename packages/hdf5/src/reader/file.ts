// An HDF5 file opened over a byte source: path lookup through groups (symbol
// tables, compact links, dense links), attributes, datasets.
import type { ByteSource } from "../byte-source.js";
import { type HttpSourceOptions, openSource, SourceError } from "../source.js";
import { readBTree2, recordCursor } from "./btree-v2.js";
import { FileContext } from "./context.js";
import { Cursor, UNDEFINED } from "./cursor.js";
import { Dataset } from "./dataset.js";
import { type Datatype, parseDatatype } from "./datatype.js";
import { Hdf5Error } from "./errors.js";
import { FractalHeap } from "./fractal-heap.js";
import { GlobalHeap } from "./global-heap.js";
import {
  type Dataspace,
  type DenseInfo,
  type Layout,
  type Link,
  MSG,
  parseAttribute,
  parseAttributeInfo,
  parseDataspace,
  parseFillValue,
  parseFilterPipeline,
  parseLayout,
  parseLink,
  parseLinkInfo,
  parseSharedAddress,
  type RawAttribute,
} from "./messages.js";
import { type HeaderMessage, readObjectHeader } from "./object-header.js";
import { readSuperblock, type Superblock } from "./superblock.js";
import { symbolTableLinks } from "./symbol-table.js";
import { type Attribute, decodeValues } from "./values.js";

export interface OpenOptions extends HttpSourceOptions {
  /** Size of the aligned blocks metadata is read in (default 64 KiB local, 16 KiB over HTTP). */
  metaBlockSize?: number;
  /**
   * v1 B-tree chunk indexes: "load" reads a dataset's whole index at its
   * first read; "search" walks only the paths to the chunks each read needs;
   * "auto" (default) loads for local files and searches remote ones for
   * their first 64 small reads; where a dataset's grid has over 2^20 chunks
   * (a million cells of 5 channels), either searches its first 4,096.
   */
  chunkIndex?: "auto" | "load" | "search";
}


export class Group {
  readonly kind = "group";
  private links?: Promise<Map<string, Link>>;

  constructor(
    private readonly file: Hdf5File,
    readonly path: string,
    readonly address: number,
    private readonly messages: HeaderMessage[],
  ) {}

  /** Links by name (hard, soft, external). */
  linkMap(): Promise<Map<string, Link>> {
    this.links ??= this.file.readLinks(this.messages, this.path);
    return this.links;
  }

  /** Names of the members, sorted. */
  async keys(): Promise<string[]> {
    return [...(await this.linkMap()).keys()].sort();
  }

  attributes(): Promise<Attribute[]> {
    return this.file.readAttributes(this.messages, this.path);
  }
}

/**
 * A committed (named) datatype: an object that holds only a datatype (and
 * attributes), which datasets and attributes may share (h5py's `Datatype`).
 */
export class NamedDatatype {
  readonly kind = "datatype";

  constructor(
    private readonly file: Hdf5File,
    readonly path: string,
    readonly address: number,
    readonly datatype: Datatype,
    private readonly messages: HeaderMessage[],
  ) {}

  attributes(): Promise<Attribute[]> {
    return this.file.readAttributes(this.messages, this.path);
  }
}

export type Node = Group | Dataset | NamedDatatype;

/** Soft links followed in one lookup (HDF5's own default limit of link traversals is 16). */
const MAX_SOFT_HOPS = 16;
/** Levels of a path looked up; AnnData goes 4-5 deep. */
const MAX_PATH_DEPTH = 64;

export class Hdf5File {
  private readonly nodes = new Map<number, Promise<Node>>();
  readonly heap: GlobalHeap;

  private constructor(
    readonly ctx: FileContext,
    readonly superblock: Superblock,
  ) {
    this.heap = new GlobalHeap(ctx);
  }

  static async open(source: ByteSource | string, options: OpenOptions = {}): Promise<Hdf5File> {
    const src = typeof source === "string" ? await openSource(source, options) : source;
    try {
      let size: number;
      try {
        size = await src.size();
      } catch (e) {
        throw new Hdf5Error(src.name, "", e instanceof SourceError ? e.message.slice(src.name.length + 2) : String(e), { cause: e });
      }
      const ctx = new FileContext(src, size, options.metaBlockSize);
      const sb = await readSuperblock(ctx);
      ctx.offsetSize = sb.offsetSize;
      ctx.lengthSize = sb.lengthSize;
      ctx.base = sb.baseAddress;
      ctx.indexMode = options.chunkIndex ?? "auto";
      // The stored end-of-file address is absolute (see Superblock.endOfFile), user block included.
      if (sb.endOfFile !== UNDEFINED && sb.endOfFile > size) {
        throw ctx.error("", `truncated file: the superblock says it ends at ${sb.endOfFile} bytes, the file has ${size}`);
      }
      return new Hdf5File(ctx, sb);
    } catch (e) {
      await src.close?.();
      throw e;
    }
  }

  get name(): string {
    return this.ctx.name;
  }

  get source(): ByteSource {
    return this.ctx.source;
  }

  async close(): Promise<void> {
    await this.ctx.source.close?.();
  }

  /** Objects found by path, kept: the file is read-only, and a reader asks for the same dataset at every read. */
  private readonly byPath = new Map<string, Node>();

  /** The object at `path` ("" or "/" is the root), or null if no link leads there. */
  get(path: string): Promise<Node | null> {
    const hit = this.byPath.get(path);
    if (hit) return Promise.resolve(hit);
    return this.resolve(path).then((n) => {
      if (n) {
        if (this.byPath.size >= 4096) this.byPath.clear();
        this.byPath.set(path, n);
      }
      return n;
    });
  }

  /**
   * Follows `path` from the root. Soft links restart from their target with
   * the hop count carried along; a soft link that comes back to a target it
   * already took is dangling (null), as h5py sees a link to itself. A hard
   * link back to a group on the path itself (a cycle) is refused: walks by
   * path would never end.
   */
  private async resolve(path: string, seen: Set<string> = new Set()): Promise<Node | null> {
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.length > MAX_PATH_DEPTH) throw this.ctx.error(path, `a path of ${parts.length} levels: deeper than ${MAX_PATH_DEPTH}, a link cycle?`);
    let node: Node = await this.node(this.superblock.rootAddress, "");
    const onPath = new Set<number>([node.address]);
    for (let i = 0; i < parts.length; i++) {
      if (node.kind !== "group") return null;
      const link = (await node.linkMap()).get(parts[i]);
      if (!link) return null;
      const here = parts.slice(0, i + 1).join("/");
      if (link.kind === "soft") {
        const target = link.target!.startsWith("/") ? link.target! : [...parts.slice(0, i), link.target].join("/");
        const key = `/${target.split("/").filter((p) => p !== "" && p !== ".").join("/")}`;
        if (seen.has(key)) return null; // a soft link cycle: dangling
        if (seen.size >= MAX_SOFT_HOPS) throw this.ctx.error(here, `more than ${MAX_SOFT_HOPS} soft links in a row`);
        seen.add(key);
        const t = await this.resolve(target, seen);
        if (!t) return null;
        node = t;
      } else if (link.kind === "external") {
        throw this.ctx.error(here, `external link to ${link.target} is not supported`);
      } else if (link.kind === "user-defined") {
        throw this.ctx.error(here, `user-defined link type ${link.linkType} is not supported`);
      } else {
        node = await this.node(link.address, here);
      }
      if (node.kind === "group" && i < parts.length - 1) {
        if (onPath.has(node.address)) throw this.ctx.error(here, "a link cycle: this group is also one of its own ancestors");
        onPath.add(node.address);
      }
    }
    return node;
  }

  async group(path: string): Promise<Group> {
    const n = await this.get(path);
    if (!n) throw this.ctx.error(path, "no such group");
    if (n.kind !== "group") throw this.ctx.error(path, `is a ${kindName(n)}, expected a group`);
    return n;
  }

  async dataset(path: string): Promise<Dataset> {
    const n = await this.get(path);
    if (!n) throw this.ctx.error(path, "no such dataset");
    if (n.kind !== "dataset") throw this.ctx.error(path, `is a ${kindName(n)}, expected a dataset`);
    return n;
  }

  private paths?: Promise<Map<number, string>>;

  /**
   * The path of the object whose header is at `address` (what an object
   * reference holds), found by walking the tree once; null if no link leads there.
   */
  async pathOf(address: number): Promise<string | null> {
    this.paths ??= (async () => {
      const map = new Map<number, string>();
      const walk = async (g: Group, depth: number): Promise<void> => {
        if (depth > 64) return;
        for (const link of (await g.linkMap()).values()) {
          if (link.kind !== "hard" || map.has(link.address)) continue;
          const p = g.path ? `${g.path}/${link.name}` : link.name;
          map.set(link.address, `/${p}`);
          const n = await this.node(link.address, p);
          if (n.kind === "group") await walk(n, depth + 1);
        }
      };
      map.set(this.superblock.rootAddress, "/");
      await walk((await this.node(this.superblock.rootAddress, "")) as Group, 0);
      return map;
    })();
    return (await this.paths).get(address) ?? null;
  }

  /** The object whose header is at `address` (cached: hard links to one object share it). */
  node(address: number, path: string): Promise<Node> {
    let p = this.nodes.get(address);
    if (!p) {
      p = this.loadNode(address, path);
      p.catch(() => this.nodes.delete(address));
      this.nodes.set(address, p);
    }
    return p;
  }

  private async loadNode(address: number, path: string): Promise<Node> {
    const ctx = this.ctx;
    ctx.abs(address, 1, path, "object header");
    const messages = await readObjectHeader(ctx, address, path);
    const find = (t: number) => messages.find((m) => m.type === t);
    const layoutMsg = find(MSG.LAYOUT);
    const dtMsg = find(MSG.DATATYPE);
    if (!layoutMsg) {
      // A header with a datatype and no layout is a committed datatype (groups hold no datatype message).
      if (!dtMsg) return new Group(this, path, address, messages);
      const datatype = await ctx.guard(path, "committed datatype", () => this.datatypeOf(dtMsg, path));
      return new NamedDatatype(this, path, address, datatype, messages);
    }
    return ctx.guard(path, "dataset header", async () => {
      const cur = (b: Uint8Array) => new Cursor(b, 0, ctx.offsetSize, ctx.lengthSize);
      const dsMsg = find(MSG.DATASPACE);
      if (!dsMsg || !dtMsg) throw new RangeError("dataset without dataspace or datatype message");
      const dataspace = await this.dataspaceOf(dsMsg, path);
      const datatype = await this.datatypeOf(dtMsg, path);
      const layout = parseLayout(cur(layoutMsg.data));
      const fMsg = find(MSG.FILTERS);
      const filters = fMsg ? parseFilterPipeline(cur(fMsg.data)) : [];
      checkGeometry(dataspace.kind === "null" ? [] : dataspace.dims, layout, datatype.size, ctx.fileSize);
      const fill = find(MSG.FILL) ?? find(MSG.FILL_OLD);
      const fillValue = fill ? parseFillValue(cur(fill.data), fill.type === MSG.FILL_OLD) : undefined;
      return new Dataset(ctx, this.heap, path, address, dataspace, datatype, layout, filters, fillValue, () =>
        this.readAttributes(messages, path),
      );
    });
  }

  private async datatypeOf(m: HeaderMessage, path: string): Promise<Datatype> {
    const cur = new Cursor(m.data, 0, this.ctx.offsetSize, this.ctx.lengthSize);
    if (m.flags & 0x02) return this.committedDatatype(parseSharedAddress(cur), path);
    return parseDatatype(cur);
  }

  /** The dataspace of a dataset; a shared one is read from the object header that holds it. */
  private async dataspaceOf(m: HeaderMessage, path: string): Promise<Dataspace> {
    const cur = (b: Uint8Array) => new Cursor(b, 0, this.ctx.offsetSize, this.ctx.lengthSize);
    if (!(m.flags & 0x02)) return parseDataspace(cur(m.data));
    const address = parseSharedAddress(cur(m.data), "dataspace");
    const msgs = await readObjectHeader(this.ctx, address, path);
    const ds = msgs.find((x) => x.type === MSG.DATASPACE && !(x.flags & 0x02));
    if (!ds) throw this.ctx.error(path, `shared dataspace at ${address}: that object header has no dataspace message`);
    return parseDataspace(cur(ds.data));
  }

  /** A committed (named) datatype: the datatype message of the object header it lives in. */
  private async committedDatatype(address: number, path: string): Promise<Datatype> {
    const msgs = await readObjectHeader(this.ctx, address, path);
    const dt = msgs.find((x) => x.type === MSG.DATATYPE);
    if (!dt) throw this.ctx.error(path, `committed datatype at ${address} has no datatype message`);
    return parseDatatype(new Cursor(dt.data, 0, this.ctx.offsetSize, this.ctx.lengthSize));
  }

  /** @internal */
  async readLinks(messages: HeaderMessage[], path: string): Promise<Map<string, Link>> {
    const ctx = this.ctx;
    const cur = (b: Uint8Array) => new Cursor(b, 0, ctx.offsetSize, ctx.lengthSize);
    const links: Link[] = [];
    await ctx.guard(path, "group links", async () => {
      for (const m of messages) {
        if (m.type === MSG.SYMBOL_TABLE) {
          const c = cur(m.data);
          const btree = c.addr();
          const heap = c.addr();
          links.push(...(await symbolTableLinks(ctx, btree, heap, path)));
        } else if (m.type === MSG.LINK) {
          links.push(parseLink(cur(m.data)));
        } else if (m.type === MSG.LINK_INFO) {
          const info = parseLinkInfo(cur(m.data));
          if (info.heap !== UNDEFINED && info.nameIndex !== UNDEFINED) {
            for (const obj of await this.denseObjects(info, path, "links")) links.push(parseLink(cur(obj)));
          }
        }
      }
    });
    // A name no path can spell ("" or with a "/", from a damaged heap) would
    // lead a walk by paths back to this group without end.
    const bad = links.find((l) => l.name === "" || l.name.includes("/") || l.name === "." || l.name === "..");
    if (bad) throw ctx.error(path, `a link named ${JSON.stringify(bad.name)}: not a valid name (corrupt group)`);
    return new Map(links.map((l) => [l.name, l]));
  }

  /** The heap objects (link or attribute messages) of dense storage, in name-index order. */
  private async denseObjects(info: DenseInfo, path: string, what: string): Promise<Uint8Array[]> {
    const ctx = this.ctx;
    const [heap, tree] = await Promise.all([FractalHeap.open(ctx, info.heap, path), readBTree2(ctx, info.nameIndex, path)]);
    return Promise.all(
      tree.records.map((r) => {
        const c = recordCursor(ctx, r);
        if (tree.type === 5) {
          c.u32(); // name hash
          return heap.object(c.take(r.length - 4));
        }
        if (tree.type === 8) return heap.object(c.take(8));
        throw ctx.error(path, `dense ${what}: unexpected v2 B-tree record type ${tree.type}`);
      }),
    );
  }

  /** @internal */
  async readAttributes(messages: HeaderMessage[], path: string): Promise<Attribute[]> {
    const ctx = this.ctx;
    const raws: RawAttribute[] = [];
    await ctx.guard(path, "attributes", async () => {
      for (const m of messages) {
        if (m.type === MSG.ATTRIBUTE) {
          raws.push(parseAttribute(new Cursor(m.data, 0, ctx.offsetSize, ctx.lengthSize)));
        } else if (m.type === MSG.ATTRIBUTE_INFO) {
          const info = parseAttributeInfo(new Cursor(m.data, 0, ctx.offsetSize, ctx.lengthSize));
          if (info.heap !== UNDEFINED && info.nameIndex !== UNDEFINED) {
            for (const obj of await this.denseObjects(info, path, "attributes")) {
              raws.push(parseAttribute(new Cursor(obj, 0, ctx.offsetSize, ctx.lengthSize)));
            }
          }
        }
      }
    });
    return Promise.all(
      raws.map(async (a) => {
        const where = `${path}@${a.name}`;
        return ctx.guard(where, "attribute", async () => {
          const datatype = a.sharedAddress !== undefined ? await this.committedDatatype(a.sharedAddress, where) : a.datatype;
          const shape = a.dataspace.kind === "null" ? null : a.dataspace.dims;
          const n = shape === null ? 0 : shape.reduce((x, y) => x * y, 1);
          if (a.data.length < n * datatype.size) throw new RangeError(`attribute data shorter than ${n} elements of ${datatype.size} bytes`);
          const value = await decodeValues(a.data.subarray(0, n * datatype.size), datatype, n, this.heap, where, ctx.offsetSize);
          return { name: a.name, datatype, shape, value };
        });
      }),
    );
  }
}

function kindName(n: Node): string {
  return n.kind === "datatype" ? "committed datatype" : n.kind;
}

/** Dimensions a dataspace may have (HDF5 allows 32). */
const MAX_RANK = 32;
/** Bytes one decoded chunk may take: it is allocated whole. */
const MAX_CHUNK_BYTES = 2 ** 32;

/**
 * A dataset's sizes checked before anything is sized or iterated from them:
 * the element count is one JavaScript holds exactly, a chunk fits in memory,
 * contiguous data fits in the file. (RangeErrors: the guard names the file and dataset.)
 */
function checkGeometry(dims: number[], layout: Layout, elementSize: number, fileSize: number): void {
  if (dims.length > MAX_RANK) throw new RangeError(`a dataspace of ${dims.length} dimensions, more than ${MAX_RANK}`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n)) throw new RangeError(`shape [${dims.join(", ")}] holds more than 2^53 elements`);
  if (layout.class === "chunked") {
    if (layout.chunk.length !== dims.length || layout.chunk.some((c) => !Number.isSafeInteger(c) || c < 1)) {
      throw new RangeError(`chunk shape [${layout.chunk.join(", ")}] does not fit the shape [${dims.join(", ")}]`);
    }
    const bytes = layout.chunk.reduce((a, b) => a * b, 1) * elementSize;
    if (bytes > MAX_CHUNK_BYTES) throw new RangeError(`a chunk of [${layout.chunk.join(", ")}] takes ${bytes} bytes, more than 2^32`);
  } else if (layout.class === "contiguous" && layout.address !== UNDEFINED && n * elementSize > fileSize) {
    throw new RangeError(`shape [${dims.join(", ")}] needs ${n * elementSize} bytes of contiguous data, the file has ${fileSize}: corrupt dimensions or a truncated file`);
  }
}

/** Opens an HDF5 file on disk, over http(s), or over any byte source. */
export function openHdf5File(source: ByteSource | string, options: OpenOptions = {}): Promise<Hdf5File> {
  return Hdf5File.open(source, options);
}
