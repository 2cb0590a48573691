// The output file: written under a temporary name (see temp-output.ts),
// appended through a write-behind buffer (few large writes instead of one
// per chunk), fsynced and renamed onto the final path at close.
import { access, type FileHandle, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Sink } from "../platform.js";
import { HDF5_SIGNATURE, superblockOffsets } from "../reader/superblock.js";
import { BackgroundSync, notReplaceable, removeStaleTemps, renameDurably, tempPathFor } from "./temp-output.js";

const BUFFER_SIZE = 4 << 20;
const MAX_PENDING_WRITES = 2;
/**
 * Written bytes after which the file is synced in the background, so that
 * the disk takes them while the writer goes on rather than all at commit
 * (an extraction's 170 MB file spent ~200 ms in its final fsync).
 */
const SYNC_BYTES = 32 << 20;

export class FileSink implements Sink {
  /** Address of the next appended byte. */
  end = 0;
  private buf: Uint8Array = new Uint8Array(BUFFER_SIZE);
  /** Write buffers whose writes completed, reused (fewer 4 MiB allocations for the GC). */
  private readonly spare: Uint8Array[] = [];
  private bufStart = 0;
  private bufLen = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private error: unknown = null;

  /** The file synced in the background every SYNC_BYTES written (its failure is the sink's). */
  private readonly sync: BackgroundSync;

  private constructor(
    readonly path: string,
    readonly tmpPath: string,
    private readonly fh: FileHandle,
    private readonly overwrite: boolean,
  ) {
    this.sync = new BackgroundSync(fh, SYNC_BYTES);
  }

  static async create(path: string, overwrite: boolean): Promise<FileSink> {
    if (!overwrite && (await exists(path))) throw new Error(`${path}: already exists (pass overwrite to replace it)`);
    await checkReplaceable(path);
    await removeStaleTemps(dirname(path));
    const tmpPath = tempPathFor(path);
    const fh = await open(tmpPath, "wx");
    return new FileSink(path, tmpPath, fh, overwrite);
  }

  private track(p: Promise<unknown>): void {
    const t: Promise<void> = p.then(
      () => {
        this.pending.delete(t);
      },
      (e) => {
        this.error ??= e;
        this.pending.delete(t);
      },
    );
    this.pending.add(t);
  }

  private flushBuffer(): void {
    if (this.bufLen === 0) return;
    const full = this.buf;
    const n = this.bufLen;
    this.track(
      this.fh.write(full, 0, n, this.bufStart).then(() => {
        if (this.spare.length < MAX_PENDING_WRITES) this.spare.push(full);
        this.sync.written(n);
      }),
    );
    this.buf = this.spare.pop() ?? new Uint8Array(BUFFER_SIZE);
    this.bufStart = this.end;
    this.bufLen = 0;
  }

  /** Appends `bytes` (copied or written before they could change); returns their address. */
  append(bytes: Uint8Array): number {
    this.throwIfFailed();
    const at = this.end;
    if (bytes.length > BUFFER_SIZE / 4) {
      this.flushBuffer();
      this.track(this.fh.write(bytes, 0, bytes.length, at).then(() => this.sync.written(bytes.length)));
      this.end += bytes.length;
      this.bufStart = this.end;
      return at;
    }
    if (this.bufLen + bytes.length > BUFFER_SIZE) this.flushBuffer();
    this.buf.set(bytes, this.bufLen);
    this.bufLen += bytes.length;
    this.end += bytes.length;
    return at;
  }

  /** Reserves `size` bytes (left as a hole, read as zeros) to be written with `writeAt`. */
  reserve(size: number): number {
    this.flushBuffer();
    const at = this.end;
    this.end += size;
    this.bufStart = this.end;
    return at;
  }

  /** Writes into a reserved region. */
  writeAt(address: number, bytes: Uint8Array): void {
    this.throwIfFailed();
    this.track(this.fh.write(bytes, 0, bytes.length, address));
  }

  /** Writes straight from `bytes` into a reserved region; resolves once written (then `bytes` may be reused). */
  async writeNow(address: number, bytes: Uint8Array): Promise<void> {
    this.throwIfFailed();
    await this.fh.write(bytes, 0, bytes.length, address);
  }

  /** Waits while too many writes are in flight (keeps memory bounded). */
  async backpressure(): Promise<void> {
    while (this.pending.size > MAX_PENDING_WRITES) await Promise.race(this.pending);
    this.throwIfFailed();
  }

  async flush(): Promise<void> {
    this.flushBuffer();
    while (this.pending.size > 0) await Promise.all(this.pending);
    await this.sync.idle();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const e = this.error ?? this.sync.failure;
    if (e) throw e;
  }

  /** Flushes, syncs, closes and renames onto the final path. */
  async commit(): Promise<void> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    if (!this.overwrite && (await exists(this.path))) {
      await rm(this.tmpPath, { force: true });
      throw new Error(`${this.path}: appeared while writing (pass overwrite to replace it)`);
    }
    try {
      await checkReplaceable(this.path);
    } catch (e) {
      await rm(this.tmpPath, { force: true });
      throw e;
    }
    await renameDurably(this.tmpPath, this.path);
  }

  async discard(): Promise<void> {
    this.flushBuffer();
    await Promise.allSettled([...this.pending, this.sync.idle()]);
    await this.fh.close().catch(() => {});
    await rm(this.tmpPath, { force: true });
  }
}

/** An empty file, or one with the HDF5 signature where the format puts it (0, 512, 1024, ...). */
async function isHdf5OrEmpty(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size === 0) return true;
    const head = new Uint8Array(8);
    for (const off of superblockOffsets(size)) {
      await fh.read(head, 0, 8, off);
      if (HDF5_SIGNATURE.every((b, i) => head[i] === b)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}

/** Refuses to replace anything but an HDF5 file (temp-output.ts's rule). */
async function checkReplaceable(path: string): Promise<void> {
  const why = await notReplaceable(path, { form: "file", is: isHdf5OrEmpty, name: "an HDF5 file", isNot: "not an HDF5 file (no HDF5 signature at 0, 512, 1024, ...)" });
  if (why) throw new Error(`${path}: ${why}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
