// A kerchunk reference set read as a Zarr store: inline keys from the JSON,
// referenced keys as byte ranges of their target files (local under Node, or
// http(s) through the one HttpClient), so a reference file of an .h5sc opens
// as any Zarr store and its chunks are read by range in place.
import { type ByteSource, HttpClient, type HttpOptions, openSource, pickHttpOptions } from "@cellfolio/hdf5";
import { FormatError } from "../errors.js";
import type { KeyStore } from "../zarr/key-store.js";
import { inlineBytes, type KerchunkReferences, type ReferenceValue } from "./kerchunk.js";

const HTTP = /^https?:\/\//i;

export interface OpenReferencesOptions extends HttpOptions {
  /**
   * Where relative target paths are resolved: the folder or URL of the
   * reference file. Given by openReferenceStore from the JSON's own location;
   * needed only for a reference set passed as an object or Blob.
   */
  base?: string;
}

/** Whether a path or URL names a kerchunk reference file (.json). */
export function isReferenceFile(pathOrUrl: string): boolean {
  return /\.json$/i.test(pathOrUrl.replace(/[?#].*$/, ""));
}

/** A reference file by path (Node) or URL, a Blob, or a parsed reference set. */
export async function openReferenceStore(
  source: string | Blob | KerchunkReferences,
  options: OpenReferencesOptions = {},
): Promise<ReferenceStore> {
  let name = "(references)";
  let text: string | undefined;
  let doc: unknown = source;
  let base = options.base;
  if (typeof source === "string") {
    name = source;
    text = new TextDecoder().decode(await readWhole(source, options));
    base ??= source;
  } else if (source instanceof Blob) {
    name = (source as { name?: string }).name ?? "(blob).json";
    text = await source.text();
  }
  if (text !== undefined) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new FormatError(name, "", `not a kerchunk reference file: ${(e as Error).message}`);
    }
  }
  return new ReferenceStore(name, parseReferences(name, doc), base, options);
}

/** A reference file's bytes: over http(s) one GET (a server need not take ranges), else the local file. */
async function readWhole(pathOrUrl: string, options: HttpOptions): Promise<Uint8Array> {
  if (HTTP.test(pathOrUrl)) {
    const got = await HttpClient.for(pickHttpOptions(options)).get(pathOrUrl, { missingOk: true });
    if (!got) throw new FormatError(pathOrUrl, "", "no reference file at this URL");
    return got;
  }
  const src = await openSource(pathOrUrl, options);
  try {
    return await src.read(0, await src.size());
  } finally {
    await src.close?.();
  }
}

/** Version 1 ({version, templates, refs}) or version 0 (the refs alone). */
function parseReferences(name: string, doc: unknown): { refs: Record<string, ReferenceValue>; templates: Record<string, string> } {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new FormatError(name, "", "not a kerchunk reference set: expected a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.version === undefined) return { refs: d as Record<string, ReferenceValue>, templates: {} };
  if (d.version !== 1) throw new FormatError(name, "", `kerchunk reference version ${JSON.stringify(d.version)} is not read; expected 1`);
  if (d.gen) throw new FormatError(name, "", "generated keys (gen) are not supported; expand them with kerchunk first");
  if (!d.refs || typeof d.refs !== "object") throw new FormatError(name, "", "no refs object");
  return { refs: d.refs as Record<string, ReferenceValue>, templates: (d.templates ?? {}) as Record<string, string> };
}

export class ReferenceStore implements KeyStore {
  private readonly sources = new Map<string, Promise<ByteSource>>();
  private keyList?: string[];

  constructor(
    readonly source: string,
    private readonly parsed: { refs: Record<string, ReferenceValue>; templates: Record<string, string> },
    private readonly base: string | undefined,
    private readonly options: HttpOptions,
  ) {}

  /** The file a reference URL names: templates filled, relative paths resolved against the reference file's location. */
  resolve(url: string): string {
    let u = url.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k) => this.parsed.templates[k] ?? m);
    if (u.startsWith("file://")) u = decodeURIComponent(u.slice(7));
    if (HTTP.test(u) || u.startsWith("/")) return u;
    if (!this.base) throw new FormatError(this.source, "", `reference target ${u} is relative and the reference set has no location to resolve it against`);
    if (HTTP.test(this.base)) return new URL(u, this.base).href;
    const dir = this.base.replace(/[^/]*$/, "");
    return `${dir}${u}`;
  }

  private file(url: string): Promise<ByteSource> {
    const target = this.resolve(url);
    let s = this.sources.get(target);
    if (!s) {
      s = openSource(target, this.options);
      s.catch(() => this.sources.delete(target));
      this.sources.set(target, s);
    }
    return s;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.parsed.refs[key];
    if (v === undefined) return undefined;
    if (typeof v === "string") return inlineBytes(v);
    if (!Array.isArray(v) || typeof v[0] !== "string") throw new FormatError(this.source, key, `malformed reference ${JSON.stringify(v)}`);
    const src = await this.file(v[0]);
    if (v.length === 1) return src.read(0, await src.size());
    return src.read(Number(v[1]), Number(v[2]));
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    const b = await this.get(key);
    if (!b) return undefined;
    const start = offset < 0 ? Math.max(0, b.length + offset) : offset;
    return b.subarray(start, start + length);
  }

  async listDir(prefix: string): Promise<string[] | null> {
    this.keyList ??= Object.keys(this.parsed.refs);
    const pre = prefix ? `${prefix}/` : "";
    const names = new Set<string>();
    for (const k of this.keyList) if (k.startsWith(pre)) names.add(k.slice(pre.length).split("/")[0]);
    return [...names].sort();
  }

  async close(): Promise<void> {
    const all = [...this.sources.values()];
    this.sources.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.close?.()));
  }
}
