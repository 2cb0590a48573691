// Where a Zarr store's keys live: a local directory, a .zarr.zip file (local or
// over HTTP), or an HTTP(S) prefix. Keys are "/"-separated, relative to the root.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { readU32 } from "./codecs.js";

const inflateRawAsync = promisify(zlib.inflateRaw);

export interface KeyStore {
  readonly source: string;
  get(key: string): Promise<Uint8Array | undefined>;
  /** `length` bytes from `offset`; a negative offset counts from the end. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined>;
  /** Child names under a prefix ("" for the root), or null when the store cannot list. */
  listDir(prefix: string): Promise<string[] | null>;
  close(): Promise<void>;
}

/** A key with no file: no such file, or a directory where a chunk would be (a key is never one). */
export function isAbsentKey(e: any): boolean {
  return isMissing(e) || e?.code === "EISDIR";
}

function isMissing(e: any): boolean {
  return e?.code === "ENOENT" || e?.code === "ENOTDIR";
}

/** Where a chunk's bytes are in a local store: a whole file, or `length` bytes at `offset` (an inner chunk of a shard). */
export interface ChunkSource {
  file: string;
  offset?: number;
  length?: number;
}

/**
 * Reads chunks into one buffer it reuses (grown as needed), keeping the last
 * file open: the inner chunks of a shard come from one file, and an open and
 * a close cost ~10 us a chunk on this VM. `release()` closes it.
 */
export class FileScratch {
  private buf = new Uint8Array(0);
  private open: { file: string; fd: number } | null = null;
  /** The chunk's bytes, valid until the next call; undefined when its file is not there. */
  read(src: ChunkSource): Uint8Array | undefined {
    let fd: number;
    if (this.open?.file === src.file) fd = this.open.fd;
    else {
      this.release();
      try {
        fd = openSync(src.file, "r");
      } catch (e) {
        if (isAbsentKey(e)) return undefined;
        throw e;
      }
      this.open = { file: src.file, fd };
    }
    try {
      if (src.length !== undefined) {
        if (this.buf.length < src.length) this.buf = new Uint8Array(Math.max(src.length, 2 * this.buf.length));
        const n = readFull(fd, this.buf, src.length, src.offset ?? 0);
        if (n !== src.length) throw new Error(`truncated: ${n} of ${src.length} bytes`);
        return this.buf.subarray(0, n);
      }
      // a whole file, with no fstat: a short read of a regular file is its end
      let done = 0;
      for (;;) {
        if (done === this.buf.length) {
          const grown = new Uint8Array(Math.max(1 << 16, 2 * this.buf.length));
          grown.set(this.buf);
          this.buf = grown;
        }
        const n = readSync(fd, this.buf, done, this.buf.length - done, done);
        done += n;
        if (done < this.buf.length) break;
      }
      return this.buf.subarray(0, done);
    } catch (e) {
      this.release();
      if (isAbsentKey(e)) return undefined; // a directory where a chunk would be
      throw e;
    }
  }
  release(): void {
    if (this.open) closeSync(this.open.fd);
    this.open = null;
  }
}

