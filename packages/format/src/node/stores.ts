// Local Zarr stores (Node): a directory of chunk files read with synchronous
// preads, and a directory written under a temporary name (the rule is
// @cellfolio/hdf5's temp-output), fsynced and renamed at commit.
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { BackgroundSync, notReplaceable, removeStaleTemps, renameDurably, syncDir, tempPathFor } from "@cellfolio/hdf5/node";
import { FormatError } from "../errors.js";
import type { ChunkSource, FileKeyStore, KeyFile, KeySink, KeyStore } from "../zarr/key-store.js";
import { isAbsentKey, isMissing, ZipStore } from "../zarr/stores.js";

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

export class LocalStore implements FileKeyStore {
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

/** A local store: a .zip file (or any file) as a zip, a directory as a directory store. */
export async function openLocalKeyStore(source: string): Promise<KeyStore> {
  if (/\.zip$/i.test(source)) return ZipStore.open(source);
  const st = await stat(source); // throws ENOENT for a missing path
  if (st.isFile()) return ZipStore.open(source);
  return new LocalStore(path.resolve(source));
}

/** Bytes written to a file of a directory store after which it is synced in the background (see DirectorySink.open). */
const FILE_SYNC_BYTES = 2 << 20;

/**
 * A Zarr store written as `<target>.tmp-<pid>.<random>.<host>/` and renamed
 * onto the target at commit, so an interrupted write never leaves a store
 * that looks whole; an existing target is replaced only then (with
 * `overwrite`). Every file is fsynced as it is closed and every directory
 * before the rename; leftovers of killed runs in the folder are removed at create.
 */
export class DirectorySink implements KeySink {
  private dirs = new Map<string, Promise<void>>();

  private constructor(
    readonly target: string,
    readonly tmp: string,
    private readonly overwrite: boolean,
  ) {}

  static async create(target: string, overwrite: boolean): Promise<DirectorySink> {
    const abs = path.resolve(target);
    if (!overwrite && (await exists(abs))) throw new FormatError(target, "", "already exists (pass overwrite to replace it)");
    await checkReplaceable(target, abs);
    await removeStaleTemps(path.dirname(abs));
    const tmp = tempPathFor(abs);
    try {
      await mkdir(tmp);
    } catch (e: any) {
      throw new FormatError(target, "", `cannot create the output: ${e?.message ?? e}`, { cause: e });
    }
    return new DirectorySink(abs, tmp, overwrite);
  }

  /** Creates a directory under the temporary root once, however many chunks go there. */
  private ensureDir(rel: string): Promise<void> {
    let p = this.dirs.get(rel);
    if (!p) {
      p = mkdir(path.join(this.tmp, rel), { recursive: true }).then(() => undefined);
      this.dirs.set(rel, p);
    }
    return p;
  }

  private async fileFor(key: string): Promise<string> {
    const slash = key.lastIndexOf("/");
    if (slash > 0) await this.ensureDir(key.slice(0, slash));
    return path.join(this.tmp, ...key.split("/"));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await writeFile(await this.fileFor(key), bytes, { flush: true });
  }

  async open(key: string): Promise<KeyFile> {
    const fh: FileHandle = await open(await this.fileFor(key), "w");
    // Synced in the background as it is written, so that the disk takes a
    // shard while the writer goes on, not at its close: an extraction with
    // ids in random order closes every shard in its last band.
    const sync = new BackgroundSync(fh, FILE_SYNC_BYTES);
    return {
      writev: async (parts, at) => sync.written((await fh.writev(parts, at)).bytesWritten),
      write: async (bytes, at) => sync.written((await fh.write(bytes, 0, bytes.length, at)).bytesWritten),
      close: async () => {
        await sync.idle();
        if (sync.failure) {
          await fh.close().catch(() => {});
          throw sync.failure;
        }
        await fh.sync();
        await fh.close();
      },
    };
  }

  async commit(): Promise<void> {
    // Every directory made under the root (mkdir -p made the parents of those recorded), then the root.
    const dirs = new Set<string>();
    for (const rel of this.dirs.keys()) for (let d = rel; d !== "." && d !== ""; d = path.posix.dirname(d)) dirs.add(d);
    await Promise.all([...dirs].map((rel) => syncDir(path.join(this.tmp, rel))));
    await syncDir(this.tmp);
    if (await exists(this.target)) {
      if (!this.overwrite) throw new FormatError(this.target, "", "appeared while writing; not replaced (pass overwrite)");
      await checkReplaceable(this.target, this.target).catch(async (e) => {
        await this.abort();
        throw e;
      });
      const old = `${this.target}.old-${randomBytes(4).toString("hex")}`;
      await rename(this.target, old);
      await renameDurably(this.tmp, this.target);
      await rm(old, { recursive: true, force: true });
    } else {
      await renameDurably(this.tmp, this.target);
    }
  }

  async abort(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }
}

/** A folder with a Zarr store's root document (v3 zarr.json, v2 .zgroup / .zarray), or an empty one. */
async function isZarrOrEmpty(dir: string): Promise<boolean> {
  const names = await readdir(dir);
  return names.length === 0 || names.some((n) => n === "zarr.json" || n === ".zgroup" || n === ".zarray");
}

/** Refuses to replace anything but a Zarr store (temp-output.ts's rule in @cellfolio/hdf5). */
async function checkReplaceable(target: string, abs: string): Promise<void> {
  const why = await notReplaceable(abs, {
    form: "folder",
    is: isZarrOrEmpty,
    name: "a Zarr store or an empty folder",
    isNot: "a folder that is not a Zarr store (no zarr.json, .zgroup or .zarray at its top) and not empty",
  });
  if (why) throw new FormatError(target, "", why);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
