// A single-cell image dataset opened lazily: obs, var and uns are read at
// open (small); the image array only as metadata. Cells are read chunk by
// chunk through the chunk cache, by row or by cellID. Beside it: which chunks
// to read (chunk-plan.ts), the copy loops (copy.ts), opening (sources/open.ts).
import {
  type ArrayInfo,
  allocUninitialised,
  DEFAULT_LAYOUT,
  type DType,
  detectLayout,
  float16ToFloat32,
  float32ToFloat16,
  type HttpOptions,
  IMAGES_PATH,
  Limiter,
  type NDArray,
  readSingleCellLayout,
  type SingleCellImagesInfo,
  type SingleCellLayout,
  SPARCSPY_IMAGES,
  type StoreReader,
  type StoreSource,
  singleCellInfo,
  sliceArray,
  type TypedArray,
  typedArrayFor,
  useDecodeWorkers,
} from "@cellfolio/format";
import { ChunkCache } from "./cache.js";
import { channelRuns, planChunkReads } from "./chunk-plan.js";
import { collectionDataset, splitZarrGroup, subStore } from "./collection.js";
import { copyChunk, copyRun } from "./copy.js";
import { type Column, emptyFrame, type Frame, frameOrEmpty, readFrame } from "./elements.js";
import { DatasetError } from "./errors.js";
import { openSource, sourceName } from "./sources/open.js";

/** Batches of at least this many rows are gathered in one read where the store can (fewer: a read a row costs less). */
const GATHER_MIN_ROWS = 8;
const MAX_GATHERS = 4;

/**
 * Options of openDataset. For http(s) URLs, the HttpOptions of
 * @cellfolio/hdf5 apply: `fetch`, `fetchInit` (headers, credentials, a
 * signal), `timeoutMs` (headers within 30 s), `idleTimeoutMs` and
 * `minBytesPerSecond` (a body stalled or slower than 1 KiB/s over 30 s is
 * aborted), `attempts` (3 tries for 408 / 429 / 5xx / resets / no answer in
 * time), `retryDelayMs`, `maxRetryDelayMs`, `maxWholeFileBytes` (a server
 * that ignores Range is used for files up to 8 MiB, kept in memory up to
 * `wholeFileCacheBytes`, 64 MiB), `maxBodyBytes` and `concurrency` (below).
 */
export interface OpenDatasetOptions extends HttpOptions {
  /** Read from this already open store instead of opening `source`. */
  store?: StoreReader;
  /** Byte budget of the chunk cache (default 256 MiB); or a cache shared between datasets. */
  cacheBytes?: number;
  cache?: ChunkCache;
  /** obs column holding the cellIDs (default `scportrait_cell_id`, then `cellID`, `cell_id`). */
  cellIdColumn?: string;
  /**
   * Read all of obs, var and uns at open (default true). With false, opening
   * reads only the metadata, the cellIDs and the channel names (a consolidated
   * Zarr opens in 3 requests); `await ds.load()` reads the rest.
   */
  eager?: boolean;
  /**
   * Chunk reads under way at once (default 64); over HTTP also a fixed number
   * of requests in flight to one origin (default: for http: URLs a window
   * from 6 up to 64 that follows what the server takes, 64 for https:; see
   * HttpOptions.concurrency).
   */
  concurrency?: number;
  /**
   * Browsers: decode chunks on this many Web Workers (0, the default: on the
   * page's thread). The pool is the page's, used by every dataset read after
   * (the last value given applies); Node ignores it (it has its own pools).
   */
  decodeWorkers?: number;
  /** Browsers: the decode worker's URL, where the bundler did not put it beside the code (esbuild: see the README). */
  decodeWorkerUrl?: string | URL;
}

export type ChannelSelector = number | string;
export type Crop = number | { y: number; x: number; size: number };

