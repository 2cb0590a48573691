// Scripts that run twice: in the page (on what the bundle puts on
// window.cellfolio) and in Node (on the installed packages' Node entries), so
// that both sides do exactly the same thing. Each is one self-contained
// function (no imports, no outer names): the page gets its source text.
import type { Page } from "playwright-core";

/** Runs `fn(window.cellfolio, args)` in the page, bounded by `timeoutMs` (a hang becomes an error naming the timeout). */
export function runInPage<A, R>(page: Page, fn: (cf: any, args: A) => Promise<R>, args: A, timeoutMs = 30_000): Promise<R> {
  return page.evaluate(
    ([src, a, ms]) => {
      // the script's source text, made a function again in the page
      const f = new Function("cf", "args", `return (${src})(cf, args);`);
      return Promise.race([
        f((window as any).cellfolio, a),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)),
      ]);
    },
    [fn.toString(), args, timeoutMs] as const,
  ) as Promise<R>;
}

/** Like runInPage, for a call expected to fail: the error's name and message (or null when it resolved) and the time it took. */
export function failureInPage<A>(page: Page, fn: (cf: any, args: A) => Promise<unknown>, args: A, timeoutMs = 30_000): Promise<{ error: string | null; ms: number }> {
  return page.evaluate(
    async ([src, a, ms]) => {
      // the script's source text, made a function again in the page
      const f = new Function("cf", "args", `return (${src})(cf, args);`);
      const t0 = performance.now();
      try {
        await Promise.race([f((window as any).cellfolio, a), new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);
        return { error: null, ms: performance.now() - t0 };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}`, ms: performance.now() - t0 };
      }
    },
    [fn.toString(), args, timeoutMs] as const,
  );
}

export interface ReadArgs {
  source: string;
  /** openDataset's options (decodeWorkers ...). */
  options?: Record<string, unknown>;
  cellIds: number[];
  seed: number;
  batchSize: number;
}

export interface ReadResult {
  shape: number[];
  cellIds: number[];
  channelNames: string[];
  /** getByCellId(cellIds, float16): the bits, base64. */
  byId: { data: string; shape: number[]; cellIds: number[]; rows: number[] };
  /** The first batch of batches(ds, { seed, batchSize }): float32, base64. */
  batch: { images: string; shape: number[]; cellIds: number[]; rows: number[] };
}

/** Opens a dataset, reads cells by cellID and the first shuffled batch. */
export async function readDataset(cf: any, a: ReadArgs): Promise<ReadResult> {
  const b64 = (v: ArrayBufferView): string => {
    const u = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    let s = "";
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const ds = await cf.openDataset(a.source, a.options);
  const cells = await ds.getByCellId(a.cellIds, { dtype: "float16" });
  const it = cf.batches(ds, { seed: a.seed, batchSize: a.batchSize });
  const first = (await it.next()).value;
  await it.return(undefined);
  await ds.close();
  return {
    shape: Array.from(ds.shape),
    cellIds: Array.from(ds.cellIds),
    channelNames: Array.from(ds.channelNames),
    byId: { data: b64(cells.data), shape: cells.shape, cellIds: cells.cellIds, rows: cells.rows },
    batch: { images: b64(first.images), shape: first.shape, cellIds: first.cellIds, rows: first.rows },
  };
}

/** Chunks each decode worker of the page has decoded so far ([] with none). */
export async function workerChunks(cf: any): Promise<number[]> {
  return cf.decodeWorkerStats()?.chunks ?? [];
}

/**
 * Rows `rows` (cache off, float16 bits as base64) of a dataset opened with
 * `options`, and the chunks each decode worker decoded for this read alone.
 */
export async function countedRead(cf: any, a: { source: string; rows: number[]; options?: Record<string, unknown> }): Promise<{ data: string; chunks: number[] }> {
  const ds = await cf.openDataset(a.source, a.options);
  const before: number[] = cf.decodeWorkerStats?.()?.chunks ?? [];
  const cells = await ds.getCells(a.rows, { dtype: "float16", cache: false });
  const after: number[] = cf.decodeWorkerStats?.()?.chunks ?? [];
  await ds.close();
  const u = new Uint8Array(cells.data.buffer, cells.data.byteOffset, cells.data.byteLength);
  let s = "";
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return { data: btoa(s), chunks: after.map((n, i) => n - (before[i] ?? 0)) };
}

/** Only opens (for the bad-input cases). */
export async function openOnly(cf: any, a: { source: string; options?: Record<string, unknown> }): Promise<number[]> {
  const ds = await cf.openDataset(a.source, a.options);
  await ds.close();
  return Array.from(ds.shape);
}

export interface ThroughputArgs {
  source: string;
  cells: number;
  /** Cells a getCells call. */
  per: number;
}

/**
 * Thumbnails a second: `cells` cells read with getCells, `per` a call, rows
 * walking the dataset (wrapping round), the chunk cache off so every cell is
 * read from the server. The open is not timed.
 */
export async function throughput(cf: any, a: ThroughputArgs): Promise<{ cells: number; ms: number; perSecond: number; checksum: number }> {
  const ds = await cf.openDataset(a.source, { cacheBytes: 0 });
  await ds.getCells([0]); // warm: index loaded, codecs compiled
  const n = ds.nCells;
  let checksum = 0;
  const t0 = performance.now();
  for (let done = 0; done < a.cells; done += a.per) {
    const k = Math.min(a.per, a.cells - done);
    const rows = Array.from({ length: k }, (_, i) => (done + i) % n);
    const got = await ds.getCells(rows, { dtype: "float16" });
    checksum += got.data[got.data.length - 1];
  }
  const ms = performance.now() - t0;
  await ds.close();
  return { cells: a.cells, ms, perSecond: (a.cells / ms) * 1000, checksum };
}

export interface WriteArgs {
  kind: "zarr3" | "hdf5";
  n: number;
  channels: string[];
  size: number;
  /** Cells a shard (Zarr v3). */
  shard: number;
}

/**
 * Writes a small single-cell dataset into memory: Zarr v3 with sharded
 * images (MemoryKeySink) or an .h5sc (MemorySink, lzf chunks a cell and a
 * channel as scPortrait writes). Returns the store's keys or the file, base64.
 * The values are a formula of (cell, channel, y, x), so any side can recompute them.
 */
export async function writeDataset(cf: any, a: WriteArgs): Promise<{ files: Record<string, string> }> {
  const b64 = (u: Uint8Array): string => {
    let s = "";
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const { n, size: S } = a;
  const C = a.channels.length;
  const values = new Float32Array(n * C * S * S);
  for (let i = 0; i < values.length; i++) {
    const x = i % S;
    const y = Math.floor(i / S) % S;
    const c = Math.floor(i / (S * S)) % C;
    const cell = Math.floor(i / (S * S * C));
    values[i] = c < 1 ? Number((x - S / 2) ** 2 + (y - S / 2) ** 2 < (S / 3) ** 2) : ((cell * 31 + c * 17 + y * 7 + x * 3) % 251) / 250;
  }
  const ids = BigUint64Array.from({ length: n }, (_, i) => BigInt(1000 + 7 * i));
  const adata = {
    obs: {
      kind: "dataframe",
      index: Array.from({ length: n }, (_, i) => String(i)),
      indexName: "_index",
      columnOrder: ["scportrait_cell_id", "label", "score"],
      columns: {
        scportrait_cell_id: { dtype: "uint64", shape: [n], data: ids },
        label: {
          kind: "categorical",
          codes: { dtype: "int8", shape: [n], data: Int8Array.from({ length: n }, (_, i) => i % 3) },
          categories: { dtype: "string", shape: [3], data: ["interphase", "mitotic", "unknown"] },
          ordered: false,
        },
        score: { dtype: "float64", shape: [n], data: Float64Array.from({ length: n }, (_, i) => i / 4 - 1) },
      },
    },
    var: {
      kind: "dataframe",
      index: a.channels.map((_, i) => String(i)),
      indexName: "_index",
      columnOrder: ["channels"],
      columns: { channels: { dtype: "string", shape: [C], data: a.channels } },
    },
    layers: {},
    obsm: {},
    varm: {},
    obsp: {},
    varp: {},
    uns: {
      single_cell_images: {
        kind: "dict",
        items: {
          n_cells: { kind: "numeric-scalar", dtype: "int64", value: BigInt(n) },
          n_channels: { kind: "numeric-scalar", dtype: "int64", value: BigInt(C) },
          n_masks: { kind: "numeric-scalar", dtype: "int64", value: 1n },
          image_size: { kind: "numeric-scalar", dtype: "int64", value: BigInt(S) },
          channel_names: { dtype: "string", shape: [C], data: a.channels },
        },
      },
    },
  };
  const sink = a.kind === "zarr3" ? new cf.MemoryKeySink("written.zarr") : new cf.MemorySink("written.h5sc");
  const writer = await cf.createStore(sink, { zarrFormat: 3 });
  await cf.writeAnnData(writer, adata);
  const images = await writer.createArray("obsm/single_cell_images", {
    shape: [n, C, S, S],
    dtype: "float16",
    chunks: [1, 1, S, S],
    ...(a.kind === "zarr3" ? { shards: [a.shard, C, S, S] } : { compression: { codec: "lzf" } }),
    attrs: { "encoding-type": "array", "encoding-version": "0.2.0" },
  });
  await images.setBlock([0, 0, 0, 0], { dtype: "float16", shape: [n, C, S, S], data: cf.float32ToFloat16(values) });
  await images.close();
  await writer.close();
  const files: Record<string, string> = {};
  if (a.kind === "zarr3") for (const [k, v] of sink.entries) files[k] = b64(v);
  else files[""] = b64(sink.bytes());
  return { files };
}

/** The baseline of the thumbnail timings: `n` plain range requests of `bytes` bytes to `url` (a file of `size` bytes), `concurrency` at a time. */
export async function rawRanges(_cf: any, a: { url: string; size: number; n: number; bytes: number; concurrency: number }): Promise<{ perSecond: number; ms: number }> {
  const t0 = performance.now();
  for (let i = 0; i < a.n; i += a.concurrency) {
    const k = Math.min(a.concurrency, a.n - i);
    await Promise.all(
      Array.from({ length: k }, (_, j) => {
        const at = ((i + j) * a.bytes) % (a.size - a.bytes);
        return fetch(a.url, { headers: { Range: `bytes=${at}-${at + a.bytes - 1}` } }).then((r) => r.arrayBuffer());
      }),
    );
  }
  const ms = performance.now() - t0;
  return { perSecond: (a.n / ms) * 1000, ms };
}
