// Where a Zarr store's keys live: an HTTP(S) prefix, a .zarr.zip file (over
// HTTP, a Blob, bytes, or a local file), a Map in memory, or (Node,
// node/stores.ts) a local directory. Keys are "/"-separated, relative to the
// root. Writers put keys into a KeySink: a Map in memory here, a directory
// renamed at commit under Node.
import { inflate } from "@cellfolio/codecs";
import { type ByteSource, HttpClient, type HttpOptions, openSource } from "@cellfolio/hdf5";
import { FormatError } from "../errors.js";
import { formatPlatform, NO_LOCAL_FILES } from "../platform.js";
import { crc32, readU32 } from "./codecs.js";
import type { KeyFile, KeySink, KeyStore } from "./key-store.js";

/**
 * `store` with its reads of `key` at the `planned` ranges coalesced: ranges
 * at most `gap` bytes apart (a group at most `max` bytes) are fetched with
 * one request, on the first read of one of them. Other reads go to `store`.
 */
export function withCoalescedRanges(store: KeyStore, key: string, planned: { offset: number; length: number }[], gap: number, max: number): KeyStore {
  const groups = new Map<number, { rel: number; fetch: () => Promise<Uint8Array | undefined> }>(); // by offset
  const spans = [...planned].sort((a, b) => a.offset - b.offset);
  for (let g = 0; g < spans.length; ) {
    const first = spans[g].offset;
    let end = first + spans[g].length;
    let h = g + 1;
    while (h < spans.length && spans[h].offset - end <= gap && spans[h].offset + spans[h].length - first <= max) {
      end = Math.max(end, spans[h].offset + spans[h].length);
      h++;
    }
    let fetched: Promise<Uint8Array | undefined> | undefined;
    const fetch = () => {
      fetched ??= store.getRange(key, first, end - first);
      return fetched;
    };
    for (; g < h; g++) groups.set(spans[g].offset, { rel: spans[g].offset - first, fetch });
  }
  return {
    source: store.source,
    get: (k) => store.get(k),
    listDir: (prefix) => store.listDir(prefix),
    close: () => store.close(),
    async getRange(k, offset, length) {
      const group = k === key ? groups.get(offset) : undefined;
      return group ? (await group.fetch())?.subarray(group.rel, group.rel + length) : store.getRange(k, offset, length);
    },
  };
}

/** A key with no file: no such file, or a directory where a chunk would be (a key is never one). */
export function isAbsentKey(e: any): boolean {
  return isMissing(e) || e?.code === "EISDIR";
}

export function isMissing(e: any): boolean {
  return e?.code === "ENOENT" || e?.code === "ENOTDIR";
}

/** A store over keys held in memory (what a MemoryKeySink wrote, or files a page fetched). */
export class MapKeyStore implements KeyStore {
  constructor(
    readonly entries: Map<string, Uint8Array>,
    readonly source = "(memory).zarr",
  ) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key);
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    const b = this.entries.get(key);
    if (!b) return undefined;
    const start = offset < 0 ? Math.max(0, b.length + offset) : offset;
    return b.subarray(start, start + length);
  }
  async listDir(prefix: string): Promise<string[] | null> {
    return listKeys(this.entries.keys(), prefix);
  }
  async close(): Promise<void> {}
}

/** The child names under `prefix` among "/"-separated keys. */
function listKeys(keys: Iterable<string>, prefix: string): string[] {
  const pre = prefix ? `${prefix}/` : "";
  const names = new Set<string>();
  for (const k of keys) if (k.startsWith(pre)) names.add(k.slice(pre.length).split("/")[0]);
  return [...names].sort();
}

/** A sink into a Map (a page writing a store with no server); `entries` is the store once committed. */
export class MemoryKeySink implements KeySink {
  readonly entries = new Map<string, Uint8Array>();
  constructor(readonly target = "(memory).zarr") {}
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes.slice());
  }
  async open(key: string): Promise<KeyFile> {
    let buf = new Uint8Array(0);
    let end = 0;
    const write = async (bytes: Uint8Array, at: number) => {
      if (at + bytes.length > buf.length) {
        const grown = new Uint8Array(Math.max(at + bytes.length, 2 * buf.length));
        grown.set(buf.subarray(0, end));
        buf = grown;
      }
      buf.set(bytes, at);
      end = Math.max(end, at + bytes.length);
    };
    return {
      write,
      writev: async (parts, at) => {
        for (const p of parts) {
          await write(p, at);
          at += p.length;
        }
      },
      close: async () => void this.entries.set(key, buf.slice(0, end)),
    };
  }
  async commit(): Promise<void> {}
  async abort(): Promise<void> {
    this.entries.clear();
  }
}