export interface ReadOptions {
  /** Channels by index or name (var `channels`), in the order given; default all. */
  channels?: ChannelSelector[];
  /** A square window: a size (centred) or its top-left corner and size. */
  crop?: Crop;
  /** Output type: float32 (default) or float16 bit patterns in a Uint16Array. */
  dtype?: "float32" | "float16";
  /**
   * Keep the chunks read in the chunk cache (default: when the dataset has a
   * cache budget). A one-pass read of many cells (an epoch over a dataset
   * larger than the budget) gains nothing from it: `batches()` turns it off
   * then, and cells are read row by row (see `readRows`).
   */
  cache?: boolean;
  /**
   * Where to write the cells: a buffer the caller reuses (a training loop's
   * batch), of the output type (Float32Array, or Uint16Array for float16)
   * with room for n x channels x size x size values; `data` is a view of it.
   * Fresh batch memory costs page faults (on this VM ~5 us a 4 KB page).
   */
  into?: Float32Array | Uint16Array;
}

export interface Cells {
  data: Float32Array | Uint16Array;
  /** [n, channels, size, size] */
  shape: [number, number, number, number];
  cellIds: number[];
  rows: number[];
}

export class Dataset {
  private ids: number[] | null = null;
  private names: string[] | null = null;
  /** Rows of obs by cellID. */
  private rowOf = new Map<number, number>();
  private indexLoading: Promise<void> | null = null;
  private readonly limiter: Limiter;
  readonly cache: ChunkCache;
  /** The image array's path: obsm/single_cell_images, or SPARCSpy's single_cell_data. */
  readonly imagesPath: string;
  /** [n cells, channels, size, size] of the stored images. */
  readonly shape: [number, number, number, number];
  readonly chunks: [number, number, number, number];
  /**
   * obs: all columns once loaded (`load()`; opening does it unless `eager:
   * false`); `obs.missing` marks the rows whose value is missing.
   */
  obs: Frame = emptyFrame();
  /** var (the channels): all columns once loaded. */
  var_: Frame = emptyFrame();
  /** uns/single_cell_images; until `load()`, only what the image array's attributes say. */
  info: SingleCellImagesInfo;
  /** Whether obs, var and uns are all read. */
  loaded = false;

  constructor(
    readonly source: string,
    readonly store: StoreReader,
    /** The image array's metadata (nothing of its data is read at open). */
    readonly images: ArrayInfo,
    /** The obs column holding the cellIDs (none: the row numbers are the ids, or SPARCSpy's index array). */
    readonly cellIdColumn: string | undefined,
    options: OpenDatasetOptions,
    /** Which scPortrait / SPARCSpy layout the store has (see @cellfolio/format's layout.ts). */
    readonly layout: SingleCellLayout = DEFAULT_LAYOUT,
  ) {
    this.cache = options.cache ?? new ChunkCache(options.cacheBytes);
    this.limiter = new Limiter(options.concurrency ?? 64);
    this.imagesPath = images.path;
    this.shape = images.shape as [number, number, number, number];
    this.chunks = (images.chunks ?? images.shape) as [number, number, number, number];
    this.info = singleCellInfo(images);
  }

  /** The cellID of every row (after `loadIndex()`, which every read does first). */
  get cellIds(): number[] {
    if (!this.ids) throw new DatasetError(this.source, "obs", "cellIDs not loaded yet (opened with eager: false): await dataset.loadIndex() first");
    return this.ids;
  }

  /** Channel names, masks first: var `channels`, else uns `channel_names`, else var's index. */
  get channelNames(): string[] {
    if (!this.names) throw new DatasetError(this.source, "var", "channel names not loaded yet (opened with eager: false): await dataset.loadIndex() first");
    return this.names;
  }

  /** Reads the cellIDs and the channel names (one small array each), once. */
  loadIndex(): Promise<void> {
    if (this.ids && this.names) return Promise.resolve();
    this.indexLoading ??= (async () => {
      const [obs, var_] = await Promise.all([
        this.cellIdColumn ? readFrame(this.store, "obs", [this.cellIdColumn]) : this.sparcsIds(),
        frameOrEmpty(this.store, "var", ["channels"]),
      ]);
      if (!var_.columns.channels && !this.info.channelNames) {
        // no names but the index: read it (small)
        if (await this.store.get("var")) var_.index = (await readFrame(this.store, "var")).index;
      }
      this.setIndex(obs, var_);
    })().catch((err) => {
      this.indexLoading = null;
      throw err;
    });
    return this.indexLoading;
  }