/** Reads `length` bytes at `position` (fewer at the end of the file); the count read. */
function readFull(fd: number, into: Uint8Array, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export class LocalStore implements KeyStore {
  constructor(readonly source: string) {}
  /** The file that holds `key`. */
  file(key: string): string {
    return path.join(this.source, ...key.split("/"));
  }
  // Synchronous reads: chunk files are small and mostly in the page cache, where
  // a read takes microseconds; four threadpool round trips per chunk (open,
  // fstat, read, close) cost more than that, the more so on a busy machine.
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const b = readFileSync(this.file(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    } catch (e) {
      if (isAbsentKey(e)) return undefined;
      throw e;
    }
  }
  private scratch = new FileScratch();
  /**
   * A chunk's bytes in a buffer this store reuses: valid until the next call
   * (`release()` closes the file it keeps open). For a chunk decoded at once:
   * on this VM a fresh buffer per chunk meant page faults (~5 us each) that
   * cost as much as decoding it.
   */
  readNow(src: ChunkSource): Uint8Array | undefined {
    return this.scratch.read(src);
  }
  release(): void {
    this.scratch.release();
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    let fd: number | undefined;
    try {
      fd = openSync(this.file(key), "r");
      if (offset < 0) offset = Math.max(0, fstatSync(fd).size + offset);
      const buf = new Uint8Array(length);
      return buf.subarray(0, readFull(fd, buf, length, offset));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  async listDir(prefix: string): Promise<string[] | null> {
    try {
      return (await readdir(this.file(prefix))).sort();
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }
  async close(): Promise<void> {}
}

export class HttpStore implements KeyStore {
  private readonly base: string;
  constructor(
    readonly source: string,
    private readonly init: RequestInit = {},
  ) {
    this.base = source.replace(/\/+$/, "");
  }
  private async fetchKey(key: string, range?: string): Promise<Uint8Array | undefined> {
    const headers = new Headers(this.init.headers);
    if (range) headers.set("Range", range);
    const res = await fetch(`${this.base}/${key.split("/").map(encodeURIComponent).join("/")}`, { ...this.init, headers });
    if (res.status === 404 || res.status === 403) return undefined;
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText} for ${key}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.fetchKey(key);
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    // A suffix request ("bytes=-N") saves a HEAD for the size.
    return this.fetchKey(key, offset < 0 ? `bytes=${offset}` : `bytes=${offset}-${offset + length - 1}`);
  }
  async listDir(): Promise<string[] | null> {
    return null;
  }
  async close(): Promise<void> {}
}

/** Random access to the bytes of one file, local or remote. */
interface ByteSource {
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function localSource(file: string): Promise<ByteSource> {
  const fh = await open(file, "r");
  const { size } = await fh.stat();
  return {
    size: async () => size,
    read: async (offset, length) => {
      const buf = new Uint8Array(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

function httpSource(url: string, init: RequestInit): ByteSource {
  let size: number | undefined;
  const get = async (range: string) => {
    const headers = new Headers(init.headers);
    headers.set("Range", range);
    const res = await fetch(url, { ...init, headers });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    if (size === undefined) {
      const m = /\/(\d+)$/.exec(res.headers.get("Content-Range") ?? "");
      if (m) size = Number(m[1]);
    }
    return new Uint8Array(await res.arrayBuffer());
  };
  return {
    size: async () => {
      if (size === undefined) await get("bytes=0-0");
      if (size === undefined) throw new Error("the server gave no Content-Range");
      return size;
    },
    read: (offset, length) => get(`bytes=${offset}-${offset + length - 1}`),
    close: async () => {},
  };
}

interface ZipEntry {
  method: number;
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

  static async open(source: string, init: RequestInit = {}): Promise<ZipStore> {
    const src = /^https?:\/\//.test(source) ? httpSource(source, init) : await localSource(source);
    const store = new ZipStore(source, src);
    try {
      await store.readDirectory();
    } catch (e) {
      await src.close();
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
    if (eocd < 0) throw new Error("not a zip file (no end of central directory record)");
    const dv = new DataView(tail.buffer, tail.byteOffset, tail.length);
    let count = dv.getUint16(eocd + 10, true);
    let cdSize = readU32(tail, eocd + 12);
    let cdOffset = readU32(tail, eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      // ZIP64: the locator sits just before the EOCD record.
      const loc = eocd - 20;
      if (loc < 0 || readU32(tail, loc) !== 0x07064b50) throw new Error("zip64 locator missing");
      const z64off = Number(dv.getBigUint64(loc + 8, true));
      const z = await this.src.read(z64off, 56);
      const zv = new DataView(z.buffer, z.byteOffset, z.length);
      count = Number(zv.getBigUint64(32, true));
      cdSize = Number(zv.getBigUint64(40, true));
      cdOffset = Number(zv.getBigUint64(48, true));
    }
    const cd = await this.src.read(cdOffset, cdSize);
    const cv = new DataView(cd.buffer, cd.byteOffset, cd.length);
    const dec = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (readU32(cd, p) !== 0x02014b50) throw new Error("corrupt zip central directory");
      const method = cv.getUint16(p + 10, true);
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
      if (!name.endsWith("/")) this.entries.set(name, { method, compressedSize, size: usize, headerOffset });
      p = eEnd + commentLen;
    }
  }

  private async dataOffset(entry: ZipEntry): Promise<number> {
    if (entry.dataOffset === undefined) {
      const h = await this.src.read(entry.headerOffset, 30);
      if (readU32(h, 0) !== 0x04034b50) throw new Error("corrupt zip local header");
      const dv = new DataView(h.buffer, h.byteOffset, h.length);
      entry.dataOffset = entry.headerOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
    }
    return entry.dataOffset;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const raw = await this.src.read(await this.dataOffset(entry), entry.compressedSize);
    if (entry.method === 0) return raw;
    if (entry.method === 8) return inflateRawAsync(raw);
    throw new Error(`zip entry ${key} uses compression method ${entry.method}`);
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
    return this.src.read((await this.dataOffset(entry)) + start, Math.max(0, len));
  }

  async listDir(prefix: string): Promise<string[] | null> {
    const pre = prefix ? `${prefix}/` : "";
    const names = new Set<string>();
    for (const k of this.entries.keys()) {
      if (k.startsWith(pre)) names.add(k.slice(pre.length).split("/")[0]);
    }
    return [...names].sort();
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

/** The store for a source: http(s) prefix, .zip file, or local directory. */
export async function openKeyStore(source: string, init: RequestInit = {}): Promise<KeyStore> {
  const isHttp = /^https?:\/\//i.test(source);
  if (/\.zip$/i.test(source.replace(/[?#].*$/, ""))) return ZipStore.open(source, init);
  if (isHttp) return new HttpStore(source, init);
  const st = await stat(source); // throws ENOENT for a missing path
  if (st.isFile()) return ZipStore.open(source, init);
  return new LocalStore(path.resolve(source));
}