/**
 * A store under an http(s) prefix: each key one URL, read through the
 * HttpClient (time limits, retries, bounds, requests in flight per origin; a
 * suffix range the server answers with 200 falls back to HEAD + explicit
 * range; a key a server that ignores Range sent whole is kept there and its
 * later ranges, a shard's inner chunks, read from memory). 404 and 403 are a
 * missing key.
 */
export class HttpStore implements KeyStore {
  private readonly base: string;
  readonly client: HttpClient;
  constructor(
    readonly source: string,
    options: HttpOptions = {},
  ) {
    this.base = source.replace(/\/+$/, "");
    this.client = HttpClient.for(options);
  }
  /** The URL of a key. */
  url(key: string): string {
    return `${this.base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.client.get(this.url(key), { missingOk: true });
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    // A suffix request ("bytes=-N") saves a HEAD for the size.
    if (offset < 0) return this.client.suffix(this.url(key), -offset, { missingOk: true });
    return (await this.client.range(this.url(key), offset, length, { missingOk: true }))?.bytes;
  }
  async listDir(): Promise<string[] | null> {
    return null;
  }
  async close(): Promise<void> {}
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

interface ZipEntry {
  method: number;
  /** CRC-32 of the uncompressed bytes, from the central directory. */
  crc: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
  dataOffset?: number;
}

/**
 * A .zarr.zip: the central directory is read once; stored (uncompressed)
 * entries, as zarr-python's ZipStore writes, are read by byte range.
 */
export class ZipStore implements KeyStore {
  private entries = new Map<string, ZipEntry>();
  private constructor(
    readonly source: string,
    private readonly src: ByteSource,
  ) {}

  /** A zip by URL or local path (Node), or any byte source (a Blob, bytes). */
  static async open(source: string | ByteSource, options: HttpOptions = {}): Promise<ZipStore> {
    const src = typeof source === "string" ? await openSource(source, options) : source;
    const store = new ZipStore(src.name, src);
    try {
      await store.readDirectory();
    } catch (e) {
      await src.close?.();
      throw e;
    }
    return store;
  }

  private async readDirectory(): Promise<void> {
    const size = await this.src.size();
    const tailLen = Math.min(size, 65557 + 20);
    const tail = await this.src.read(size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (readU32(tail, i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw this.error("", "not a zip file (no end of central directory record): truncated or not a .zarr.zip");
    const dv = new DataView(tail.buffer, tail.byteOffset, tail.length);
    let count = dv.getUint16(eocd + 10, true);
    let cdSize = readU32(tail, eocd + 12);
    let cdOffset = readU32(tail, eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      // ZIP64: the locator sits just before the EOCD record.
      const loc = eocd - 20;
      if (loc < 0 || readU32(tail, loc) !== 0x07064b50) throw this.error("", "corrupt zip: the zip64 locator is missing");
      const z64off = Number(dv.getBigUint64(loc + 8, true));
      const z = await this.src.read(z64off, 56);
      const zv = new DataView(z.buffer, z.byteOffset, z.length);
      count = Number(zv.getBigUint64(32, true));
      cdSize = Number(zv.getBigUint64(40, true));
      cdOffset = Number(zv.getBigUint64(48, true));
    }
    if (cdOffset + cdSize > size || count * 46 > cdSize) {
      throw this.error("", `corrupt zip: a central directory of ${count} entries in ${cdSize} bytes at ${cdOffset}, in a file of ${size} bytes`);
    }
    const cd = await this.src.read(cdOffset, cdSize);
    const cv = new DataView(cd.buffer, cd.byteOffset, cd.length);
    const dec = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || readU32(cd, p) !== 0x02014b50) throw this.error("", `corrupt zip: central directory entry ${i} is damaged`);
      const method = cv.getUint16(p + 10, true);
      // what Python's zipfile refuses too: a version needed above 6.3, encryption, patched data
      const needs = cv.getUint16(p + 6, true) & 0xff;
      const flags = cv.getUint16(p + 8, true);
      if (needs > 63) throw this.error("", `corrupt zip: entry ${i} needs zip version ${needs / 10} to extract`);
      if (flags & 0x01) throw this.error("", `entry ${i} is encrypted; zipped Zarr stores are read unencrypted`);
      if (flags & 0x20) throw this.error("", `corrupt zip: entry ${i} says it holds patched data (flag bit 5)`);
      let compressedSize = readU32(cd, p + 20);
      let usize = readU32(cd, p + 24);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      let headerOffset = readU32(cd, p + 42);
      const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extra field: the 64-bit values replace the ones set to 0xffffffff, in order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cv.getUint16(e, true);
        const len = cv.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          if (usize === 0xffffffff) {
            usize = Number(cv.getBigUint64(q, true));
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(cv.getBigUint64(q, true));
            q += 8;
          }
          if (headerOffset === 0xffffffff) headerOffset = Number(cv.getBigUint64(q, true));
        }
        e += 4 + len;
      }
      if (!name.endsWith("/")) {
        if (headerOffset + 30 + compressedSize > size) {
          throw this.error("", `entry ${name} (${compressedSize} bytes at ${headerOffset}) lies past the end of the zip (${size} bytes): truncated file`);
        }
        this.entries.set(name, { method, crc: readU32(cd, p + 16), compressedSize, size: usize, headerOffset });
      }
      p = eEnd + commentLen;
    }
    this.entries = rootedAtTopFolder(this.entries);
  }

  private async dataOffset(entry: ZipEntry): Promise<number> {
    if (entry.dataOffset === undefined) {
      const h = await this.src.read(entry.headerOffset, 30);
      if (readU32(h, 0) !== 0x04034b50) throw this.error("", `corrupt zip: no local header at ${entry.headerOffset}`);
      const dv = new DataView(h.buffer, h.byteOffset, h.length);
      entry.dataOffset = entry.headerOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
    }
    return entry.dataOffset;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const raw = await this.src.read(await this.dataOffset(entry), entry.compressedSize);
    let bytes: Uint8Array;
    if (entry.method === 0) bytes = raw;
    else if (entry.method === 8) {
      try {
        bytes = await inflate(raw, "raw", entry.size);
      } catch (e) {
        throw this.error(key, `cannot inflate the zip entry: ${(e as Error).message}`, e);
      }
    } else throw this.error(key, `the zip entry uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
    this.check(key, entry, bytes);
    return bytes;
  }