  /** SPARCSpy's cellIDs: column 1 of single_cell_index ([row, cellID]), as an obs column of that name. */
  private async sparcsIds(): Promise<Frame> {
    const at = this.layout.cellIds;
    if (!at || !("indexArray" in at)) return emptyFrame();
    const a = await this.store.readArray(at.indexArray);
    const w = a.shape[1];
    const col = Float64Array.from({ length: a.shape[0] }, (_, r) => Number((a.data as ArrayLike<number | bigint>)[r * w + 1]));
    return { ...emptyFrame(), columns: { [at.indexArray]: col } };
  }

  private setIndex(obs: Frame, var_: Frame): void {
    const n = this.shape[0];
    let ids: number[];
    const sparcs = this.layout.cellIds && "indexArray" in this.layout.cellIds ? this.layout.cellIds.indexArray : undefined;
    if (sparcs && obs.columns[sparcs]) {
      ids = Array.from(obs.columns[sparcs] as Float64Array);
    } else if (this.cellIdColumn) {
      const col = obs.columns[this.cellIdColumn];
      if (!col) throw new DatasetError(this.source, `obs/${this.cellIdColumn}`, "no such obs column for the cellIDs");
      const row = obs.missing[this.cellIdColumn]?.indexOf(1) ?? -1;
      if (row >= 0) throw new DatasetError(this.source, `obs/${this.cellIdColumn}`, `the cellID of row ${row} is missing (the column's mask marks it); every cell needs one`);
      ids = Array.from(col as ArrayLike<unknown>, (v) => Number(v));
    } else {
      ids = Array.from({ length: n }, (_, i) => i);
    }
    if (ids.length !== n) throw new DatasetError(this.source, "obs", `has ${ids.length} rows but ${this.imagesPath} has ${n} cells`);
    const chan = var_.columns.channels;
    // scPortrait 1.3.0: a var of zero rows whose column names are the channel names
    const varColumns = this.layout.channelNames === "var-columns" ? this.layout.varColumns : undefined;
    this.names = Array.isArray(chan) ? chan : (this.info.channelNames ?? varColumns ?? (var_.index.length ? var_.index : Array.from({ length: this.shape[1] }, (_, i) => String(i))));
    if (this.names.length !== this.shape[1]) {
      throw new DatasetError(this.source, "var", `names ${this.names.length} channels but ${this.imagesPath} has ${this.shape[1]}`);
    }
    this.rowOf = new Map();
    ids.forEach((id, row) => {
      if (!this.rowOf.has(id)) this.rowOf.set(id, row);
    });
    this.ids = ids;
  }

  get nCells(): number {
    return this.shape[0];
  }
  get imageSize(): number {
    return this.shape[2];
  }
  /** The row of a cellID (after `loadIndex()`). */
  rowOfCellId(id: number | bigint): number {
    if (!this.ids) throw new DatasetError(this.source, "obs", "cellIDs not loaded yet: await dataset.loadIndex() first");
    const row = this.rowOf.get(Number(id));
    if (row === undefined) throw new DatasetError(this.source, "obs", "no cell with this cellID", { id });
    return row;
  }

  /** Channel selectors -> channel indices. */
  resolveChannels(channels?: ChannelSelector[]): number[] {
    if (!channels) return Array.from({ length: this.shape[1] }, (_, i) => i);
    return channels.map((c) => {
      if (typeof c === "number") {
        if (!Number.isInteger(c) || c < 0 || c >= this.shape[1]) {
          throw new DatasetError(this.source, "var", `channel index out of range (0..${this.shape[1] - 1})`, { id: c });
        }
        return c;
      }
      const i = this.channelNames.indexOf(c);
      if (i < 0) throw new DatasetError(this.source, "var/channels", `no such channel; channels are ${this.channelNames.join(", ")}`, { id: c });
      return i;
    });
  }

  getCell(row: number, options: ReadOptions = {}): Promise<Cells> {
    return this.getCells([row], options);
  }

  async getByCellId(ids: number | bigint | (number | bigint)[], options: ReadOptions = {}): Promise<Cells> {
    if (!this.ids) await this.loadIndex();
    const list = Array.isArray(ids) ? ids : [ids];
    return this.getCells(
      list.map((id) => this.rowOfCellId(id)),
      options,
    );
  }

  /** Cells by row, in the order given (repeats allowed); each chunk needed is read once. */
  async getCells(rows: ArrayLike<number>, options: ReadOptions = {}): Promise<Cells> {
    if (!this.ids || !this.names) await this.loadIndex();
    const n = this.shape[0];
    const chans = this.resolveChannels(options.channels);
    const { y: cy0, x: cx0, size: s } = this.cropWindow(options.crop);
    const nOut = rows.length;
    const nc = chans.length;
    const want = options.dtype === "float16" ? "float16" : "float32";
    // float16 out of float16 copies the bits; everything else goes through float32.
    const direct = want === "float16" && this.images.dtype === "float16";
    // Every value of the output is written below (each chunk under the
    // window is copied; missing chunks come as fill values), so it starts
    // unzeroed: zeroing 80 KiB a cell showed in profiles.
    const nValues = nOut * nc * s * s;
    const into = options.into;
    if (into && (!(into instanceof (want === "float16" ? Uint16Array : Float32Array)) || into.length < nValues)) {
      throw new DatasetError(this.source, this.imagesPath, `into: expected a ${want === "float16" ? "Uint16Array" : "Float32Array"} of at least ${nValues} values`);
    }
    // (float16 out of other types goes through float32, then into `into`)
    const out =
      into && (direct || want === "float32")
        ? into.subarray(0, nValues)
        : direct
          ? new Uint16Array(allocUninitialised(nValues * 2))
          : new Float32Array(allocUninitialised(nValues * 4));
    // Output slots by row, and which rows / channels each chunk covers.
    const slotsOfRow = new Map<number, number[]>();
    for (let i = 0; i < nOut; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= n) throw new DatasetError(this.source, this.imagesPath, `row out of range (0..${n - 1})`, { id: r });
      const l = slotsOfRow.get(r);
      if (l) l.push(i);
      else slotsOfRow.set(r, [i]);
    }
    if (this.chunks[0] === 1 && (options.cache === false || this.cache.maxBytes === 0)) {
      if (this.store.readRows && slotsOfRow.size >= GATHER_MIN_ROWS) await this.gatherRows(slotsOfRow, chans, cy0, cx0, s, out);
      else await this.readRows(slotsOfRow, chans, cy0, cx0, s, out);
      return this.result(rows, out, want, nc, s, into);
    }
    const reads: Promise<void>[] = [];
    const held = (coords: number[]) => this.cache.has(this.chunkKey(coords));
    for (const run of planChunkReads(this.chunks, slotsOfRow.keys(), chans, cy0, cx0, s, held)) {
      const chunks = run.length === 1 ? [this.readChunk(run[0])] : this.readChunkRun(run);
      run.forEach((coords, i) => {
        reads.push(chunks[i].then((chunk) => copyChunk(chunk, coords, this.chunks, slotsOfRow, chans, cy0, cx0, s, out)));
      });
    }
    await Promise.all(reads);
    return this.result(rows, out, want, nc, s, into);
  }

  private result(rows: ArrayLike<number>, out: Float32Array | Uint16Array, want: "float32" | "float16", nc: number, s: number, into?: Float32Array | Uint16Array): Cells {
    const ids = this.cellIds;
    let data = out;
    if (want === "float16" && out instanceof Float32Array) {
      data = float32ToFloat16(out);
      if (into) {
        into.set(data);
        data = into.subarray(0, data.length);
      }
    }
    return {
      data,
      shape: [rows.length, nc, s, s],
      cellIds: Array.from(rows, (r) => ids[r]),
      rows: Array.from(rows),
    };
  }

  /**
   * Cells one row at a time, without the chunk cache: where every cell is a
   * chunk row of its own (h5sc's (1, 1, S, S), Zarr's (1, C, S, S)), a cell's
   * channels (each run of neighbouring channel chunks) are one block read,
   * which the backend serves with one request per run of chunks. Per cell this
   * leaves a read and a copy; the per-chunk path's keys, promises and slices
   * cost as much again as the read (measured: ~6,000 -> ~11,000 cells/s of
   * (5, 64, 64) float16 from a local .h5sc). Concurrent reads of a row share one read.
   */
  private async readRows(slotsOfRow: Map<number, number[]>, chans: number[], cy0: number, cx0: number, s: number, out: Float32Array | Uint16Array): Promise<void> {
    const runs = channelRuns(chans, this.chunks[1], this.shape[1]);
    const tasks: Promise<void>[] = [];
    for (const [row, slots] of slotsOfRow) {
      for (const [c0, c1] of runs) {
        const read = this.readRowRun(row, c0, c1, cy0, cx0, s).then((block) => copyRun(block, 0, c0, c1, chans, slots, s, out));
        tasks.push(read);
      }
    }
    if (tasks.length === 1) return tasks[0];
    await Promise.all(tasks);
  }

  /**
   * Many rows at once (a batch) from a store that gathers rows (Zarr): one
   * readRows per run of channel chunks, which a local store decodes on this
   * thread and a codec worker together, straight into a reused buffer over
   * shared memory; this thread then converts into the batch. Row by row,
   * every chunk decoded here while the workers sat idle.
   */
  private async gatherRows(slotsOfRow: Map<number, number[]>, chans: number[], cy0: number, cx0: number, s: number, out: Float32Array | Uint16Array): Promise<void> {
    const rows = [...slotsOfRow.keys()];
    for (const [c0, c1] of channelRuns(chans, this.chunks[1], this.shape[1])) {
      const per = (c1 - c0) * s * s;
      const buf = this.takeGather(rows.length * per);
      try {
        const block = await this.limiter.run(() => this.store.readRows!(this.imagesPath, rows, [c0, cy0, cx0], [c1 - c0, s, s], { into: buf }));
        rows.forEach((row, k) => {
          copyRun(block, k * per, c0, c1, chans, slotsOfRow.get(row)!, s, out);
        });
      } catch (err) {
        throw new DatasetError(this.source, this.imagesPath, `cannot read ${rows.length} cell rows (channels ${c0}..${c1 - 1}): ${(err as Error).message}`, { cause: err });
      } finally {
        this.giveGather(buf);
      }
    }
  }

  /** Gather buffers over shared memory, reused (allocating shared memory costs ~7 ms for 5 MB here, and only a full GC frees it). */
  private readonly gathers: TypedArray[] = [];
  private takeGather(n: number): TypedArray {
    const k = this.gathers.findIndex((b) => b.length >= n);
    if (k >= 0) return this.gathers.splice(k, 1)[0];
    const T = typedArrayFor(this.images.dtype as Exclude<DType, "string">);
    // a browser page that is not cross-origin isolated has no SharedArrayBuffer (and no workers to share with)
    const bytes = n * T.BYTES_PER_ELEMENT;
    return new T(typeof SharedArrayBuffer === "function" ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }
  private giveGather(b: TypedArray): void {
    // a batch's reads ahead (prefetch) run at once: keep a few
    if (this.gathers.length < MAX_GATHERS) this.gathers.push(b);
  }

  private readonly rowReads = new Map<string, Promise<NDArray>>();

  /** Channels [c0, c1) of one row in the crop window, one block read (shared by concurrent requests). */
  private readRowRun(row: number, c0: number, c1: number, y0: number, x0: number, s: number): Promise<NDArray> {
    const key = row + "," + c0 + "," + c1 + "," + y0 + "," + x0 + "," + s;
    const pending = this.rowReads.get(key);
    if (pending) return pending;
    const p = this.limiter.run(() => this.store.readBlock(this.imagesPath, [row, c0, y0, x0], [1, c1 - c0, s, s])).then(
      (block) => {
        this.rowReads.delete(key);
        return block;
      },
      (err) => {
        this.rowReads.delete(key);
        return this.rowReadFailed(row, c0, c1, err);
      },
    );
    this.rowReads.set(key, p);
    return p;
  }

  /** A failed row read: the chunks are read one by one so the error names the one that fails. */
  private async rowReadFailed(row: number, c0: number, c1: number, err: unknown): Promise<never> {
    const [, kc, ky, kx] = this.chunks;
    for (let cc = Math.floor(c0 / kc); cc <= Math.floor((c1 - 1) / kc); cc++) {
      for (let yy = 0; yy < Math.ceil(this.shape[2] / ky); yy++) {
        for (let xx = 0; xx < Math.ceil(this.shape[3] / kx); xx++) await this.loadChunk([row, cc, yy, xx]);
      }
    }
    throw new DatasetError(this.source, this.imagesPath, `cannot read cell row ${row} (channels ${c0}..${c1 - 1}): ${(err as Error).message}`, { cause: err });
  }

  /** The window a crop option selects (the whole image without one); throws when it does not fit. */
  cropWindow(crop?: Crop): { y: number; x: number; size: number } {
    const S = this.shape[2];
    if (crop === undefined) return { y: 0, x: 0, size: S };
    const w = typeof crop === "number" ? { y: Math.floor((S - crop) / 2), x: Math.floor((S - crop) / 2), size: crop } : crop;
    if (!(w.size > 0) || w.y < 0 || w.x < 0 || w.y + w.size > S || w.x + w.size > this.shape[3] || !Number.isInteger(w.size)) {
      throw new DatasetError(this.source, this.imagesPath, `crop ${JSON.stringify(crop)} does not fit the ${S} x ${this.shape[3]} images`);
    }
    return w;
  }

  private chunkKey(coords: number[]): string {
    // (concatenation: a template with join() showed in profiles of one-cell reads)
    return this.source + "#" + coords[0] + "," + coords[1] + "," + coords[2] + "," + coords[3];
  }

  /** Start and count of the chunk at `coords`, clipped at the array's edge. */
  private chunkBox(coords: number[]): { start: number[]; count: number[] } {
    const start = coords.map((c, a) => c * this.chunks[a]);
    return { start, count: start.map((s0, a) => Math.min(this.chunks[a], this.shape[a] - s0)) };
  }

  /** One chunk (clipped at the array's edge), through the cache. */
  readChunk(coords: number[]): Promise<NDArray> {
    return this.cache.get(this.chunkKey(coords), () => this.loadChunk(coords));
  }

  private loadChunk(coords: number[]): Promise<NDArray> {
    const { start, count } = this.chunkBox(coords);
    return this.limiter.run(async () => {
      try {
        return await this.store.readBlock(this.imagesPath, start, count);
      } catch (err) {
        throw new DatasetError(this.source, this.imagesPath, `cannot read chunk (${coords.join(", ")}) (cells ${start[0]}..${start[0] + count[0] - 1}): ${(err as Error).message}`, {
          cause: err,
        });
      }
    });
  }

  /** Neighbouring channel chunks of one row chunk (their coords), read as one block and cached chunk by chunk. */
  private readChunkRun(coords: number[][]): Promise<NDArray>[] {
    const first = this.chunkBox(coords[0]);
    const last = this.chunkBox(coords[coords.length - 1]);
    const start = first.start;
    const count = [first.count[0], last.start[1] + last.count[1] - start[1], first.count[2], first.count[3]];
    const loadAll = () =>
      this.limiter.run(async () => {
        const block = await this.store.readBlock(this.imagesPath, start, count);
        return coords.map((c) => {
          const box = this.chunkBox(c);
          const off = box.start[1] - start[1];
          if (count[0] === 1) {
            // one row: each chunk is a contiguous part of the block
            const plane = count[2] * count[3];
            const data = (block.data as TypedArray).subarray(off * plane, (off + box.count[1]) * plane);
            return { dtype: block.dtype, shape: box.count, data } as NDArray;
          }
          return sliceArray(block, [0, off, 0, 0], box.count);
        });
      });
    return this.cache.getTogether(
      coords.map((c) => this.chunkKey(c)),
      loadAll,
      (i) => this.loadChunk(coords[i]),
    );
  }

  /** Reads all of obs, var and uns/single_cell_images (opening does this unless `eager: false`). */
  async load(): Promise<void> {
    if (this.loaded) return;
    const [obs, var_, info] = await Promise.all([frameOrEmpty(this.store, "obs"), frameOrEmpty(this.store, "var"), readSingleCellLayout(this.store, this.images)]);
    this.obs = obs;
    this.var_ = var_;
    this.info = info;
    // SPARCSpy has no obs: its cellIDs come from its index array
    this.setIndex(this.cellIdColumn ? obs : await this.sparcsIds(), var_);
    this.loaded = true;
  }

  /** An obs column by name (at the rows `obs.missing[name]` marks, placeholders). */
  column(name: string): Column {
    if (!this.loaded) throw new DatasetError(this.source, `obs/${name}`, "obs is not loaded yet (opened with eager: false): await dataset.load() first");
    const c = this.obs.columns[name];
    if (!c) throw new DatasetError(this.source, `obs/${name}`, `no such obs column; columns are ${Object.keys(this.obs.columns).join(", ")}`);
    return c;
  }

  /**
   * The obsm arrays besides the images that hold a row a cell in two
   * dimensions (embeddings such as X_umap, X_pca), with their widths. Reads
   * metadata only.
   */
  async obsmKeys(): Promise<{ key: string; columns: number }[]> {
    const names = (await this.store.list("obsm").catch(() => [])).filter((n) => `obsm/${n}` !== this.imagesPath);
    const nodes = await Promise.all(names.map((n) => this.store.get(`obsm/${n}`)));
    const out: { key: string; columns: number }[] = [];
    names.forEach((key, i) => {
      const node = nodes[i];
      if (node?.kind === "array" && !node.fields && node.shape.length === 2 && node.shape[0] === this.nCells && node.dtype !== "string") out.push({ key, columns: node.shape[1] });
    });
    return out;
  }

  /**
   * obsm[key], a 2-D numeric array with a row a cell, read whole as float64
   * (row-major: value (row, j) at row * columns + j).
   */
  async obsm(key: string): Promise<{ values: Float64Array; columns: number }> {
    const path = `obsm/${key}`;
    const node = await this.store.get(path);
    if (!node) {
      const keys = (await this.obsmKeys()).map((k) => k.key);
      throw new DatasetError(this.source, path, `no such obsm array; 2-D ones are ${keys.length ? keys.join(", ") : "none"}`);
    }
    if (node.kind !== "array" || node.fields || node.shape.length !== 2 || node.dtype === "string") {
      throw new DatasetError(this.source, path, "expected a 2-D numeric array (cells x dimensions), as anndata writes an embedding");
    }
    if (node.shape[0] !== this.nCells) throw new DatasetError(this.source, path, `has ${node.shape[0]} rows but ${this.imagesPath} has ${this.nCells} cells`);
    const a = await this.store.readArray(path);
    const d = a.data as TypedArray;
    const values = d instanceof Float64Array ? d : a.dtype === "float16" ? Float64Array.from(float16ToFloat32(d as Uint16Array)) : Float64Array.from(d as ArrayLike<number | bigint>, Number);
    return { values, columns: node.shape[1] };
  }

  close(): Promise<void> {
    this.cache.clear();
    return this.store.close();
  }
}