  /** A whole entry's bytes against the size and CRC-32 the central directory gives (as Python's zipfile checks them). */
  private check(key: string, entry: ZipEntry, bytes: Uint8Array): void {
    if (bytes.length !== entry.size) throw this.error(key, `the zip entry holds ${bytes.length} bytes, its directory says ${entry.size}`);
    const c = crc32(bytes);
    if (c !== entry.crc) {
      throw this.error(key, `bad CRC-32 in the zip entry (${hex(c)}, the directory says ${hex(entry.crc)}): the file is corrupt`);
    }
  }

  private error(key: string, problem: string, cause?: unknown): FormatError {
    return new FormatError(this.source, key, problem, cause === undefined ? undefined : { cause });
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.method !== 0) {
      const all = await this.get(key);
      if (!all) return undefined;
      const start = offset < 0 ? Math.max(0, all.length + offset) : offset;
      return all.subarray(start, start + length);
    }
    const start = offset < 0 ? Math.max(0, entry.size + offset) : offset;
    const len = Math.min(length, entry.size - start);
    const bytes = await this.src.read((await this.dataOffset(entry)) + start, Math.max(0, len));
    // A range that is the whole entry is checked like get(); a part of one
    // cannot be (a shard's index has its own crc32c).
    if (start === 0 && bytes.length === entry.size) this.check(key, entry, bytes);
    return bytes;
  }

  async listDir(prefix: string): Promise<string[] | null> {
    return listKeys(this.entries.keys(), prefix);
  }

  async close(): Promise<void> {
    await this.src.close?.();
  }
}

const ROOT_METADATA = ["zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata"];

/**
 * A zip made by zipping the store's folder (`zip -r x.zip x.zarr`, as
 * zarrita's and netCDF's fixtures are) holds every key under that one folder:
 * its keys are taken relative to it. A zip with root metadata at its top, or
 * with more than one top-level entry, is read as it is.
 */
function rootedAtTopFolder(entries: Map<string, ZipEntry>): Map<string, ZipEntry> {
  const keys = [...entries.keys()].filter((k) => !k.startsWith("__MACOSX/"));
  if (keys.some((k) => ROOT_METADATA.includes(k))) return entries;
  const top = keys[0]?.split("/")[0];
  if (top === undefined || !keys.every((k) => k.startsWith(`${top}/`))) return entries;
  if (!ROOT_METADATA.some((m) => entries.has(`${top}/${m}`))) return entries;
  return new Map(keys.map((k) => [k.slice(top.length + 1), entries.get(k)!]));
}

/** The store for a source: http(s) prefix, .zip file, or (Node) local directory or zip. */
export async function openKeyStore(source: string, options: HttpOptions = {}): Promise<KeyStore> {
  const isHttp = /^https?:\/\//i.test(source);
  if (isHttp && /\.zip$/i.test(source.replace(/[?#].*$/, ""))) return ZipStore.open(source, options);
  if (isHttp) return new HttpStore(source, options);
  const local = formatPlatform().openLocalKeyStore;
  if (!local) throw new FormatError(source, "", NO_LOCAL_FILES);
  return local(source);
}