/**
 * Opens a single-cell image dataset (.h5sc / .h5ad / .zarr): a path (Node),
 * an http(s) URL, a Blob or File, the bytes of a file, or a Zarr store's keys
 * in memory; a path or URL inside a .zarr names a group of it (one dataset
 * of an annbatch collection: `x.zarr/dataset_0`). Reads obs, var and
 * uns/single_cell_images, and only the metadata of obsm/single_cell_images.
 */
export async function openDataset(source: StoreSource, options: OpenDatasetOptions = {}): Promise<Dataset> {
  if (options.decodeWorkers !== undefined) useDecodeWorkers(options.decodeWorkers, options.decodeWorkerUrl);
  const inner = typeof source === "string" && !options.store ? splitZarrGroup(source) : null;
  let store = await openSource(inner ? inner.root : source, options);
  if (inner) store = subStore(store, inner.group);
  const name = options.store ? store.source || sourceName(source) : sourceName(source);
  try {
    let layout = await detectLayout(store, options.cellIdColumn);
    const only = layout ? null : await collectionDataset(store, name);
    if (only) {
      store = subStore(store, only);
      layout = await detectLayout(store, options.cellIdColumn);
    }
    if (!layout) throw new DatasetError(name, IMAGES_PATH, `missing: not a single-cell image dataset (no ${IMAGES_PATH}, nor SPARCSpy's ${SPARCSPY_IMAGES})`);
    const images = await store.get(layout.imagesPath);
    if (images?.kind !== "array" || images.shape.length !== 4) {
      throw new DatasetError(name, layout.imagesPath, `expected a 4-d array (cells, channels, size, size), found ${images?.kind === "array" ? `shape [${images.shape}]` : "a group"}`);
    }
    const idName = layout.cellIds && "obsColumn" in layout.cellIds ? layout.cellIds.obsColumn : undefined;
    const ds = new Dataset(name, store, images, idName, options, layout);
    if (options.eager ?? true) await ds.load();
    return ds;
  } catch (err) {
    if (!options.store) await store.close().catch(() => {});
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(name, "", (err as Error).message, { cause: err });
  }
}
